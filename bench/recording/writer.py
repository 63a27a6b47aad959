"""The run recorder: one writer thread appends queued sample blocks to a run folder.

Publishers (receive threads, hub callbacks) only append a block to a deque: :meth:`RunWriter.write_block`
never touches the disk. The writer thread wakes every ``flush_interval_s`` (0.25 s), writes everything
queued as one array per channel and fsyncs, so a killed process loses at most the last interval or so
of samples. The live writer holds an ``flock`` on ``.writer.lock``: the kernel releases it when the
process dies, which is how a reader tells a killed run (``INCOMPLETE``) from one still recording.
"""

from __future__ import annotations

import collections
import copy
import datetime as _dt
import os
import secrets
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

import bench
from bench.recording.layout import (
    ATTACHMENTS_DIR,
    FORMAT_VERSION,
    LOCK_FILE,
    OUTCOMES,
    RECORD_FILE,
    STREAMS_DIR,
    RecordingError,
    channel_file_stem,
    dumps,
    fsync_dir,
    record_dtype,
    write_atomic,
)
from bench.streams import ChannelSpec, Hub, SampleBlock
from bench.timebase import DEFAULT_TIMEBASE, Timebase

try:  # POSIX: the kernel drops an flock when its process dies, even by SIGKILL
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

# keys every record has (the runner fills most of them; see bench.recording.record.make_record)
RECORD_DEFAULTS: dict[str, Any] = {
    "procedure": "",
    "operator": "",
    "rig": {},
    "unit": {},
    "sensors": [],
    "parameters": {},
    "measurements": [],
    "outcome": None,
    "stopped_at": None,
}
MANAGED_KEYS = ("run_id", "status", "format_version")


def iso_now() -> str:
    """Wall-clock now, ISO 8601 with the local UTC offset, milliseconds."""
    return _dt.datetime.now(_dt.UTC).astimezone().isoformat(timespec="milliseconds")


def iso_from_epoch(epoch_s: float) -> str:
    return _dt.datetime.fromtimestamp(epoch_s, _dt.UTC).astimezone().isoformat(timespec="microseconds")


def new_run_id(now_s: float | None = None) -> str:
    """``YYYYmmdd-HHMMSS-xxxxxx`` in UTC: sorts by start time, random suffix against collisions."""
    stamp = _dt.datetime.fromtimestamp(time.time() if now_s is None else now_s, _dt.UTC)
    return f"{stamp:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class _Channel:
    __slots__ = ("spec", "stem", "dtype", "fh", "samples", "dirty")

    def __init__(self, spec: ChannelSpec, stem: str, dtype: np.dtype, fh):
        self.spec = spec
        self.stem = stem
        self.dtype = dtype
        self.fh = fh
        self.samples = 0
        self.dirty = False


