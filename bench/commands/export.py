"""``bench export RUN --format hdf5|csv``: a recorded run to HDF5 (one group) or CSV (one file per channel)."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    parser = sub.add_parser("export", help="export a recorded run to HDF5 or CSV")
    parser.add_argument("run", metavar="RUN", help="run id (or a unique prefix of it) or run folder")
    parser.add_argument("--format", required=True, choices=("hdf5", "csv"), help="output format")
    parser.add_argument("--out", metavar="PATH", help="HDF5 file (default ./<run_id>.h5) or CSV folder "
                        "(default ./<run_id>_csv)")
    parser.add_argument("--runs-dir", metavar="DIR", help="runs folder to look RUN up in")
    parser.add_argument("--rig", metavar="FILE", help="rig file whose runs_dir to look RUN up in")
    parser.add_argument("--overwrite", action="store_true", help="replace the run's group in an existing HDF5 file")
    parser.set_defaults(func=run)


def run(args) -> int:
    from bench.recording import export_csv, export_hdf5, find_run, resolve_runs_dir

    runs_dir = resolve_runs_dir(args.runs_dir, args.rig)
    found = find_run(args.run, runs_dir)
    if args.format == "hdf5":
        out = Path(args.out) if args.out else Path(f"{found.run_id}.h5")
        export_hdf5(found, out, overwrite=args.overwrite)
        print(f"{found.run_id} -> {out} (group /{found.run_id}, {len(found.channels)} channels)")
    else:
        out = Path(args.out) if args.out else Path(f"{found.run_id}_csv")
        files = export_csv(found, out)
        print(f"{found.run_id} -> {out}/ ({len(files)} CSV files)")
    if not found.complete:
        print(f"note: run {found.run_id} is {found.status_label}: exported every sample that reached the disk")
    return 0
