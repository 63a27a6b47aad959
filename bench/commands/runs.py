"""``bench runs``: the history of recorded runs, newest first, with killed runs marked INCOMPLETE."""

from __future__ import annotations

import datetime as _dt
import sys

from bench.commands.status import table


def register(sub) -> None:
    parser = sub.add_parser("runs", help="list recorded runs (incomplete ones marked)")
    parser.add_argument("--runs-dir", metavar="DIR", help="runs folder (default: the rig's runs_dir, "
                        "$BENCH_RUNS_DIR, or ./runs)")
    parser.add_argument("--rig", metavar="FILE", help="rig file whose runs_dir to list")
    parser.add_argument("--limit", type=int, default=50, metavar="N", help="show the newest N runs (default 50)")
    parser.add_argument("--procedure", metavar="NAME", help="only runs of this procedure")
    parser.add_argument("--serial", help="only runs of this unit")
    parser.add_argument("--outcome", type=str.upper, metavar="OUTCOME",
                        help="only runs with this outcome or state (PASS, FAIL, ERROR, ABORTED, INCOMPLETE)")
    parser.add_argument("--reindex", action="store_true", help="also bring the SQLite index up to date")
    parser.set_defaults(func=run)


def _when(iso: str) -> str:
    try:
        return _dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return iso or "?"


def run(args) -> int:
    from bench.recording import RunIndex, list_runs, resolve_runs_dir

    runs_dir = resolve_runs_dir(args.runs_dir, args.rig)
    problems: list[str] = []
    runs = list_runs(runs_dir, problems)
    for problem in problems:
        print(f"bench: warning: {problem}", file=sys.stderr)
    if args.reindex:
        with RunIndex.for_runs_dir(runs_dir) as index:
            for r in runs:
                index.add_run(r)
    if not runs:
        print(f"no runs in {runs_dir}")
        return 0
    total = len(runs)
    runs = [r for r in runs if _matches(r, args)]
    rows = [("RUN", "STARTED", "PROCEDURE", "UNIT", "SERIAL", "OUTCOME")]
    for r in runs[: max(args.limit, 0)]:
        unit = r.record.get("unit") or {}
        rows.append((r.run_id, _when(r.started_at), str(r.record.get("procedure") or "-"),
                     str(unit.get("model") or "-"), str(unit.get("serial") or "-"), _outcome(r)))
    print("\n".join(table(rows)))
    shown = min(len(runs), max(args.limit, 0))
    incomplete = sum(1 for r in runs if r.incomplete)
    note = f", {incomplete} INCOMPLETE (recording process died; data up to the crash is readable)" if incomplete else ""
    if len(runs) != total:
        print(f"{shown} of {len(runs)} matching runs ({total} in {runs_dir}){note}")
    else:
        print(f"{shown} of {total} runs in {runs_dir}{note}")
    return 0


def _outcome(r) -> str:
    """The outcome of a finished run, else its state (INCOMPLETE, RUNNING)."""
    return (r.outcome or "-") if r.status_label == "COMPLETE" else r.status_label


def _matches(r, args) -> bool:
    unit = r.record.get("unit") or {}
    return ((args.procedure is None or r.record.get("procedure") == args.procedure)
            and (args.serial is None or unit.get("serial") == args.serial)
            and (args.outcome is None or _outcome(r) == args.outcome))
