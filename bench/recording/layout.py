"""On-disk layout of a run folder, shared by the writer and the reader.

A run is a folder that stays readable whatever happens to the process writing it::

    <runs_dir>/<run_id>/
        record.json            metadata; replaced atomically (tmp + fsync + rename), never torn
        .writer.lock           held (flock) by the live writer; the kernel drops it when the process dies
        streams/<file>.json    channel sidecar (name, unit, dtype, rate, record layout), written on add
        streams/<file>.bin     fixed-size little-endian records (t_s float64, value, flags uint8), appended
        attachments/<name>     files handed to the writer (plots, logs, specs)

Fixed-size records make a crash harmless: a reader takes ``size // itemsize`` whole records and
ignores a torn tail, and ``np.fromfile`` reads millions of them at disk speed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from bench.errors import BenchError

RECORD_FILE = "record.json"
LOCK_FILE = ".writer.lock"
STREAMS_DIR = "streams"
ATTACHMENTS_DIR = "attachments"
FORMAT_VERSION = 1
OUTCOMES = ("PASS", "FAIL", "ERROR", "ABORTED", "DONE")


class RecordingError(BenchError):
    """A run folder cannot be written or read (names the run, channel or file)."""


def record_dtype(value_dtype: str) -> np.dtype:
    """The packed on-disk record of one sample: ``t_s`` float64, ``value`` (channel dtype), ``flags`` uint8."""
    value = np.dtype(value_dtype)
    if value.kind not in "biuf" or value.itemsize > 8:
        raise RecordingError(
            f"channel dtype {value_dtype!r} cannot be recorded: use a numeric numpy dtype "
            "(bool, int8..int64, uint8..uint64, float16..float64)")
    return np.dtype([("t_s", "<f8"), ("value", value.newbyteorder("<")), ("flags", "u1")])


_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def channel_file_stem(name: str, taken: set[str]) -> str:
    """A file-system-safe, unique stem for a channel name (the sidecar keeps the real name)."""
    stem = _SAFE.sub("_", name).strip(".") or "channel"
    stem = stem[:100]
    candidate, n = stem, 1
    while candidate.lower() in taken:  # case-insensitive file systems
        n += 1
        candidate = f"{stem}~{n}"
    return candidate


def json_default(obj: Any) -> Any:
    """Make numpy scalars/arrays, paths, enums and dataclasses JSON-serialisable."""
    import dataclasses
    import enum

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, default=json_default, allow_nan=True, ensure_ascii=False)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old or the new file, never a torn one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the data files are fsync'ed anyway
    finally:
        os.close(fd)


def read_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordingError(f"{what}: {path} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordingError(f"{what}: cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise RecordingError(f"{what}: {path} does not hold a JSON object")
    return data
