"""``bench run PROCEDURE --rig FILE``: run a standard test, judge it, record it, report it.

Exit code 0 PASS, 1 FAIL, 2 ERROR or ABORTED (Ctrl-C reaches the safe state, then the run is closed).
"""

from __future__ import annotations

import json
import math
import sys
import time


def register(sub) -> None:
    from bench.sequences.procedures import PROCEDURES

    parser = sub.add_parser("run", help="run a standard test procedure on a rig",
                            description="Run a test procedure; exit 0 PASS, 1 FAIL, 2 ERROR/ABORTED.")
    parser.add_argument("procedure", choices=sorted(PROCEDURES), metavar="PROCEDURE",
                        help="one of: " + ", ".join(sorted(PROCEDURES)))
    parser.add_argument("--rig", required=True, metavar="FILE", help="rig file (TOML)")
    parser.add_argument("--spec", metavar="FILE", help="product specification (default: the rig's [unit].spec)")
    parser.add_argument("--serial", default="", help="serial number of the unit under test")
    parser.add_argument("--operator", default=None, help="operator name (default: the rig file's)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a parameter, with units where it has one (e.g. quarter_time_s=6s)")
    parser.add_argument("--runs-dir", metavar="DIR", help="where the run folder goes (default: the rig's runs_dir)")
    parser.add_argument("--report", action="append", default=[], choices=("html", "pdf"),
                        help="also write the report in this format (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON (for machines)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from bench.rig import Rig
    from bench.sequences import Outcome, parse_set_options, run_sequence
    from bench.sequences.procedures import PROCEDURES

    procedure = PROCEDURES[args.procedure]
    overrides = parse_set_options(args.set)
    progress = ProgressLine(enabled=not args.json)
    if not args.json:
        print(f"{procedure.title}")
        print(f"rig {args.rig}: opening devices ...", flush=True)
    with Rig.from_config(args.rig) as rig:
        result = run_sequence(procedure, rig, params=overrides, spec=args.spec, serial=args.serial,
                              operator=args.operator, runs_dir=args.runs_dir, on_progress=progress)
        progress.finish()
    reports = [_write_report(result.path, fmt) for fmt in args.report]
    if args.json:
        print(json.dumps(_finite_or_null(_as_json(result, reports)), indent=2, default=str, allow_nan=False))
    else:
        print_result(result, reports)
    return {Outcome.PASS: 0, Outcome.FAIL: 1}.get(result.outcome, 2)


def _write_report(path, fmt: str):
    from bench.recording import open_run
    from bench.reports import write_report

    return write_report(open_run(path), fmt, path / f"report.{fmt}")


class ProgressLine:
    """One progress line, redrawn in place on a terminal; phase changes as lines otherwise."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.tty = sys.stdout.isatty()
        self.last_phase = None
        self.last_draw = 0.0

    def __call__(self, progress) -> None:
        if not self.enabled:
            return
        phase = getattr(progress, "phase", "") or ""
        fraction = getattr(progress, "fraction", 0.0) or 0.0
        if self.tty:
            now = time.monotonic()
            if phase == self.last_phase and now - self.last_draw < 0.1:
                return
            self.last_draw = now
            bar = "#" * int(30 * fraction)
            print(f"\r[{bar:<30}] {100 * fraction:5.1f} %  {phase[:60]:<60}", end="", flush=True)
        elif phase != self.last_phase:
            print(f"  {100 * fraction:5.1f} %  {phase}", flush=True)
        self.last_phase = phase

    def finish(self) -> None:
        if self.enabled and self.tty:
            print()


def _fmt(value, unit: str) -> str:
    from bench.sequences.quantities import from_si

    if value is None:
        return "—"
    shown = from_si(value, unit) if unit else value
    if not math.isfinite(shown):
        return str(shown)
    return f"{shown:.4g}" if abs(shown) >= 1e-3 or shown == 0 else f"{shown:.3e}"


def print_result(result, reports=()) -> None:
    rows = [("measurement", "value", "unit", "low", "high", "verdict")]
    for m in result.measurements:
        unit = m.display_unit or m.unit
        rows.append((m.name, _fmt(m.value, m.display_unit), unit, _fmt(m.low, m.display_unit),
                     _fmt(m.high, m.display_unit), str(m.verdict)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    for i, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(w) if j in (0, 2, 5) else cell.rjust(w)
                               for j, (cell, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))
    for error in result.errors:
        print(f"\n  error ({error.get('phase', '')}): {error.get('type', '')}: {error.get('message', '')}")
    print(f"\noutcome: {result.outcome}   ({result.duration_s:.1f} s)")
    print(f"record:  {result.path}")
    for report in reports:
        print(f"report:  {report}")


def _finite_or_null(value):
    """Strict JSON has no NaN or Infinity: a non-finite number becomes null (its verdict says why)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(v) for v in value]
    return value


def _as_json(result, reports) -> dict:
    return {
        "run_id": result.run_id, "outcome": str(result.outcome), "path": str(result.path),
        "duration_s": result.duration_s, "reports": [str(r) for r in reports],
        "measurements": [{"name": m.name, "value": m.value, "unit": m.unit, "display_value": m.display_value,
                          "display_unit": m.display_unit, "low": m.low, "high": m.high,
                          "verdict": str(m.verdict), "extra": m.extra} for m in result.measurements],
        "errors": list(result.errors),
    }
