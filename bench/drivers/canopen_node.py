"""What every CANopen driver of the bench shares: the node, SDO with error translation, identity
check, heartbeat, EMCY, PDO configuration through canopen and batched PDO streaming.

The subclasses (:mod:`cia402_drive`, :mod:`cia406_encoder`) add their profile.  Errors that arrive
on the receive or decoder thread (EMCY, heartbeat loss, bad PDOs) are kept in :attr:`errors`, handed
to the callback set by :meth:`set_error_callback` (the rig trips its safe state there), and raised
again from the next blocking call of the driver.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import canopen
import numpy as np
from canopen.objectdictionary import ObjectDictionary, ODVariable
from canopen.sdo.exceptions import SdoAbortedError, SdoCommunicationError

from bench.drivers import canopen_od
from bench.drivers.canbus import CanBus
from bench.errors import (
    BenchError,
    ConfigError,
    ConfigProblem,
    DeviceFault,
    DeviceTimeoutError,
    ProtocolError,
    TransportError,
)
from bench.protocols import canopen_301 as co
from bench.protocols.canopen_emcy import decode_emcy
from bench.protocols.canopen_sdo_abort import SdoAbortError
from bench.protocols.pdo_codec import PdoField, mapping_dtype
from bench.schema import load_section
from bench.streams import SampleBlock

log = logging.getLogger(__name__)

Publish = Callable[[SampleBlock], None]


@dataclass(frozen=True)
class PdoObject:
    """An object the driver knows how to stream or command: its key in settings, index, channel."""

    key: str
    index: int
    subindex: int = 0
    quantity: str = ""  # channel suffix with unit, e.g. "position_rad"; "" = not published
    unit: str = ""


@dataclass
class _Tpdo:
    number: int
    cob_id: int
    objects: tuple[PdoObject, ...]
    dtype: np.dtype


@dataclass
class _Rpdo:
    number: int
    pdo_map: Any  # canopen PdoMap
    objects: tuple[PdoObject, ...]


class CanopenDevice:
    """Base of the CANopen drivers; see the module docstring."""

    PROFILE = 0
    SETTINGS: type = object
    TIMEOUTS: type = object
    OBJECTS: dict[str, PdoObject] = {}

    def __init__(self, bus: CanBus, node_id: int, *, name: str, eds: Path | str | None = None,
                 settings: dict | None = None, timeouts: dict | None = None, publish: Publish | None = None):
        self.bus = bus
        self.node_id = int(node_id)
        self.name = name
        self.device = f"{name} (node {node_id})"
        self.publish = publish
        self.eds = Path(eds) if eds else None
        problems: list[ConfigProblem] = []  # every problem of settings, timeouts and file at once

        def collect(step):
            try:
                return step()
            except ConfigError as exc:
                problems.extend(exc.problems)
                return None

        self.settings = collect(lambda: load_section(self.SETTINGS, settings or {}, f"devices.{name}.settings"))
        self.timeouts = collect(lambda: load_section(self.TIMEOUTS, timeouts or {}, f"devices.{name}.timeouts"))
        if self.eds is not None:
            self.od = collect(lambda: canopen_od.load_od(self.eds, self.node_id, key_path=f"devices.{name}.eds"))
        else:
            self.od = self._builtin_od()
        if self.od is not None:
            collect(self._check_file_profile)
        if self.od is not None and self.settings is not None:
            collect(lambda: canopen_od.check_objects(self.od, self._needed_objects(), device=self.device,
                                                     key_path=f"devices.{name}.eds",
                                                     source=self.eds.name if self.eds else "built-in"))
        if problems:
            raise ConfigError(problems)
        self.node = canopen.RemoteNode(self.node_id, self.od)
        self.node.sdo.RESPONSE_TIMEOUT = self.timeouts.sdo_s
        self._tpdos: list[_Tpdo] = []
        self._rpdos: list[_Rpdo] = []
        self._error_callback: Callable[[BaseException], None] | None = None
        self._errors_lock = threading.Lock()
        self.errors: list[BaseException] = []  # every error reported, for the record
        self._pending: list[BaseException] = []  # raised from the next blocking call
        self._lock = threading.RLock()  # one multi-step operation at a time (not taken by the safety path)
        self._sdo_lock = threading.Lock()  # one SDO transfer at a time (canopen's client has no lock)
        self._tx_lock = threading.RLock()  # RPDO contents and transmission; commands vs the safety path
        self._interrupted = threading.Event()  # set by quick_stop / disable: running waits give up
        self._closed = False
        self._operational = False
        self.last_emcy = None
        self.device_type: int | None = None
        self.identity: dict[str, int] = {}

    # --- to be provided by the profile --------------------------------------------------------
    def _builtin_od(self) -> ObjectDictionary:
        raise NotImplementedError

    def _needed_objects(self) -> dict[tuple[int, int], str]:
        """(index, sub) → what it is for; checked against the dictionary at construction."""
        needed = {(co.DEVICE_TYPE, 0): "device type", (co.IDENTITY, 1): "identity: vendor-ID"}
        unknown = [f"{kind.lower()}{n}" for layout, kind in ((self._tpdo_layout(), "TPDO"), (self._rpdo_layout(), "RPDO"))
                   for n, keys in enumerate(layout, 1) for k in keys if k not in self.OBJECTS]
        if unknown:  # all of them in one error
            problems = []
            for layout, kind in ((self._tpdo_layout(), "tpdo"), (self._rpdo_layout(), "rpdo")):
                for n, keys in enumerate(layout, 1):
                    for k in keys:
                        if k not in self.OBJECTS:
                            problems.append(ConfigProblem(f"devices.{self.name}.settings.{kind}{n}",
                                                          f"unknown object {k!r}; known: {', '.join(self.OBJECTS)}"))
            raise ConfigError(problems)
        for layout, base_comm, base_map, kind in ((self._tpdo_layout(), co.TPDO_COMM, co.TPDO_MAP, "TPDO"),
                                                  (self._rpdo_layout(), co.RPDO_COMM, co.RPDO_MAP, "RPDO")):
            for n, keys in enumerate(layout, 1):
                if not keys:
                    continue
                if kind == "TPDO":  # a device without the RPDO slot is commanded by SDO instead
                    needed[(base_comm + n - 1, 1)] = f"{kind}{n} COB-ID"
                    needed[(base_map + n - 1, 0)] = f"{kind}{n} mapping"
                for key in keys:
                    obj = self._object(key, f"{kind.lower()}{n}")
                    needed[(obj.index, obj.subindex)] = f"{obj.key} ({kind}{n})"
        return needed

    def _tpdo_layout(self) -> tuple[tuple[str, ...], ...]:
        return ()

    def _rpdo_layout(self) -> tuple[tuple[str, ...], ...]:
        return ()

    def _on_records(self, tpdo: _Tpdo, records: np.ndarray, t_s: np.ndarray) -> None:
        """Decoded TPDO batch (decoder thread): convert, publish, keep the latest values."""

    def _object(self, key: str, setting: str) -> PdoObject:
        try:
            return self.OBJECTS[key]
        except KeyError:
            raise ConfigError([ConfigProblem(f"devices.{self.name}.settings.{setting}",
                                             f"unknown object {key!r}; known: {', '.join(self.OBJECTS)}")]) from None

    # --- errors from other threads --------------------------------------------------------------
    def set_error_callback(self, callback: Callable[[BaseException], None] | None) -> None:
        """``callback(exc)`` is called (from the receive/decoder thread) for every asynchronous error."""
        self._error_callback = callback

    def report_error(self, exc: BaseException) -> None:
        """Keep an asynchronous error, hand it to the owner, raise it from the next blocking call."""
        with self._errors_lock:
            self.errors.append(exc)
            del self.errors[:-1000]  # a device that keeps sending bad frames must not eat the memory
            self._pending.append(exc)
            del self._pending[:-100]
        cb = self._error_callback
        if cb is not None:
            try:
                cb(exc)
            except Exception:
                log.exception("%s: error callback", self.device)

    def _raise_pending(self) -> None:
        with self._errors_lock:
            if not self._pending:
                return
            first, rest = self._pending[0], self._pending[1:]
            self._pending.clear()
        if rest:
            first.add_note(f"{len(rest)} more error(s) of {self.device} since: " + "; ".join(str(e) for e in rest))
        raise first

    def clear_errors(self) -> None:
        """Forget pending asynchronous errors (after the operator acknowledged them)."""
        with self._errors_lock:
            self._pending.clear()

    def _on_emcy(self, can_id: int, data: bytearray, timestamp: float) -> None:
        try:
            emcy = decode_emcy(bytes(data))
        except ValueError as exc:
            self.report_error(ProtocolError(self.device, f"EMCY 0x{can_id:03X}: {exc}", bytes(data)))
            return
        self.last_emcy = emcy
        if emcy.is_reset:
            return
        self.report_error(DeviceFault(self.device, emcy.code, emcy.text))

    # --- SDO with error translation -------------------------------------------------------------
    def _what(self, index: int, subindex: int) -> str:
        var = canopen_od.find(self.od, index, subindex)
        name = f" {var.name}" if var is not None else ""
        return f"0x{index:04X}:{subindex:02X}{name}"

    def sdo_read(self, index: int, subindex: int = 0) -> int | float | bytes:
        """Read an object by SDO (typed by the dictionary when it has the object)."""
        what = self._what(index, subindex)
        try:
            var = canopen_od.find(self.od, index, subindex)
            with self._sdo_lock:
                return self._sdo_upload(index, subindex, var)
        except SdoAbortedError as exc:
            raise SdoAbortError(self.device, f"upload {what}", exc.code) from None
        except SdoCommunicationError:
            raise DeviceTimeoutError(self.device, f"SDO upload {what}", self.timeouts.sdo_s) from None

    ABSENT = (0x06020000, 0x06090011)  # SDO abort codes: object / sub-index does not exist

    def sdo_read_optional(self, index: int, subindex: int = 0):
        """Like :meth:`sdo_read`, but None when the dictionary or the device lacks the object."""
        if not self._has(index, subindex):
            return None
        try:
            return self.sdo_read(index, subindex)
        except SdoAbortError as exc:
            if exc.code in self.ABSENT:
                return None
            raise

    def _sdo_upload(self, index: int, subindex: int, var):
        if var is None:
            return self.node.sdo.upload(index, subindex)
        obj = self.node.sdo[index] if isinstance(self.od[index], ODVariable) else self.node.sdo[index][subindex]
        return obj.raw

    def sdo_write(self, index: int, subindex: int, value: float | bytes) -> None:
        what = self._what(index, subindex)
        try:
            var = canopen_od.find(self.od, index, subindex)
            with self._sdo_lock:
                if var is None or isinstance(value, bytes):
                    self.node.sdo.download(index, subindex, value if isinstance(value, bytes) else bytes(value))
                    return
                obj = self.node.sdo[index] if isinstance(self.od[index], ODVariable) else self.node.sdo[index][subindex]
                obj.raw = value
        except SdoAbortedError as exc:
            raise SdoAbortError(self.device, f"download {what} = {value!r}", exc.code) from None
        except SdoCommunicationError:
            raise DeviceTimeoutError(self.device, f"SDO download {what}", self.timeouts.sdo_s) from None
        except (ValueError, struct.error, OverflowError) as exc:
            raise BenchError(f"{self.device}: cannot write {value!r} to {what}: {exc}") from None

    def _has(self, index: int, subindex: int = 0) -> bool:
        return canopen_od.find(self.od, index, subindex) is not None

    # --- connect steps -------------------------------------------------------------------------
    def _check_file_profile(self) -> None:
        value = canopen_od.device_type_default(self.od)
        if value is not None and co.decode_device_type(value).profile != self.PROFILE:
            raise ConfigError([ConfigProblem(
                f"devices.{self.name}.eds", f"{self.device}: {self.eds.name if self.eds else 'dictionary'} describes "
                f"a {co.decode_device_type(value).text} device (0x1000 = 0x{value:08X}), "
                f"this driver needs CiA {self.PROFILE}")])

    def _attach(self) -> None:
        if self.node_id in self.bus.network.nodes:
            raise ConfigError([ConfigProblem(f"devices.{self.name}.node_id",
                                             f"node {self.node_id} is already used on bus {self.bus.channel!r}")])
        self.bus.network.add_node(self.node)
        self.bus.register_node(self.node_id, self.name, self.report_error)
        self.bus.network.subscribe(co.EMCY_BASE + self.node_id, self._on_emcy)

    def _check_identity(self) -> None:
        """0x1000 profile (and exact value if the file or the settings give one); 0x1018 vendor/product."""
        value = int(self.sdo_read(co.DEVICE_TYPE))
        self.device_type = value
        problems = []
        if co.decode_device_type(value).profile != self.PROFILE:
            problems.append(f"device type 0x1000 = 0x{value:08X} ({co.decode_device_type(value).text}), "
                            f"expected a CiA {self.PROFILE} device")
        expected_type = self.settings.device_type or canopen_od.device_type_default(self.od)
        if expected_type is not None and value != expected_type and not problems:
            problems.append(f"device type 0x1000 = 0x{value:08X}, expected 0x{expected_type:08X}")
        self.identity["vendor_id"] = int(self.sdo_read(co.IDENTITY, 1))
        info = self.od.device_information
        expected_vendor = self.settings.vendor_id if self.settings.vendor_id is not None else info.vendor_number
        if expected_vendor is not None and self.identity["vendor_id"] != expected_vendor:
            problems.append(f"vendor-ID 0x1018:01 = 0x{self.identity['vendor_id']:08X}, expected 0x{expected_vendor:08X}")
        expected_product = self.settings.product_code if self.settings.product_code is not None else info.product_number
        if expected_product is not None and self._has(co.IDENTITY, 2):
            self.identity["product_code"] = int(self.sdo_read(co.IDENTITY, 2))
            if self.identity["product_code"] != expected_product:
                problems.append(f"product code 0x1018:02 = 0x{self.identity['product_code']:08X}, "
                                f"expected 0x{expected_product:08X}")
        if problems:
            raise ConfigError([ConfigProblem(f"devices.{self.name}", f"{self.device} is not the configured device: {p}")
                               for p in problems])

    def _start_heartbeat(self) -> None:
        period_ms = self.settings.heartbeat_period_ms
        if period_ms and self._has(co.PRODUCER_HEARTBEAT_TIME):
            self.sdo_write(co.PRODUCER_HEARTBEAT_TIME, 0, period_ms)
            self.bus.watch_heartbeat(self.node_id, self.name, self.timeouts.heartbeat_s, self.report_error)

    def _configure_pdos(self) -> None:
        """Write the configured PDO layout by SDO (node in PRE-OPERATIONAL) through canopen's PdoMap,
        then take the TPDOs off canopen's per-frame path and onto the batched one."""
        s = self.settings
        for n, keys in enumerate(self._tpdo_layout(), 1):
            pdo_map = self.node.tpdo[n] if self._has(co.TPDO_COMM + n - 1, 1) else None
            if pdo_map is None:
                continue
            objects = tuple(self._object(k, f"tpdo{n}") for k in keys)
            pdo_map.cob_id = co.tpdo_cob_id(n, self.node_id) if n <= 4 else pdo_map.cob_id
            pdo_map.clear()
            for obj in objects:
                pdo_map.add_variable(obj.index, obj.subindex)
            pdo_map.trans_type = s.tpdo_transmission_type
            if s.tpdo_transmission_type >= 254 and s.tpdo_event_timer_ms:
                pdo_map.event_timer = s.tpdo_event_timer_ms
            pdo_map.enabled = bool(objects)
            if not self._save(pdo_map, f"TPDO{n}", optional=not objects):
                continue
            if objects:
                self.bus.network.unsubscribe(pdo_map.cob_id, pdo_map.on_message)
                fields = [PdoField(o.key, o.index, o.subindex, v.od.data_type, v.length)
                          for o, v in zip(objects, pdo_map.map)]
                try:
                    dtype = mapping_dtype(fields)
                except ValueError as exc:
                    raise ConfigError([ConfigProblem(f"devices.{self.name}.settings.tpdo{n}", f"{self.device}: {exc}")]) \
                        from None
                self._tpdos.append(_Tpdo(n, pdo_map.cob_id, objects, dtype))
        for n, keys in enumerate(self._rpdo_layout(), 1):
            if not (self._has(co.RPDO_COMM + n - 1, 1) and self._has(co.RPDO_MAP + n - 1, 0)):
                if keys:
                    log.info("%s: no RPDO%d in the dictionary; %s commanded by SDO", self.device, n, ", ".join(keys))
                continue
            pdo_map = self.node.rpdo[n]
            objects = tuple(self._object(k, f"rpdo{n}") for k in keys)
            pdo_map.cob_id = co.rpdo_cob_id(n, self.node_id)
            pdo_map.clear()
            for obj in objects:
                pdo_map.add_variable(obj.index, obj.subindex)
            pdo_map.trans_type = s.rpdo_transmission_type
            pdo_map.enabled = bool(objects)
            if not self._save(pdo_map, f"RPDO{n}", optional=True):
                if objects:
                    log.info("%s: device has no RPDO%d; %s commanded by SDO", self.device, n, ", ".join(keys))
                continue
            if objects:
                self.bus.network.unsubscribe(pdo_map.cob_id, pdo_map.on_message)
                self._rpdos.append(_Rpdo(n, pdo_map, objects))
        for tpdo in self._tpdos:
            self.bus.add_stream(tpdo.cob_id, tpdo.dtype, lambda r, t, _p=tpdo: self._on_records(_p, r, t),
                                owner=self.name, on_error=self.report_error)

    def _save(self, pdo_map, what: str, optional: bool = False) -> bool:
        """Write one PDO's parameters and read the mapping back; False if ``optional`` and the
        device lacks that PDO."""
        try:
            with self._sdo_lock:
                pdo_map.save()
                if pdo_map.map:
                    self._verify_mapping(pdo_map, what)
            return True
        except SdoAbortedError as exc:
            if optional and exc.code in self.ABSENT:
                return False
            raise SdoAbortError(self.device, f"configuring {what}", exc.code) from None
        except SdoCommunicationError:
            raise DeviceTimeoutError(self.device, f"SDO while configuring {what}", self.timeouts.sdo_s) from None

    def _verify_mapping(self, pdo_map, what: str) -> None:
        """Read the mapping parameter back (sub 0 and each entry): a device (or a dictionary quirk)
        that did not take the mapping would otherwise stream bytes we decode as something else."""
        index = pdo_map.map_array.od.index
        count = int.from_bytes(self.node.sdo.upload(index, 0)[:1], "little")
        words = [int.from_bytes(self.node.sdo.upload(index, s)[:4], "little") for s in range(1, count + 1)]
        wanted = [(v.index << 16) | (v.subindex << 8) | v.length for v in pdo_map.map]
        if words != wanted:
            raise ProtocolError(self.device, f"{what} mapping 0x{index:04X} reads back as "
                                f"[{', '.join(f'0x{w:08X}' for w in words)}], "
                                f"written [{', '.join(f'0x{w:08X}' for w in wanted)}]")

    def _nmt(self, state: str) -> None:
        self.node.nmt.state = state
        self._operational = state == "OPERATIONAL"

    def _confirm_operational(self) -> None:
        """With a heartbeat, wait until it reports OPERATIONAL (``heartbeat_s`` plus one period)."""
        if not (self.settings.heartbeat_period_ms and self._has(co.PRODUCER_HEARTBEAT_TIME)):
            return
        timeout_s = self.timeouts.heartbeat_s + self.settings.heartbeat_period_ms / 1000.0
        self._wait(lambda: self.bus.heartbeat_state(self.node_id) is co.NmtState.OPERATIONAL, timeout_s,
                   f"heartbeat 0x{co.HEARTBEAT_BASE + self.node_id:03X} reporting OPERATIONAL after NMT start")

    def _rpdo_for(self, index: int) -> _Rpdo | None:
        if not self._operational:
            return None
        if self.settings.rpdo_transmission_type < 254 and not self.bus.sync_running:
            return None  # would wait for a SYNC that never comes
        for rpdo in self._rpdos:
            if any(o.index == index for o in rpdo.objects):
                return rpdo
        return None

    def _send_rpdo(self, rpdo: _Rpdo, values: dict[int, int]) -> None:
        """Fill every object of ``rpdo`` from ``values`` (index → raw) and transmit it once."""
        with self._tx_lock:
            for obj, var in zip(rpdo.objects, rpdo.pdo_map.map):
                var.raw = values[obj.index]
            try:
                rpdo.pdo_map.transmit()
            except Exception as exc:  # python-can send errors
                raise TransportError(f"{self.device}: cannot send RPDO{rpdo.number}: {exc}") from exc

    def _channel_rate_hz(self) -> float:
        tt = self.settings.tpdo_transmission_type
        if 1 <= tt <= 240 and self.bus.sync_rate_hz > 0:
            return self.bus.sync_rate_hz / tt
        return 0.0

    def _publish(self, quantity: str, t_s: np.ndarray, values: np.ndarray) -> None:
        if self.publish is not None:
            self.publish(SampleBlock(f"{self.name}.{quantity}", t_s, values))

    # --- lifecycle -----------------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening to this node (streams, heartbeat, EMCY).  Idempotent; leaves the drive's
        power state alone: bringing it to a safe state is the caller's job (disable / quick_stop)."""
        if self._closed:
            return
        self._closed = True
        for tpdo in self._tpdos:
            self.bus.remove_stream(tpdo.cob_id)
        self.bus.unregister_node(self.node_id)
        if self._on_emcy in self.bus.network.subscribers.get(co.EMCY_BASE + self.node_id, ()):
            self.bus.network.unsubscribe(co.EMCY_BASE + self.node_id, self._on_emcy)
        if self.bus.network.nodes.get(self.node_id) is self.node:
            del self.bus.network[self.node_id]

    def _check_interrupted(self, request: str) -> None:
        if self._interrupted.is_set():
            raise BenchError(f"{self.device}: {request} interrupted by quick stop / disable")

    def _wait(self, predicate: Callable[[], bool], timeout_s: float, request: str, poll_s: float = 0.005,
              interruptible: bool = True) -> None:
        """Poll ``predicate`` until true; :class:`DeviceTimeoutError` naming ``request`` otherwise.
        An interruptible wait gives up as soon as the safety path (quick stop / disable) runs."""
        deadline = time.monotonic() + timeout_s
        while True:
            if interruptible:
                self._check_interrupted(request)
            if predicate():
                return
            if time.monotonic() > deadline:
                raise DeviceTimeoutError(self.device, request, timeout_s)
            time.sleep(poll_s)
