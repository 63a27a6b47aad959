"""The CiA 301 part every simulated CANopen node shares: NMT slave, boot-up, heartbeat, SDO server,
PDO engine, SYNC, EMCY and fault injection. The nodes of one channel share one python-can bus and one
thread (:mod:`.bushub`), which hands each frame to the nodes that listen to it and runs their timers.

The SDO server is ``canopen``'s own :class:`canopen.sdo.SdoServer` (expedited and segmented
transfers), fed by our thread and answering through our send path so fault injection applies to it.
Everything else (NMT states, heartbeat, PDO scheduling, EMCY) is here. A profile (CiA 402 drive,
CiA 406 encoder) subclasses :class:`SimulatedNode` and fills in process values and write side effects.
"""

from __future__ import annotations

import heapq
import logging
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import can
from canopen.sdo import SdoServer
from canopen.sdo.exceptions import SdoAbortedError

from .bushub import BusHub
from .dictionary import (
    ABORT_DEVICE_STATE,
    ABORT_GENERAL,
    ABORT_READ_WRITE_ONLY,
    ABORT_UNSUPPORTED_ACCESS,
    ABORT_VALUE_RANGE,
    ABORT_WRITE_READ_ONLY,
    ObjectStore,
    abort,
    load_dictionary,
)
from .faults import FaultInjector
from .pdo import COB_INVALID, PdoLayout, compile_mapping, read_layout

log = logging.getLogger(__name__)

NMT_STATE_BYTE = {"INITIALISING": 0x00, "STOPPED": 0x04, "OPERATIONAL": 0x05, "PRE-OPERATIONAL": 0x7F}
NMT_COMMANDS = {0x01: "OPERATIONAL", 0x02: "STOPPED", 0x80: "PRE-OPERATIONAL", 0x81: "RESET", 0x82: "RESET COMMUNICATION"}


@dataclass
class NodeStats:
    """What the node saw; ``errors`` keeps the text of the last bad frames / failed hooks (never swallowed)."""

    rx_frames: int = 0
    tx_frames: int = 0
    bad_frames: int = 0
    sync_count: int = 0
    errors: list = field(default_factory=list)

    def error(self, text: str) -> None:
        self.errors.append(text)
        del self.errors[:-50]


class _Wire:
    """What ``canopen``'s SdoServer sees as its network: only ``send_message``."""

    def __init__(self, node: SimulatedNode):
        self._node = node

    def send_message(self, can_id: int, data, remote: bool = False) -> None:
        self._node._send(can_id, bytes(data), "sdo")