class RunWriter:
    """Writes one run folder; create it with :meth:`RunWriter.create`.

    Thread-safe: ``write_block`` from any thread (it only queues), ``add_channel``/``update_record``/
    ``add_attachment``/``close`` from the owner. Errors of the writer thread (disk full, ...) are kept
    and raised by the next ``write_block`` and by ``close``, never lost.
    """

    FLUSH_INTERVAL_S = 0.25  # fsync at least this often (the contract asks for <= 0.5 s)
    JOIN_TIMEOUT_S = 10.0

    def __init__(self, path: Path, record: dict, timebase: Timebase, flush_interval_s: float):
        # use RunWriter.create(); this only wires an already created folder
        self.path = path
        self.run_id = path.name
        self.timebase = timebase
        self._record = record
        self._flush_interval_s = flush_interval_s
        self._lock = threading.Lock()  # record, channels, attachments
        self._close_lock = threading.Lock()
        self._channels: dict[str, _Channel] = {}
        self._specs: dict[str, ChannelSpec] = {}
        self._specs_view = MappingProxyType(self._specs)
        self._stems: set[str] = set()
        self._queue: collections.deque[SampleBlock] = collections.deque()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._closing = False
        self._closed = False
        self._error: BaseException | None = None
        self._bad_blocks = 0
        self._bad_block_first: str | None = None
        self._flushes = 0
        self._max_batch = 0
        self._hubs: list[tuple[Hub, Any]] = []
        self._lock_fd: int | None = None
        self._started_wall_s = time.time()
        self._thread = threading.Thread(target=self._run, name=f"recorder-{self.run_id}", daemon=True)

    # ------------------------------------------------------------------ creation
    @classmethod
    def create(cls, runs_dir: str | Path, record: dict | None = None, timebase: Timebase | None = None,
               *, flush_interval_s: float | None = None) -> RunWriter:
        """Make ``runs_dir/<run_id>/``, write ``record.json`` (status ``running``) and start the writer thread.

        ``timebase`` is the clock the samples are stamped with (default: :data:`bench.timebase.DEFAULT_TIMEBASE`);
        its wall-clock anchor goes into the record so t = 0 has a date.
        """
        if record is None:
            record = {}
        if not isinstance(record, dict):
            raise RecordingError(f"run record must be a dict, not {type(record).__name__}")
        bad = [k for k in MANAGED_KEYS if k in record]
        if bad:
            raise RecordingError(f"run record: {', '.join(bad)} are set by the recorder, not by the caller")
        interval = cls.FLUSH_INTERVAL_S if flush_interval_s is None else float(flush_interval_s)
        if not 0 < interval <= 0.5:
            raise RecordingError(f"flush_interval_s must be in (0, 0.5] s, got {interval:g}")
        timebase = timebase or DEFAULT_TIMEBASE
        runs_dir = Path(runs_dir)
        try:
            runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecordingError(f"cannot create runs folder {runs_dir}: {exc}") from None
        for _ in range(20):
            run_id = new_run_id()
            path = runs_dir / run_id
            try:
                path.mkdir()
                break
            except FileExistsError:
                continue
            except OSError as exc:
                raise RecordingError(f"cannot create run folder {path}: {exc}") from None
        else:  # pragma: no cover - 20 collisions of 24 random bits within one second
            raise RecordingError(f"cannot find a free run id in {runs_dir}")
        full = {"run_id": run_id, "status": "running", "format_version": FORMAT_VERSION}
        full.update(RECORD_DEFAULTS)
        full.update(record)
        full.setdefault("software_version", bench.__version__)
        full["started_at"] = record.get("started_at") or iso_now()
        full["timebase"] = {
            "start_wall_s": timebase.start_wall_s,
            "start_wall_iso": iso_from_epoch(timebase.start_wall_s),
            "start_monotonic_s": timebase.start_monotonic_s,
        }
        full["writer"] = {"pid": os.getpid(), "host": socket.gethostname()}
        writer = cls(path, full, timebase, interval)
        try:
            (path / STREAMS_DIR).mkdir()
            writer._take_lock()
            writer._write_record()
        except BaseException:
            writer._release_lock()
            raise
        writer._thread.start()
        return writer

    def _take_lock(self) -> None:
        fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None

    def _write_record(self) -> None:
        """Atomically replace record.json; callers hold ``self._lock`` or own the writer alone."""
        try:
            text = dumps(self._record)
        except (TypeError, ValueError) as exc:
            raise RecordingError(f"run {self.run_id}: record is not JSON serialisable: {exc}") from None
        try:
            write_atomic(self.path / RECORD_FILE, text.encode("utf-8"))
        except OSError as exc:
            raise RecordingError(f"run {self.run_id}: cannot write {RECORD_FILE}: {exc}") from None

    # ------------------------------------------------------------------ public API
    @property
    def record(self) -> dict:
        """A copy of the record as last written."""
        with self._lock:
            return copy.deepcopy(self._record)

    @property
    def channels(self) -> Mapping[str, ChannelSpec]:
        """Read-only live view of the added channels (cheap: fine to test ``name in`` per block)."""
        return self._specs_view

    @property
    def closed(self) -> bool:
        return self._closed

    def add_channel(self, spec: ChannelSpec) -> None:
        """Declare a channel (before or during the run); its sidecar JSON is written at once.

        Adding the same spec again is a no-op; a different spec under a known name is an error.
        """
        if not isinstance(spec, ChannelSpec):
            raise RecordingError(f"run {self.run_id}: add_channel needs a ChannelSpec, not {type(spec).__name__}")
        if not spec.name:
            raise RecordingError(f"run {self.run_id}: a channel needs a name")
        if self._closing:
            raise RecordingError(f"run {self.run_id}: add_channel({spec.name!r}) after close")
        try:
            dtype = record_dtype(spec.dtype)
        except (TypeError, ValueError) as exc:
            raise RecordingError(f"run {self.run_id}: channel {spec.name!r}: bad dtype {spec.dtype!r}: {exc}") from None
        except RecordingError as exc:
            raise RecordingError(f"run {self.run_id}: channel {spec.name!r}: {exc}") from None
        with self._lock:
            known = self._channels.get(spec.name)
            if known is not None:
                if known.spec != spec:
                    raise RecordingError(f"run {self.run_id}: channel {spec.name!r} already added with "
                                         f"{known.spec}, now {spec}")
                return
            stem = channel_file_stem(spec.name, self._stems)
            streams = self.path / STREAMS_DIR
            sidecar = {
                "format_version": FORMAT_VERSION,
                **asdict(spec),
                "data_file": f"{stem}.bin",
                "record": {"fields": [[n, dtype.fields[n][0].str] for n in dtype.names],
                           "itemsize": dtype.itemsize},
                "added_at": iso_now(),
            }
            try:
                write_atomic(streams / f"{stem}.json", dumps(sidecar).encode("utf-8"))
                fh = open(streams / f"{stem}.bin", "ab")
            except OSError as exc:
                raise RecordingError(
                    f"run {self.run_id}: cannot create files of channel {spec.name!r}: {exc}") from None
            self._stems.add(stem.lower())
            self._channels[spec.name] = _Channel(spec, stem, dtype, fh)
            self._specs[spec.name] = spec

    def write_block(self, block: SampleBlock) -> None:
        """Queue ``block`` for the writer thread; never blocks, any thread, usable as a Hub callback."""
        if self._closing:
            raise RecordingError(f"run {self.run_id}: block for {block.channel!r} after close")
        if self._error is not None:
            raise RecordingError(f"run {self.run_id}: recorder failed: {self._error}")
        if block.channel not in self._channels:
            raise RecordingError(f"run {self.run_id}: block for channel {block.channel!r}, "
                                 "which was not added (call add_channel first)")
        self._queue.append(block)

    def attach(self, hub: Hub, channels=None) -> None:
        """Record ``hub``'s channels (all, or the names given): add the known ones, then follow new ones.

        A block of a channel the hub registered after this call is added on its first block. ``close``
        detaches from the hub before flushing.
        """
        wanted = None if channels is None else frozenset(channels)
        for name, spec in hub.channels.items():
            if wanted is None or name in wanted:
                self.add_channel(spec)

        def on_block(block: SampleBlock, _hub=hub) -> None:
            if block.channel not in self._channels:
                spec = _hub.channels.get(block.channel)
                if spec is None:
                    raise RecordingError(f"run {self.run_id}: block for channel {block.channel!r}, "
                                         "which the hub never registered")
                self.add_channel(spec)
            self.write_block(block)

        hub.add_callback(on_block, wanted)
        self._hubs.append((hub, on_block))

    def update_record(self, **fields: Any) -> None:
        """Merge top-level ``fields`` into record.json (atomic replace)."""
        bad = [k for k in fields if k in MANAGED_KEYS]
        if bad:
            raise RecordingError(f"run {self.run_id}: {', '.join(bad)} are set by the recorder")
        with self._lock:
            old = dict(self._record)
            self._record.update(fields)
            try:
                self._write_record()
            except RecordingError:
                self._record = old
                raise

    def add_attachment(self, name: str, data: bytes | bytearray | memoryview | str) -> Path:
        """Store ``data`` as ``attachments/<name>`` (a plain file name, no folders); returns its path."""
        if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name \
                or name.startswith(".") or "\0" in name:
            raise RecordingError(f"run {self.run_id}: bad attachment name {name!r} (a plain file name)")
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise RecordingError(f"run {self.run_id}: attachment {name!r} needs bytes, not {type(data).__name__}")
        folder = self.path / ATTACHMENTS_DIR
        try:
            folder.mkdir(exist_ok=True)
            write_atomic(folder / name, bytes(data))
        except OSError as exc:
            raise RecordingError(f"run {self.run_id}: cannot write attachment {name!r}: {exc}") from None
        return folder / name

    def stats(self) -> dict[str, Any]:
        """Counters: samples written per channel, bad blocks, flushes, largest batch, queued blocks."""
        return {
            "samples": {name: ch.samples for name, ch in self._channels.items()},
            "bad_blocks": self._bad_blocks,
            "bad_block_first": self._bad_block_first,
            "flushes": self._flushes,
            "max_batch_blocks": self._max_batch,
            "queued_blocks": len(self._queue),
        }

    def flush(self, timeout_s: float = 5.0) -> None:
        """Wait until every block queued before this call is on disk (tests, checkpoints)."""
        deadline = time.monotonic() + timeout_s
        target = self._flushes + 2  # one flush may already be half done
        while self._flushes < target and self._thread.is_alive():
            self._wake.set()
            if time.monotonic() > deadline:
                raise RecordingError(f"run {self.run_id}: flush not done within {timeout_s:g} s")
            time.sleep(min(0.01, self._flush_interval_s / 4))
        if self._error is not None:
            raise RecordingError(f"run {self.run_id}: recorder failed: {self._error}")

    def read(self, channel: str, timeout_s: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
        """``(t_s, values)`` of ``channel`` recorded so far (flushes first): for sequences that analyse
        what they just recorded."""
        from bench.recording.run import open_run

        if not self._closed:
            self.flush(timeout_s)
        return open_run(self.path).read(channel)

    def close(self, outcome: str) -> None:
        """Flush, stop the writer thread and mark the run complete with ``outcome``; idempotent."""
        if outcome not in OUTCOMES:
            raise RecordingError(f"run {self.run_id}: outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        with self._close_lock:
            if self._closed:
                return
            self._closing = True
            for hub, callback in self._hubs:
                hub.remove_callback(callback)
            self._hubs.clear()
            self._stop.set()
            self._wake.set()
            self._thread.join(self.JOIN_TIMEOUT_S)
            if self._thread.is_alive():
                raise RecordingError(f"run {self.run_id}: writer thread did not stop within "
                                     f"{self.JOIN_TIMEOUT_S:g} s (disk hung?)")
            if self._error is None:
                self._flush_once()  # blocks queued while the thread was finishing
            for ch in self._channels.values():
                try:
                    ch.fh.close()
                except OSError as exc:
                    self._error = self._error or exc
            fsync_dir(self.path / STREAMS_DIR)
            with self._lock:
                self._record.update(
                    status="complete",
                    outcome=outcome,
                    stopped_at=iso_now(),
                    duration_s=round(time.time() - self._started_wall_s, 6),
                    channels={name: {"unit": ch.spec.unit, "samples": ch.samples}
                              for name, ch in self._channels.items()},
                    recorder={k: v for k, v in self.stats().items() if k != "samples"},
                )
                if self._error is not None:
                    self._record["recorder_error"] = str(self._error)
                try:
                    self._write_record()
                finally:
                    self._release_lock()
                    self._closed = True
            if self._error is not None:
                raise RecordingError(f"run {self.run_id}: recorder failed, samples after the failure "
                                     f"are missing: {self._error}")

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close("ERROR" if exc_type is not None else "DONE")

    # ------------------------------------------------------------------ writer thread
    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            self._flush_once()
            if self._error is not None:
                return
        # close() does the final flush after join, so nothing is written concurrently

    def _flush_once(self) -> None:
        try:
            self._write_queued()
        except Exception as exc:  # disk full, I/O error: kept, raised by write_block and close
            self._error = exc

    def _write_queued(self) -> None:
        queue = self._queue
        batch: dict[str, list[SampleBlock]] = {}
        count = 0
        while queue:
            block = queue.popleft()
            batch.setdefault(block.channel, []).append(block)
            count += 1
        self._max_batch = max(self._max_batch, count)
        for name, blocks in batch.items():
            ch = self._channels[name]
            total = sum(len(b) for b in blocks)
            rec = np.empty(total, ch.dtype)
            t, v, f = rec["t_s"], rec["value"], rec["flags"]
            i = 0
            for b in blocks:
                k = len(b)
                try:
                    t[i:i + k] = b.t_s
                    v[i:i + k] = b.values
                    f[i:i + k] = 0 if b.flags is None else b.flags
                except (TypeError, ValueError) as exc:  # a bad block is counted, the rest still recorded
                    self._bad_blocks += 1
                    if self._bad_block_first is None:
                        self._bad_block_first = f"{name}: {exc}"
                    continue
                i += k
            if i:
                ch.fh.write(rec[:i].tobytes())
                ch.samples += i
                ch.dirty = True
        for ch in tuple(self._channels.values()):  # snapshot: add_channel may run meanwhile
            if ch.dirty:
                ch.fh.flush()
                os.fsync(ch.fh.fileno())
                ch.dirty = False
        self._flushes += 1
