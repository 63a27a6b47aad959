"""Crash-safe run recording, the SQLite run index and exports (see :mod:`bench.recording.layout`).

::

    writer = RunWriter.create(runs_dir, make_record(rig, procedure="torsion"), timebase)
    writer.add_channel(spec); hub.add_callback(writer.write_block)   # or writer.attach(hub)
    writer.close("PASS")
    run = open_run(writer.path); t_s, values = run.read("out.angle_rad")
"""

from bench.recording.export import export_csv, export_hdf5
from bench.recording.index import INDEX_FILE, RunIndex
from bench.recording.layout import OUTCOMES, RecordingError
from bench.recording.paths import ENV_RUNS_DIR, resolve_runs_dir
from bench.recording.record import make_record
from bench.recording.run import Run, find_run, list_runs, open_run
from bench.recording.writer import RunWriter

__all__ = [
    "RunWriter", "Run", "open_run", "list_runs", "find_run", "RunIndex", "INDEX_FILE", "export_hdf5",
    "export_csv", "make_record", "resolve_runs_dir", "ENV_RUNS_DIR", "RecordingError", "OUTCOMES",
]