class SimulatedNode:
    """One CANopen slave on a python-can bus (``interface="virtual"`` by default), run by one thread.

    Parameters
    ----------
    channel : bus channel name (the same name the master opens)
    node_id : 1..127
    eds_path : EDS or DCF describing the object dictionary
    name : used in messages (the bus thread is ``sim-can-<channel>``)
    tick_s : period of the internal update (profiles, event PDOs, fault checks) between SYNCs
    strict_pdo_mapping : refuse mapping objects whose EDS entry says ``PDOMapping=0``
    """

    def __init__(self, channel: str, node_id: int, eds_path: str | Path, *, name: str,
                 interface: str = "virtual", tick_s: float = 0.002, strict_pdo_mapping: bool = False):
        if not 1 <= int(node_id) <= 127:
            raise ValueError(f"{name}: node id must be 1..127, got {node_id}")
        self.channel = channel
        self.node_id = int(node_id)
        self.name = name
        self.interface = interface
        self.tick_s = float(tick_s)
        self.strict_pdo_mapping = strict_pdo_mapping
        self.eds_path = Path(eds_path)
        self.object_dictionary = load_dictionary(self.eds_path, self.node_id)
        self.store = ObjectStore(self.object_dictionary)
        self.faults = FaultInjector()
        self.stats = NodeStats()
        self.nmt_state = "INITIALISING"
        self._lock = threading.RLock()
        self._hub: BusHub | None = None
        self._next_tick = 0.0
        self._delayed: list = []
        self._seq = 0
        self._last_due = 0.0
        self._hb_stopped = False
        self._next_hb = float("inf")
        self._sdo_rx = 0x600 + self.node_id
        self._guard_cob = 0x700 + self.node_id
        self._guard_toggle = 0
        self._sdo = SdoServer(0x600 + self.node_id, 0x580 + self.node_id, self)
        self._sdo.network = _Wire(self)
        self._tpdos: list[PdoLayout] = []
        self._rpdos: list[PdoLayout] = []
        self._rpdo_by_cob: dict[int, PdoLayout] = {}
        self._sync_cob = 0x80
        self._emcy_cob: int | None = 0x80 + self.node_id
        self._process_ok = True    # False: the profile has no valid process data (no TPDOs)
        self._requests: list = []  # callables queued by other threads, run by the node thread
        self._init_pdos()

    # ---------------------------------------------------------------- life cycle
    def start(self) -> None:
        """Join the channel's bus hub, send the boot-up message and enter PRE-OPERATIONAL."""
        if self._hub is not None:
            return
        with self._lock:
            self._next_tick = time.monotonic()
            self._hub = BusHub.attach(self)
            self._boot()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Leave the hub (the last node stops its thread, joined with a timeout, and shuts the bus down);
        idempotent."""
        hub, self._hub = self._hub, None
        if hub is not None:
            hub.detach(self, timeout_s)

    close = stop

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        hub = self._hub
        return hub is not None and hub.thread.is_alive()

    # ---------------------------------------------------------------- fault injection (any thread)
    def stop_heartbeat(self) -> None:
        """Stop producing heartbeats (the node keeps working otherwise), as a broken node would."""
        self._hb_stopped = True

    def resume_heartbeat(self) -> None:
        self._hb_stopped = False
        self._next_hb = time.monotonic()

    def call_soon(self, fn) -> None:
        """Run ``fn()`` in the bus thread at its next wake-up (under the node lock)."""
        with self._lock:
            self._requests.append(fn)
            self._next_tick = 0.0

    # ---------------------------------------------------------------- called by the hub thread
    def _next_wake(self) -> float:
        wake = self._next_tick if self._next_tick < self._next_hb else self._next_hb
        if self._delayed and self._delayed[0][0] < wake:
            return self._delayed[0][0]
        return wake

    def _listens(self, cob: int) -> bool:
        """Whether a frame with this COB-ID means anything to this node (checked without the lock)."""
        return (cob == 0 or cob == self._sync_cob or cob == self._sdo_rx or cob in self._rpdo_by_cob
                or cob == self._guard_cob)

    def _on_frame(self, msg: can.Message) -> None:
        with self._lock:
            if self._hub is None:
                return
            self.stats.rx_frames += 1
            if self.faults.drop_rx_fraction and self.faults.should_drop_rx():
                return
            try:
                self._dispatch(msg)
            except Exception as exc:  # a bad frame must never kill the bus thread
                self.stats.bad_frames += 1
                self.stats.error(f"{self.name}: frame 0x{msg.arbitration_id:03X} {bytes(msg.data).hex()} "
                                 f"rejected: {exc!r}")

    def _service(self, now: float) -> None:
        with self._lock:
            if self._hub is None:
                return
            try:
                if self._requests:
                    requests, self._requests = self._requests, []
                    for fn in requests:
                        fn()
                if now >= self._next_tick:
                    self._next_tick = now + self.tick_s
                    self._tick(now)
                if now >= self._next_hb:
                    self._heartbeat(now)
                self._flush_delayed(now)
            except Exception as exc:
                self.stats.error(f"{self.name}: internal update failed: {exc!r}")
                log.exception("%s: internal update failed", self.name)

    def _dispatch(self, msg: can.Message) -> None:
        cob = msg.arbitration_id
        if msg.is_error_frame:
            return
        if msg.is_remote_frame:
            if cob == 0x700 + self.node_id:   # node guarding (CiA 301): state with a toggling bit 7
                self._send(cob, bytes((self._guard_toggle | NMT_STATE_BYTE[self.nmt_state],)), "heartbeat")
                self._guard_toggle ^= 0x80
            return
        data = msg.data
        if cob == 0:
            self._nmt(data)
            return
        state = self.nmt_state
        if state == "STOPPED" or state == "INITIALISING":
            return
        if cob == self._sync_cob:
            self._sync()
        elif cob == self._sdo_rx:
            if len(data) != 8:
                self.stats.bad_frames += 1
                self.stats.error(f"{self.name}: SDO request of {len(data)} bytes ignored")
                return
            self._sdo.on_request(cob, bytes(data), msg.timestamp)
            self._after_frame()
        elif state == "OPERATIONAL":
            layout = self._rpdo_by_cob.get(cob)
            if layout is not None:
                self._receive_rpdo(layout, bytes(data))
                self._after_frame()

    # ---------------------------------------------------------------- NMT
    def _nmt(self, data) -> None:
        if len(data) != 2:
            raise ValueError(f"NMT command of {len(data)} bytes")
        command, target = data[0], data[1]
        if target not in (0, self.node_id):
            return
        what = NMT_COMMANDS.get(command)
        if what is None:
            raise ValueError(f"unknown NMT command 0x{command:02X}")
        if what == "RESET":
            self._reset_application()
            self.store.reset(range(0x1000, 0x10000))
            self._after_store_reset()
            self._boot()
        elif what == "RESET COMMUNICATION":
            self.store.reset(range(0x1000, 0x2000))
            self._after_store_reset()
            self._boot()
        else:
            self._set_nmt_state(what)

    def _boot(self) -> None:
        self.nmt_state = "INITIALISING"
        self._guard_toggle = 0
        self._init_pdos()
        self._send(0x700 + self.node_id, b"\x00", "bootup")
        self._set_nmt_state("PRE-OPERATIONAL")
        self._schedule_heartbeat(time.monotonic())

    def _set_nmt_state(self, state: str) -> None:
        previous, self.nmt_state = self.nmt_state, state
        if state == "OPERATIONAL" and previous != "OPERATIONAL":
            now = time.monotonic()
            for layout in self._tpdos:  # event-driven TPDOs go out once on entering OPERATIONAL
                layout.last_data = None
                layout.last_sent_s = -1e9
                layout.next_event_s = now + layout.event_timer_s
            self._update_process(now, sync=False)
            self._service_event_tpdos(now)
        if previous != state:
            self._schedule_heartbeat(time.monotonic(), immediate=previous != "INITIALISING")

    def _schedule_heartbeat(self, now: float, immediate: bool = False) -> None:
        period_ms = int(self.store.get(0x1017, 0, 0) or 0)
        self._next_hb = float("inf") if period_ms <= 0 else (now if immediate else now + period_ms / 1000.0)

    def _heartbeat(self, now: float) -> None:
        period_ms = int(self.store.get(0x1017, 0, 0) or 0)
        if period_ms <= 0:
            self._next_hb = float("inf")
            return
        self._next_hb = now + period_ms / 1000.0
        if not self._hb_stopped:
            self._send(0x700 + self.node_id, bytes((NMT_STATE_BYTE[self.nmt_state],)), "heartbeat")

    # ---------------------------------------------------------------- sending
    def _send(self, cob: int, data: bytes, kind: str) -> None:
        if self.faults.active:
            data, delay = self.faults.outgoing(kind, data)
            if data is None:
                return
            if delay > 0 or self._delayed:
                self._seq += 1  # keep the order: a frame never overtakes one delayed before it
                self._last_due = max(time.monotonic() + delay, self._last_due)
                heapq.heappush(self._delayed, (self._last_due, self._seq, cob, data))
                return
        self._put(cob, data)

    def _put(self, cob: int, data: bytes) -> None:
        hub = self._hub
        if hub is None:
            return
        hub.send(can.Message(arbitration_id=cob, data=data, is_extended_id=cob > 0x7FF), self)
        self.stats.tx_frames += 1

    def _flush_delayed(self, now: float) -> None:
        while self._delayed and self._delayed[0][0] <= now:
            _, _, cob, data = heapq.heappop(self._delayed)
            self._put(cob, data)

    def send_emcy(self, code: int, register: int, manufacturer: bytes = b"") -> None:
        """Send an EMCY (CiA 301: code, error register, 5 manufacturer bytes) and log it in 0x1003."""
        self.store.set_if_present(0x1001, 0, register & 0xFF)
        if code and self.store.has(0x1003, 0):
            depth = max(s for s in self.object_dictionary[0x1003].subindices)
            history = [self.store.get(0x1003, s, 0) for s in range(1, depth + 1)]
            history = [code | (int.from_bytes(manufacturer[:2].ljust(2, b"\0"), "little") << 16)] + history[:-1]
            for s, v in enumerate(history, 1):
                self.store.set(0x1003, s, v)
            self.store.set(0x1003, 0, min(depth, int(self.store.get(0x1003, 0, 0) or 0) + 1))
        if self._emcy_cob is None or self.nmt_state not in ("PRE-OPERATIONAL", "OPERATIONAL"):
            return
        payload = struct.pack("<HB", code & 0xFFFF, register & 0xFF) + bytes(manufacturer[:5]).ljust(5, b"\0")
        self._send(self._emcy_cob, payload, "emcy")

    # ---------------------------------------------------------------- SDO server hooks (canopen SdoServer)
    def get_data(self, index: int, subindex: int, check_readable: bool = False) -> bytes:
        var = self.store.variable(index, subindex)
        if check_readable and not var.readable:
            raise abort(ABORT_READ_WRITE_ONLY, f"0x{index:04X}:{subindex:02X} is write-only")
        self._before_read(index, subindex)
        return self.store.encode(index, subindex)

    def set_data(self, index: int, subindex: int, data: bytes, check_writable: bool = False) -> None:
        var = self.store.variable(index, subindex)
        if check_writable and not var.writable:
            raise abort(ABORT_WRITE_READ_ONLY, f"0x{index:04X}:{subindex:02X} is read-only")
        value = self.store.decode(index, subindex, bytes(data))
        try:
            self.write(index, subindex, value, source="sdo")
        except SdoAbortedError:
            raise
        except Exception as exc:
            self.stats.error(f"{self.name}: SDO write 0x{index:04X}:{subindex:02X} = {value!r} failed: {exc!r}")
            raise abort(ABORT_GENERAL) from exc

    # ---------------------------------------------------------------- writes (SDO and RPDO)
    def write(self, index: int, subindex: int, value, source: str = "sdo") -> None:
        """Store one value with its side effects; raises the SDO abort a device would give."""
        if 0x1400 <= index <= 0x1BFF:
            self._write_pdo_parameter(index, subindex, value)
            return
        if index == 0x1005:
            if int(value) & 0x40000000:
                raise abort(ABORT_VALUE_RANGE, "this node does not produce SYNC")
            self.store.set(index, subindex, value)
            self._sync_cob = int(value) & 0x1FFFFFFF
            return
        if index == 0x1014:
            self.store.set(index, subindex, value)
            self._emcy_cob = None if int(value) & COB_INVALID else int(value) & 0x1FFFFFFF
            return
        if index == 0x1003 and subindex == 0:
            if int(value) != 0:
                raise abort(ABORT_VALUE_RANGE, "0x1003:00 accepts only 0 (clear the error history)")
            for s in self.object_dictionary[0x1003].subindices:
                self.store.set(0x1003, s, 0)
            return
        self._on_write(index, subindex, value, source)
        self.store.set(index, subindex, value)
        if index == 0x1017:
            self._schedule_heartbeat(time.monotonic(), immediate=True)
        self._after_write(index, subindex, value, source)

    def _write_pdo_parameter(self, index: int, subindex: int, value) -> None:
        value = int(value)
        tx = index >= 0x1800
        base = 0x1800 if tx else 0x1400
        is_map = (index - base) >= 0x200
        number = (index - base - (0x200 if is_map else 0)) + 1
        layouts = self._tpdos if tx else self._rpdos
        layout = next((p for p in layouts if p.number == number), None)
        if layout is None:
            raise abort(ABORT_UNSUPPORTED_ACCESS, f"PDO {number} has no communication/mapping pair")
        if is_map:
            if self.nmt_state == "OPERATIONAL" and layout.valid:
                raise abort(ABORT_DEVICE_STATE, "mapping of a valid PDO cannot change in OPERATIONAL")
            count_now = int(self.store.get(index, 0, 0) or 0)
            if subindex == 0:
                if value > max(self.object_dictionary[index].subindices):
                    raise abort(ABORT_VALUE_RANGE, f"0x{index:04X}: {value} entries, only "
                                                   f"{max(self.object_dictionary[index].subindices)} exist")
                compile_mapping(self.store, index, value, self.strict_pdo_mapping)  # aborts if bad
            elif count_now != 0:
                raise abort(ABORT_UNSUPPORTED_ACCESS, f"0x{index:04X}: set sub-index 0 to 0 before changing entries")
        else:
            if subindex == 1:
                old = int(self.store.get(index, 1, 0) or 0)
                if not (old & COB_INVALID) and not (value & COB_INVALID) and (old ^ value) & 0x1FFFFFFF:
                    raise abort(ABORT_VALUE_RANGE, "invalidate the PDO (bit 31) before changing its COB-ID")
            elif subindex == 2:
                allowed = value <= 240 or value >= (252 if tx else 254)
                if not allowed:
                    raise abort(ABORT_VALUE_RANGE, f"transmission type {value} not supported")
            elif subindex == 3 and self.nmt_state == "OPERATIONAL" and layout.valid:
                raise abort(ABORT_DEVICE_STATE, "inhibit time of a valid PDO cannot change in OPERATIONAL")
        self.store.set(index, subindex, value)
        self._refresh_pdo(layout)

    def _refresh_pdo(self, layout: PdoLayout) -> None:
        try:
            read_layout(self.store, layout, self.strict_pdo_mapping)
        except SdoAbortedError as exc:
            self.stats.error(f"{self.name}: {'T' if layout.tx else 'R'}PDO{layout.number} left invalid: {exc}")
        if not layout.tx:
            self._rpdo_by_cob = {p.cob_id: p for p in self._rpdos if p.valid and p.codec.size}
        layout.next_event_s = time.monotonic() + layout.event_timer_s

    def _init_pdos(self) -> None:
        od = self.object_dictionary
        self._tpdos = [PdoLayout(True, n + 1, 0x1800 + n, 0x1A00 + n) for n in range(512)
                       if 0x1800 + n in od and 0x1A00 + n in od]
        self._rpdos = [PdoLayout(False, n + 1, 0x1400 + n, 0x1600 + n) for n in range(512)
                       if 0x1400 + n in od and 0x1600 + n in od]
        for layout in self._tpdos + self._rpdos:
            self._refresh_pdo(layout)
        self._sync_cob = int(self.store.get(0x1005, 0, 0x80) or 0x80) & 0x1FFFFFFF
        emcy = self.store.get(0x1014, 0, 0x80 + self.node_id)
        self._emcy_cob = None if int(emcy) & COB_INVALID else int(emcy) & 0x1FFFFFFF

    # ---------------------------------------------------------------- PDO traffic
    def _receive_rpdo(self, layout: PdoLayout, data: bytes) -> None:
        if len(data) < layout.codec.size:
            self.stats.bad_frames += 1
            self.stats.error(f"{self.name}: RPDO{layout.number} of {len(data)} bytes, mapping needs {layout.codec.size}")
            self.send_emcy(0x8210, 0x11)  # PDO not processed due to length error
            return
        if layout.synchronous:
            layout.pending = data
        else:
            self._apply_rpdo(layout, data)

    def _apply_rpdo(self, layout: PdoLayout, data: bytes) -> None:
        values = layout.codec.unpack_from(data)
        for (index, subindex), value in zip(layout.keys, values):
            try:
                self.write(index, subindex, value, source="pdo")
            except SdoAbortedError as exc:  # an RPDO cannot be refused on the wire: count and report it
                self.stats.error(f"{self.name}: RPDO{layout.number} value 0x{index:04X}:{subindex:02X}={value} "
                                 f"refused: {exc}")

    def _sync(self) -> None:
        self.stats.sync_count += 1
        if self.nmt_state != "OPERATIONAL":
            return
        for layout in self._rpdos:
            if layout.pending is not None:
                data, layout.pending = layout.pending, None
                self._apply_rpdo(layout, data)
        now = time.monotonic()
        self._on_sync(now)
        self._update_process(now, sync=True)
        self._next_tick = now + self.tick_s       # just updated: the next tick can wait
        if not self._process_ok:
            return
        values = self.store.values
        for layout in self._tpdos:
            if not layout.valid or not layout.synchronous or not layout.codec.size:
                continue
            if layout.trans_type == 0:
                data = layout.pack(values)
                if data != layout.last_data:
                    layout.last_data = data
                    self._send(layout.cob_id, data, "tpdo")
                continue
            layout.sync_counter += 1
            if layout.sync_counter >= layout.trans_type:
                layout.sync_counter = 0
                self._send(layout.cob_id, layout.pack(values), "tpdo")
        self._service_event_tpdos(now)

    def _service_event_tpdos(self, now: float) -> None:
        if self.nmt_state != "OPERATIONAL" or not self._process_ok:
            return
        values = self.store.values
        for layout in self._tpdos:
            if not layout.valid or not layout.event_driven or not layout.codec.size:
                continue
            data = layout.pack(values)
            timer_due = layout.event_timer_s > 0 and now >= layout.next_event_s
            changed = data != layout.last_data
            if (changed or timer_due) and now - layout.last_sent_s >= layout.inhibit_s:
                layout.last_data = data
                layout.last_sent_s = now
                if layout.event_timer_s > 0:
                    layout.next_event_s = now + layout.event_timer_s
                self._send(layout.cob_id, data, "tpdo")

    def _tick(self, now: float) -> None:
        self._update_process(now, sync=False)
        self._service_event_tpdos(now)

    # ---------------------------------------------------------------- profile hooks
    def _update_process(self, now: float, sync: bool) -> None:
        """Refresh process values (from the plant) into the store; called on ticks and SYNC."""

    def _on_sync(self, now: float) -> None:
        """Profile work on SYNC after RPDOs were applied and before TPDOs are sampled."""

    def _before_read(self, index: int, subindex: int) -> None:
        """Make the value fresh before an SDO upload."""

    def _on_write(self, index: int, subindex: int, value, source: str) -> None:
        """Validate a write (raise an SDO abort to refuse) before it is stored."""

    def _after_write(self, index: int, subindex: int, value, source: str) -> None:
        """Side effects of a stored write (controlword, mode, targets)."""

    def _after_frame(self) -> None:
        """After an SDO request or RPDO was handled: publish state changes at once (event TPDOs)."""

    def _reset_application(self) -> None:
        """NMT reset node: the profile's state back to power-on."""

    def _after_store_reset(self) -> None:
        """Values the profile fills in after the store went back to EDS defaults."""
