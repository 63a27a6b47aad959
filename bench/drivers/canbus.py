"""One CAN bus of the bench: python-can Bus + canopen Network, SYNC producer, heartbeat consumer,
and the batched PDO ingest path.

Why batched: a saturated 1 Mbit/s bus carries ~8,000 frames/s; decoding each through canopen's
``PdoVariable.raw`` costs tens of microseconds per frame in Python.  Here the receive thread (the
one python-can ``Notifier`` of the bus) only appends ``(timestamp, data)`` to a deque per COB-ID;
a decoder thread wakes every ``decode_period_s``, joins each COB-ID's frames and decodes them in one
``np.frombuffer`` with the structured dtype of the PDO mapping (:mod:`bench.protocols.pdo_codec`).

Errors found in either thread (a PDO of the wrong length, a TPDO nobody mapped, a silent node) are
counted and handed to the owner of the node (its driver's ``report_error``) or, for nodes without a
driver, to the bus's ``on_error`` callbacks; neither thread ever dies from a bad frame.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import can
import canopen
import numpy as np

from bench.errors import (
    BenchError,
    DeviceFault,
    DeviceTimeoutError,
    ProtocolError,
    TransportError,
)
from bench.protocols import canopen_301 as co
from bench.protocols.pdo_codec import decode_frames
from bench.timebase import DEFAULT_TIMEBASE, Timebase

log = logging.getLogger(__name__)

# Handler of a decoded batch: (records: structured array, t_s: float64 array on the timebase)
BatchHandler = Callable[[np.ndarray, np.ndarray], None]
ErrorHandler = Callable[[BaseException], None]

_ALL_TPDO_IDS = frozenset(base + n for base in co.TPDO_BASE for n in range(1, 128))


@dataclass
class PdoStats:
    """Counters of one COB-ID on the ingest path."""

    frames: int = 0
    bad_length: int = 0
    batches: int = 0


@dataclass
class _Stream:
    cob_id: int
    dtype: np.dtype
    handler: BatchHandler
    owner: str
    on_error: ErrorHandler | None
    t: collections.deque = field(default_factory=collections.deque)
    data: collections.deque = field(default_factory=collections.deque)
    stats: PdoStats = field(default_factory=PdoStats)


@dataclass
class _Heartbeat:
    node_id: int
    owner: str
    timeout_s: float
    on_error: ErrorHandler | None
    last_monotonic_s: float | None = None
    state: co.NmtState | None = None
    silent: bool = False  # a loss has been reported and the node has not come back yet
    expected_at_s: float = 0.0  # monotonic time from which a heartbeat is due


class _Collector(can.Listener):
    """Runs in the Notifier thread: sorts TPDO frames into per-COB-ID deques, nothing more."""

    def __init__(self, bus: CanBus):
        self._bus = bus

    def on_message_received(self, msg: can.Message) -> None:
        cid = msg.arbitration_id
        stream = self._bus._streams.get(cid)
        if stream is not None:
            stream.t.append(msg.timestamp)  # t first: the decoder counts data, so t is never short
            stream.data.append(msg.data)
        elif cid in self._bus._unknown_ids and not msg.is_remote_frame:
            self._bus._unknown.append((cid, bytes(msg.data)))

    def on_error(self, exc: Exception) -> None:  # python-can calls this for receive errors
        self._bus._report_bus_error(TransportError(f"CAN bus {self._bus.channel!r}: receive error: {exc}"))

    def stop(self) -> None:
        pass


class CanBus:
    """A CAN bus shared by the CANopen drivers on it.

    ``CanBus(interface, channel, bitrate, sync_rate_hz, timebase)`` opens the python-can bus and a
    ``canopen.Network`` on it (one ``Notifier``).  SYNC starts with :meth:`start_sync` (the rig calls
    it once every node is configured); :meth:`close` stops everything and is idempotent.
    """

    def __init__(self, interface: str, channel: str, bitrate: int = 1_000_000, sync_rate_hz: float = 1000.0,
                 timebase: Timebase | None = None, *, decode_period_s: float = 0.01, **bus_kwargs):
        self.interface = interface
        self.channel = channel
        self.bitrate = bitrate
        self.sync_rate_hz = float(sync_rate_hz)
        self.timebase = timebase or DEFAULT_TIMEBASE
        self.decode_period_s = decode_period_s
        self._streams: dict[int, _Stream] = {}
        self._unknown: collections.deque[tuple[int, bytes]] = collections.deque()
        self._unknown_ids = _ALL_TPDO_IDS  # TPDO COB-IDs that no driver maps and none has retired
        self.unknown_counts: dict[int, int] = {}
        self._heartbeats: dict[int, _Heartbeat] = {}
        self._owners: dict[int, ErrorHandler] = {}  # node id → its driver's error handler
        self._error_callbacks: list[ErrorHandler] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._closed = False
        self._sync_running = False
        self._decoder: threading.Thread | None = None
        # python-can timestamps are wall-clock seconds (time.time()); map them to the timebase
        self._wall_to_monotonic_s = time.monotonic() - time.time()
        kwargs = dict(bus_kwargs)
        if interface != "virtual":
            kwargs.setdefault("bitrate", bitrate)
        self.bus = can.Bus(interface=interface, channel=channel, **kwargs)
        try:
            self.network = canopen.Network(self.bus)
            self.network.listeners.append(_Collector(self))
            self.network.NOTIFIER_CYCLE = 0.05  # notifier thread notices close() quickly
            self.network.connect()
            self._decoder = threading.Thread(target=self._decode_loop, name=f"can-decode-{channel}", daemon=True)
            self._decoder.start()
        except BaseException:
            self.bus.shutdown()
            raise

    # --- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> CanBus:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop SYNC, the decoder and the notifier; shut the bus down.  Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.stop_sync()
        self._stop.set()
        if self._decoder is not None:
            self._decoder.join(timeout=2.0)
        for node in list(self.network.nodes.values()):
            if hasattr(node, "pdo"):
                node.pdo.stop()
        try:
            if self.network.notifier is not None:
                self.network.notifier.stop(2.0)
        finally:
            self.bus.shutdown()

    # --- SYNC producer -----------------------------------------------------------------------
    def start_sync(self) -> None:
        """Start the SYNC producer at ``sync_rate_hz`` (0: no SYNC on this bus)."""
        if self.sync_rate_hz > 0 and not self._sync_running and not self._closed:
            self.network.sync.start(1.0 / self.sync_rate_hz)
            self._sync_running = True

    def stop_sync(self) -> None:
        if self._sync_running:
            self.network.sync.stop()
            self._sync_running = False

    @property
    def sync_running(self) -> bool:
        return self._sync_running

    # --- registration by drivers ---------------------------------------------------------------
    def register_node(self, node_id: int, owner: str, on_error: ErrorHandler) -> None:
        """Route errors about ``node_id`` (unknown TPDOs, heartbeat loss) to its driver."""
        with self._lock:
            self._owners[node_id] = on_error

    def unregister_node(self, node_id: int) -> None:
        with self._lock:
            self._owners.pop(node_id, None)
            self._heartbeats.pop(node_id, None)
            for cid in [c for c, s in self._streams.items() if (c & 0x7F) == node_id]:
                self.remove_stream(cid)
        if self._on_heartbeat in self.network.subscribers.get(co.HEARTBEAT_BASE + node_id, ()):
            self.network.unsubscribe(co.HEARTBEAT_BASE + node_id, self._on_heartbeat)

    def add_stream(self, cob_id: int, dtype: np.dtype, handler: BatchHandler, *, owner: str,
                   on_error: ErrorHandler | None = None) -> None:
        """Decode the frames of ``cob_id`` in batches with ``dtype`` and hand them to ``handler``."""
        streams = dict(self._streams)
        streams[cob_id] = _Stream(cob_id, np.dtype(dtype), handler, owner, on_error)
        self._streams = streams  # replaced whole: the collector reads it without a lock

    def remove_stream(self, cob_id: int) -> None:
        """Stop decoding ``cob_id``; its frames are then dropped quietly (the node may still send
        them until the bus closes), not reported as unknown."""
        streams = dict(self._streams)
        streams.pop(cob_id, None)
        self._streams = streams
        self._unknown_ids = self._unknown_ids - {cob_id}

    def stream_stats(self, cob_id: int) -> PdoStats | None:
        s = self._streams.get(cob_id)
        return None if s is None else s.stats

    def watch_heartbeat(self, node_id: int, owner: str, timeout_s: float, on_error: ErrorHandler | None) -> None:
        """Heartbeat consumer: a node silent for longer than ``timeout_s`` is reported as
        :class:`DeviceTimeoutError`; a boot-up message of a running node as :class:`DeviceFault`."""
        hb = _Heartbeat(node_id, owner, timeout_s, on_error, expected_at_s=time.monotonic())
        with self._lock:
            self._heartbeats[node_id] = hb
        self.network.subscribe(co.HEARTBEAT_BASE + node_id, self._on_heartbeat)

    def heartbeat_state(self, node_id: int) -> co.NmtState | None:
        hb = self._heartbeats.get(node_id)
        return None if hb is None else hb.state

    def add_error_callback(self, callback: ErrorHandler) -> None:
        """Errors that belong to no registered node (e.g. TPDOs of unknown nodes)."""
        self._error_callbacks.append(callback)

    # --- threads ---------------------------------------------------------------------------
    def _on_heartbeat(self, can_id: int, data: bytearray, timestamp: float) -> None:
        hb = self._heartbeats.get(can_id - co.HEARTBEAT_BASE)
        if hb is None:
            return
        state = co.decode_heartbeat(bytes(data))
        if state is None:
            self._report(hb.node_id, hb.on_error, ProtocolError(
                f"{hb.owner} (node {hb.node_id})", f"heartbeat 0x{can_id:03X} with undefined content", bytes(data)))
            return
        was_running = hb.state in (co.NmtState.OPERATIONAL, co.NmtState.PRE_OPERATIONAL, co.NmtState.STOPPED)
        hb.last_monotonic_s = time.monotonic()
        hb.silent = False
        hb.state = state
        if state is co.NmtState.BOOT_UP and was_running:
            self._report(hb.node_id, hb.on_error, DeviceFault(
                f"{hb.owner} (node {hb.node_id})", None, "boot-up message: the node has reset"))

    def _decode_loop(self) -> None:
        while not self._stop.wait(self.decode_period_s):
            try:
                self.decode_pending()
                self._check_heartbeats()
            except Exception as exc:  # never let the decoder die; report what broke
                log.exception("CAN decoder")
                self._report_bus_error(TransportError(f"CAN bus {self.channel!r}: decoder error: {exc!r}"))

    def decode_pending(self) -> int:
        """Decode every frame collected so far; returns the number of frames decoded.

        Called by the decoder thread; a consumer may call it too (e.g. a benchmark without the
        thread).  Not re-entrant: one caller at a time.
        """
        total = 0
        offset = self._wall_to_monotonic_s - self.timebase.start_monotonic_s
        for stream in tuple(self._streams.values()):
            n = len(stream.data)
            if not n:
                continue
            pop_d, pop_t = stream.data.popleft, stream.t.popleft
            datas = [pop_d() for _ in range(n)]
            ts = np.fromiter((pop_t() for _ in range(n)), dtype=np.float64, count=n)
            records, bad = decode_frames(datas, stream.dtype)
            stream.stats.frames += n
            stream.stats.batches += 1
            if bad.any():
                nbad = int(bad.sum())
                stream.stats.bad_length += nbad
                first = datas[int(np.argmax(bad))]
                self._report(stream.cob_id & 0x7F, stream.on_error, ProtocolError(
                    f"{stream.owner} (node {stream.cob_id & 0x7F})",
                    f"{nbad} PDO frame(s) on 0x{stream.cob_id:03X} of length {len(first)}, "
                    f"mapping has {stream.dtype.itemsize} bytes (total so far {stream.stats.bad_length})",
                    bytes(first)))
                ts = ts[~bad]
            total += n
            if len(records):
                try:
                    stream.handler(records, ts + offset)
                except Exception as exc:
                    log.exception("PDO handler of %s", stream.owner)
                    self._report(stream.cob_id & 0x7F, stream.on_error, TransportError(
                        f"{stream.owner}: error handling PDO 0x{stream.cob_id:03X}: {exc!r}"))
        if self._unknown:
            fresh: dict[int, bytes] = {}
            for _ in range(len(self._unknown)):
                cid, data = self._unknown.popleft()
                if cid not in self.unknown_counts:
                    fresh.setdefault(cid, data)
                self.unknown_counts[cid] = self.unknown_counts.get(cid, 0) + 1
            for cid, data in fresh.items():  # reported once per COB-ID; counted always
                node = cid & 0x7F
                owner = self._owners.get(node)
                self._report(node, owner, ProtocolError(
                    f"CAN bus {self.channel!r} node {node}", f"PDO with unknown COB-ID 0x{cid:03X} "
                    "(no mapping configured for it)", data), route_to_bus=owner is None)
        return total

    def _check_heartbeats(self) -> None:
        now = time.monotonic()
        for hb in tuple(self._heartbeats.values()):
            last = hb.last_monotonic_s if hb.last_monotonic_s is not None else hb.expected_at_s
            if not hb.silent and now - last > hb.timeout_s:
                hb.silent = True
                self._report(hb.node_id, hb.on_error, DeviceTimeoutError(
                    f"{hb.owner} (node {hb.node_id})", f"heartbeat 0x{co.HEARTBEAT_BASE + hb.node_id:03X}",
                    hb.timeout_s))

    def _report(self, node_id: int, handler: ErrorHandler | None, exc: BenchError,
                route_to_bus: bool = False) -> None:
        handler = handler or self._owners.get(node_id)
        if handler is None or route_to_bus:
            self._report_bus_error(exc)
            return
        try:
            handler(exc)
        except Exception:
            log.exception("error handler of node %d", node_id)

    def _report_bus_error(self, exc: BaseException) -> None:
        self.errors.append(exc)
        del self.errors[:-1000]
        for cb in list(self._error_callbacks):
            try:
                cb(exc)
            except Exception:
                log.exception("bus error callback")
