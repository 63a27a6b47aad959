"""``bench report RUN --format html|pdf``: the report of a recorded run (self-contained HTML or PDF)."""

from __future__ import annotations


def register(sub) -> None:
    parser = sub.add_parser("report", help="write the HTML or PDF report of a recorded run")
    parser.add_argument("run", help="run folder, run id, or unique prefix of a run id")
    parser.add_argument("--format", choices=("html", "pdf"), default="html", help="report format (default html)")
    parser.add_argument("-o", "--output", metavar="FILE", help="output file (default ./<run_id>-report.<format>)")
    parser.add_argument("--runs-dir", metavar="DIR", help="runs folder to look the run id up in (default: the "
                        "rig's runs_dir, $BENCH_RUNS_DIR, or ./runs)")
    parser.add_argument("--rig", metavar="FILE", help="rig file whose runs_dir holds the run")
    parser.set_defaults(func=run)


def run(args) -> int:
    from bench.recording import find_run, resolve_runs_dir
    from bench.reports import write_report

    run_ = find_run(args.run, resolve_runs_dir(args.runs_dir, args.rig))
    out = write_report(run_, args.format, args.output)
    state = "" if run_.complete else f" (run {run_.status_label}: the recording did not close)"
    print(f"{out}{state}")
    return 0
