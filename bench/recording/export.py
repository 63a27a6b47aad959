"""Export of a recorded run to HDF5 (analysis tools) and CSV (spreadsheets)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from bench.recording.layout import RecordingError, channel_file_stem, json_default
from bench.recording.run import Run


def _attr(value):
    """An HDF5-storable attribute value: scalars and strings as they are, the rest as JSON text."""
    if value is None:
        return ""
    if isinstance(value, (str, bool, int, float, np.generic)):
        return value
    return json.dumps(value, default=json_default)


def export_hdf5(run: Run, out_path: str | Path, *, overwrite: bool = False, compression: str | None = None) -> Path:
    """Write ``run`` as group ``/<run_id>`` of the HDF5 file ``out_path`` (created, or appended to).

    One dataset per channel, named as the channel, compound rows ``(t_s, value, flags)``; attributes
    ``unit``, ``dtype``, ``rate_hz``, ``device``, ``description``, ``samples``. The group carries the
    record's top-level fields as attributes (nested ones as JSON text) and the full record as
    ``record_json``. An existing group of the same run is an error unless ``overwrite``.
    """
    import h5py

    out_path = Path(out_path)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(out_path, "a") as f:
            if run.run_id in f:
                if not overwrite:
                    raise RecordingError(f"{out_path} already holds run {run.run_id} (use overwrite)")
                del f[run.run_id]
            group = f.create_group(run.run_id)
            for key, value in run.record.items():
                group.attrs[key] = _attr(value)
            group.attrs["record_json"] = json.dumps(run.record, default=json_default)
            group.attrs["complete"] = run.complete
            for name, spec in run.channels.items():
                rec = run.read_records(name)
                ds = group.create_dataset(name.replace("/", "_"), data=rec, compression=compression,
                                          chunks=True if len(rec) else None)
                ds.attrs["channel"] = name
                ds.attrs["unit"] = spec.unit
                ds.attrs["dtype"] = spec.dtype
                ds.attrs["rate_hz"] = spec.rate_hz
                ds.attrs["device"] = spec.device
                ds.attrs["description"] = spec.description
                ds.attrs["samples"] = len(rec)
    except (OSError, ValueError) as exc:  # h5py reports bad files and names as these
        raise RecordingError(f"cannot export run {run.run_id} to {out_path}: {exc}") from None
    return out_path


def export_csv(run: Run, out_dir: str | Path) -> list[Path]:
    """One CSV per channel in ``out_dir``: header ``t_s,<channel> [<unit>],flags``; returns the files.

    Floats are written with 17 significant digits (round-trip exact). ``record.json`` is copied beside
    them as ``<run_id>_record.json`` so the metadata travels with the numbers (not in the returned list).
    """
    out_dir = Path(out_dir)
    written: list[Path] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        taken: set[str] = set()
        for name, spec in run.channels.items():
            stem = channel_file_stem(name, taken)
            taken.add(stem.lower())
            path = out_dir / f"{stem}.csv"
            rec = run.read_records(name)
            value_fmt = "%.17g" if rec.dtype["value"].kind == "f" else "%d"
            with open(path, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh, lineterminator="\n").writerow(
                    ["t_s", f"{name} [{spec.unit}]" if spec.unit else name, "flags"])
                if len(rec):
                    np.savetxt(fh, rec, fmt=["%.17g", value_fmt, "%d"], delimiter=",")
            written.append(path)
        (out_dir / f"{run.run_id}_record.json").write_text(
            json.dumps(run.record, indent=2, default=json_default), encoding="utf-8")
    except OSError as exc:
        raise RecordingError(f"cannot export run {run.run_id} to {out_dir}: {exc}") from None
    return written

