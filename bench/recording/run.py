"""Reading run folders back: complete runs, runs still recording and runs whose process was killed."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from bench.recording.layout import (
    ATTACHMENTS_DIR,
    LOCK_FILE,
    RECORD_FILE,
    STREAMS_DIR,
    RecordingError,
    read_json,
    record_dtype,
)
from bench.streams import ChannelSpec

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

_SPEC_FIELDS = {f.name for f in dataclasses.fields(ChannelSpec)}


class Run:
    """A recorded run folder. ``record`` is the JSON record as read when the Run was opened."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.record: dict = read_json(self.path / RECORD_FILE, f"run {self.path.name}")
        self.run_id: str = str(self.record.get("run_id") or self.path.name)
        self._sidecars: dict[str, dict] | None = None

    def __repr__(self) -> str:
        return f"Run({self.run_id!r}, {self.status_label})"

    # ------------------------------------------------------------------ state
    @property
    def complete(self) -> bool:
        """True once the writer closed the run (whatever its outcome)."""
        return self.record.get("status") == "complete"

    @property
    def live(self) -> bool:
        """True while a writer process still holds the run (status ``running`` and its lock held)."""
        return not self.complete and _writer_alive(self.path, self.record)

    @property
    def incomplete(self) -> bool:
        """Not closed and nobody writing: the recording process died (crash, SIGKILL, power loss)."""
        return not self.complete and not self.live

    @property
    def status_label(self) -> str:
        """``COMPLETE``, ``RUNNING`` or ``INCOMPLETE``."""
        if self.complete:
            return "COMPLETE"
        return "RUNNING" if self.live else "INCOMPLETE"

    @property
    def outcome(self) -> str | None:
        return self.record.get("outcome")

    @property
    def started_at(self) -> str:
        return str(self.record.get("started_at") or "")

    # ------------------------------------------------------------------ channels
    def _load_sidecars(self) -> dict[str, dict]:
        if self._sidecars is not None:
            return self._sidecars
        found: dict[str, dict] = {}
        streams = self.path / STREAMS_DIR
        for side in sorted(streams.glob("*.json")) if streams.is_dir() else []:
            meta = read_json(side, f"run {self.run_id}: channel sidecar")
            name = meta.get("name")
            if not isinstance(name, str) or not name:
                raise RecordingError(f"run {self.run_id}: channel sidecar {side} has no name")
            meta["_path"] = streams / str(meta.get("data_file") or side.with_suffix(".bin").name)
            found[name] = meta
        if self.complete:  # a live run may still add channels: read them again next time
            self._sidecars = found
        return found

    @property
    def channels(self) -> dict[str, ChannelSpec]:
        """Channel specs by name, from the sidecars."""
        return {name: ChannelSpec(**{k: v for k, v in meta.items() if k in _SPEC_FIELDS})
                for name, meta in self._load_sidecars().items()}

    def _meta(self, channel: str) -> dict:
        sidecars = self._load_sidecars()
        try:
            return sidecars[channel]
        except KeyError:
            known = ", ".join(sorted(sidecars)) or "none"
            raise RecordingError(f"run {self.run_id}: no channel {channel!r} (channels: {known})") from None

    def read_records(self, channel: str, *, mmap: bool = False) -> np.ndarray:
        """Every whole record of ``channel`` on disk: structured array with ``t_s``, ``value``, ``flags``.

        A torn last record (the process died inside a write) is ignored. ``mmap=True`` maps the file
        read-only instead of reading it (long runs: only the pages used are loaded).
        """
        meta = self._meta(channel)
        dtype = record_dtype(str(meta.get("dtype", "float64")))
        itemsize = meta.get("record", {}).get("itemsize", dtype.itemsize)
        if itemsize != dtype.itemsize:
            raise RecordingError(f"run {self.run_id}: channel {channel!r}: record size {itemsize} in the "
                                 f"sidecar, {dtype.itemsize} expected for dtype {meta.get('dtype')!r}")
        path: Path = meta["_path"]
        try:
            with open(path, "rb") as fh:
                count = os.fstat(fh.fileno()).st_size // dtype.itemsize
                if mmap and count:
                    return np.memmap(fh, dtype=dtype, mode="r", shape=(count,))
                return np.fromfile(fh, dtype=dtype, count=count)
        except FileNotFoundError:
            return np.empty(0, dtype)
        except OSError as exc:
            raise RecordingError(f"run {self.run_id}: cannot read channel {channel!r} from {path}: {exc}") from None

    def read(self, channel: str) -> tuple[np.ndarray, np.ndarray]:
        """``(t_s, values)`` of ``channel``: every sample that reached the disk."""
        rec = self.read_records(channel)
        return np.ascontiguousarray(rec["t_s"]), np.ascontiguousarray(rec["value"])

    def read_flags(self, channel: str) -> np.ndarray:
        """Per-sample :class:`bench.streams.SampleFlag` bits of ``channel`` (uint8)."""
        return np.ascontiguousarray(self.read_records(channel)["flags"])

    def sample_count(self, channel: str) -> int:
        meta = self._meta(channel)
        try:
            return meta["_path"].stat().st_size // record_dtype(str(meta.get("dtype", "float64"))).itemsize
        except FileNotFoundError:
            return 0

    @property
    def attachments(self) -> dict[str, Path]:
        folder = self.path / ATTACHMENTS_DIR
        if not folder.is_dir():
            return {}
        return {p.name: p for p in sorted(folder.iterdir()) if p.is_file() and not p.name.endswith(".tmp")}


