"""``bench trend [MEASUREMENT]``: one measurement over the runs of the index, with its capability.

A quality engineer follows a measurement per unit type over time: each value in display units with
its limits and verdict, then count, mean, standard deviation, range and the process capability
against the limits (Cpk = distance of the mean to the nearer limit over 3σ; with one limit, the
one-sided index of that limit). Without a measurement name it lists what the index holds.
"""

from __future__ import annotations

import csv
import json
import math
import sys

from bench.commands.status import table


def register(sub) -> None:
    parser = sub.add_parser("trend", help="a measurement over the recorded runs, with mean, σ and Cpk")
    parser.add_argument("name", nargs="?", metavar="MEASUREMENT",
                        help="measurement name (e.g. lost_motion); without it, list what can be trended")
    parser.add_argument("--unit-type", metavar="TYPE", help="only units of this type (e.g. CSF-25-50)")
    parser.add_argument("--serial", help="only this unit")
    parser.add_argument("--last", type=int, metavar="N", help="only the newest N values")
    parser.add_argument("--runs-dir", metavar="DIR", help="runs folder (default: the rig's runs_dir, "
                        "$BENCH_RUNS_DIR, or ./runs)")
    parser.add_argument("--rig", metavar="FILE", help="rig file whose runs_dir to read")
    parser.add_argument("--reindex", action="store_true", help="first bring the SQLite index up to date")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_true", help="print the values as CSV (SI units)")
    output.add_argument("--json", action="store_true", help="print values and statistics as JSON (SI units)")
    parser.set_defaults(func=run)


def capability(values: list[float], low: float | None, high: float | None) -> dict:
    """Count, mean, sample standard deviation, min, max and Cpk (None where undefined)."""
    n = len(values)
    mean = sum(values) / n if n else math.nan
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else math.nan
    sides = [(high - mean) if high is not None else None, (mean - low) if low is not None else None]
    sides = [d for d in sides if d is not None]
    cpk = min(sides) / (3.0 * std) if sides and n > 1 and std > 0 else None
    return {"count": n, "mean": mean, "std": std, "min": min(values) if n else math.nan,
            "max": max(values) if n else math.nan, "low": low, "high": high, "cpk": cpk}


def _display_unit(name: str, si_unit: str | None) -> str:
    """The display unit the procedures declare for ``name`` (arcmin, Nm/arcmin, %), else the SI unit."""
    from bench.sequences.procedures import PROCEDURES

    for cls in PROCEDURES.values():
        for m in cls.measurements:
            if m.name == name and m.display_unit:
                return m.display_unit
    return si_unit or ""


def _latest_limits(rows: list[dict]) -> tuple[float | None, float | None]:
    """The limits of the newest value: a spec may have changed; capability is judged against today's."""
    return (rows[-1]["low"], rows[-1]["high"]) if rows else (None, None)


def _fmt(value, unit: str) -> str:
    from bench.units import to_display

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{to_display(value, unit):.5g}"


def run(args) -> int:
    from bench.recording import RunIndex, resolve_runs_dir

    runs_dir = resolve_runs_dir(args.runs_dir, args.rig)
    with RunIndex.for_runs_dir(runs_dir) as index:
        if args.reindex:
            index.sync(runs_dir)
        if args.name is None:
            names = index.measurement_names(args.unit_type)
            if not names:
                print(f"no measurements indexed in {runs_dir} (bench trend --reindex indexes the run folders)")
                return 0
            rows = [("MEASUREMENT", "UNIT TYPE", "VALUES", "FIRST", "LAST")]
            rows += [(r["name"], r["unit_type"] or "-", str(r["count"]), (r["first"] or "")[:19],
                      (r["last"] or "")[:19]) for r in names]
            _print_table(rows)
            return 0
        rows = [r for r in index.measurements(args.name, args.unit_type, args.serial) if r["value"] is not None]
    if args.last:
        rows = rows[-args.last:]
    if not rows:
        print(f"bench: no values of {args.name!r} in {runs_dir}"
              + (f" for unit type {args.unit_type}" if args.unit_type else ""), file=sys.stderr)
        return 2
    types = sorted({r["unit_type"] or "-" for r in rows})
    low, high = _latest_limits(rows)
    stats = capability([r["value"] for r in rows], low, high)
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["time", "run_id", "unit_type", "serial", "value", "unit", "low", "high", "outcome"])
        for r in rows:
            writer.writerow([r["time"], r["run_id"], r["unit_type"], r["serial"], repr(r["value"]), r["unit"],
                             r["low"], r["high"], r["outcome"]])
        return 0
    if args.json:
        print(json.dumps({"measurement": args.name, "unit": rows[-1]["unit"], "unit_types": types,
                          "values": rows, "statistics": stats}, indent=2))
        return 0
    unit = _display_unit(args.name, rows[-1]["unit"])
    table = [("TIME", "RUN", "UNIT TYPE", "SERIAL", f"VALUE [{unit}]", "LOW", "HIGH", "VERDICT")]
    table += [((r["time"] or "")[:19], r["run_id"], r["unit_type"] or "-", r["serial"] or "-",
               _fmt(r["value"], unit), _fmt(r["low"], unit), _fmt(r["high"], unit), r["outcome"] or "-")
              for r in rows]
    _print_table(table)
    if len(types) > 1:
        print(f"\nnote: {len(types)} unit types mixed ({', '.join(types)}); give --unit-type to compare like "
              "with like")
    cpk = "-" if stats["cpk"] is None else f"{stats['cpk']:.2f}"
    print(f"\n{args.name}: n = {stats['count']}, mean {_fmt(stats['mean'], unit)}, σ {_fmt(stats['std'], unit)}, "
          f"min {_fmt(stats['min'], unit)}, max {_fmt(stats['max'], unit)} {unit}; "
          f"Cpk {cpk} against [{_fmt(low, unit)}, {_fmt(high, unit)}]")
    return 0


def _print_table(rows: list[tuple[str, ...]]) -> None:
    print("\n".join(table(rows)))