def _writer_alive(path: Path, record: dict) -> bool:
    """Is a process still writing this run? Asks the kernel whether the writer's flock is held."""
    lock = path / LOCK_FILE
    if fcntl is not None:
        try:
            fd = os.open(lock, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)
    pid = record.get("writer", {}).get("pid")  # pragma: no cover - platforms without flock
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def open_run(path: str | Path) -> Run:
    """Open a run folder (complete, live or killed)."""
    path = Path(path)
    if not path.is_dir():
        raise RecordingError(f"no run folder at {path}")
    return Run(path)


def list_runs(runs_dir: str | Path, problems: list[str] | None = None) -> list[Run]:
    """Every run in ``runs_dir``, newest first; incomplete runs have ``complete == False``.

    Folders without ``record.json`` are not runs and are skipped. A run whose record cannot be read
    raises :class:`RecordingError`, unless ``problems`` is a list: then its message is appended there
    and the listing goes on.
    """
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise RecordingError(f"runs folder {runs_dir} does not exist")
    runs = []
    for folder in runs_dir.iterdir():
        if not folder.is_dir() or not (folder / RECORD_FILE).exists():
            continue
        try:
            runs.append(Run(folder))
        except RecordingError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
    runs.sort(key=lambda r: (r.run_id, r.started_at), reverse=True)
    return runs


def find_run(ref: str | Path, runs_dir: str | Path | None = None) -> Run:
    """A run by folder path, by run id, or by a unique prefix of a run id in ``runs_dir``."""
    ref_path = Path(ref)
    if (ref_path / RECORD_FILE).exists():
        return Run(ref_path)
    if runs_dir is not None:
        runs_dir = Path(runs_dir)
        exact = runs_dir / str(ref)
        if (exact / RECORD_FILE).exists():
            return Run(exact)
        if runs_dir.is_dir() and str(ref) and os.sep not in str(ref):
            matches = sorted(p for p in runs_dir.iterdir()
                             if p.name.startswith(str(ref)) and (p / RECORD_FILE).exists())
            if len(matches) == 1:
                return Run(matches[0])
            if len(matches) > 1:
                names = ", ".join(p.name for p in matches[:5])
                raise RecordingError(f"run {ref!r} is ambiguous in {runs_dir}: {names}"
                                     f"{', ...' if len(matches) > 5 else ''}")
    where = f" in {runs_dir}" if runs_dir is not None else ""
    raise RecordingError(f"no run {str(ref)!r}{where} (give a run id or a run folder)")
