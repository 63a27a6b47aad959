"""An independent CiA 402 / CiA 406 responder for the driver tests: canopen's ``LocalNode`` (its SDO
server and NMT slave) scripted here, on its own python-can ``virtual`` Bus.

Written from CiA 301 / 402 / 406 and DOMAIN.md 5.4 without using ``bench.protocols`` or
``bench.drivers``: it applies ANY PDO mapping the master writes (read back from its object
dictionary entries), sends TPDOs on SYNC when OPERATIONAL, applies RPDOs on reception, and runs the
power state machine from the controlword.  The EDS it and the driver share is written here.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import canopen
import pytest

_channels = itertools.count()

# (index, sub, name, data type, access, default, pdo mappable)
U8, U16, U32, I8, I16, I32 = 0x0005, 0x0006, 0x0007, 0x0002, 0x0003, 0x0004

DRIVE_VARS = [
    (0x603F, "Error code", U16, "ro", 0, 1),
    (0x6040, "Controlword", U16, "rw", 0, 1),
    (0x6041, "Statusword", U16, "ro", 0, 1),
    (0x605A, "Quick stop option code", I16, "rw", 2, 0),
    (0x6060, "Modes of operation", I8, "rw", 0, 1),
    (0x6061, "Modes of operation display", I8, "ro", 0, 1),
    (0x6064, "Position actual value", I32, "ro", 0, 1),
    (0x606C, "Velocity actual value", I32, "ro", 0, 1),
    (0x6071, "Target torque", I16, "rw", 0, 1),
    (0x6076, "Motor rated torque", U32, "rw", 1300, 0),  # 1.3 N·m in mN·m
    (0x6077, "Torque actual value", I16, "ro", 0, 1),
    (0x607A, "Target position", I32, "rw", 0, 1),
    (0x60FF, "Target velocity", I32, "rw", 0, 1),
    (0x6502, "Supported drive modes", U32, "ro", 0x3AD, 0),  # PP PV PT homing CSP CSV CST
]
ENCODER_VARS = [
    (0x6001, "Measuring units per revolution", U32, "rw", 8192, 0),
    (0x6002, "Total measuring range", U32, "rw", 8192 * 4096, 0),
    (0x6003, "Preset value", U32, "rw", 0, 0),
    (0x6004, "Position value", U32, "ro", 0, 1),
]


def _var_section(index, sub, name, dtype, access, default, mappable, sub_suffix=True):
    head = f"[{index:04X}sub{sub:X}]" if sub_suffix else f"[{index:04X}]"
    return (f"{head}\nParameterName={name}\nObjectType=0x7\nDataType=0x{dtype:04X}\nAccessType={access}\n"
            f"DefaultValue={default}\nPDOMapping={mappable}\n\n")


def write_eds(path: Path, device_type: int, vendor: int, variables, tpdos: int = 2, rpdos: int = 3,
              extra: str = "") -> Path:
    """A small EDS (CiA 306 syntax) with the communication objects and ``variables``."""
    out = [f"[FileInfo]\nFileName={path.name}\nEDSVersion=4.0\n\n[DeviceInfo]\nVendorNumber=0x{vendor:08X}\n"
           "ProductNumber=0x00000042\nBaudRate_1000=1\nNrOfRXPDO=4\nNrOfTXPDO=4\n\n"]
    out.append(_var_section(0x1000, 0, "Device type", U32, "ro", f"0x{device_type:08X}", 0, False))
    out.append(_var_section(0x1001, 0, "Error register", U8, "ro", 0, 0, False))
    out.append(_var_section(0x1017, 0, "Producer heartbeat time", U16, "rw", 0, 0, False))
    out.append("[1018]\nParameterName=Identity\nObjectType=0x9\nSubNumber=3\n\n")
    out.append(_var_section(0x1018, 0, "Number of entries", U8, "ro", 2, 0))
    out.append(_var_section(0x1018, 1, "Vendor-ID", U32, "ro", f"0x{vendor:08X}", 0))
    out.append(_var_section(0x1018, 2, "Product code", U32, "ro", "0x00000042", 0))
    for kind, comm, mapping, base, count in (("RPDO", 0x1400, 0x1600, (0x200, 0x300, 0x400, 0x500), rpdos),
                                             ("TPDO", 0x1800, 0x1A00, (0x180, 0x280, 0x380, 0x480), tpdos)):
        for n in range(count):
            out.append(f"[{comm + n:04X}]\nParameterName={kind}{n + 1} communication\nObjectType=0x9\nSubNumber=3\n\n")
            out.append(_var_section(comm + n, 0, "Highest sub-index", U8, "ro", 2, 0))
            out.append(_var_section(comm + n, 1, "COB-ID", U32, "rw", f"$NODEID+0x{base[n]:X}", 0))
            out.append(_var_section(comm + n, 2, "Transmission type", U8, "rw", 255, 0))
            out.append(f"[{mapping + n:04X}]\nParameterName={kind}{n + 1} mapping\nObjectType=0x9\nSubNumber=5\n\n")
            out.append(_var_section(mapping + n, 0, "Number of mapped objects", U8, "rw", 0, 0))
            for s in range(1, 5):
                out.append(_var_section(mapping + n, s, f"Mapped object {s}", U32, "rw", 0, 0))
    for index, name, dtype, access, default, mappable in variables:
        out.append(_var_section(index, 0, name, dtype, access, default, mappable, False))
    out.append(extra)
    path.write_text("".join(out).replace("\n", "\r\n"), encoding="ascii")  # CRLF like many vendor files
    return path


class ScriptedNode:
    """canopen LocalNode + PDO engine; subclasses give the profile behaviour."""

    def __init__(self, channel: str, node_id: int, eds: Path):
        self.lock = threading.RLock()
        self.network = canopen.Network()
        self.network.NOTIFIER_CYCLE = 0.02
        self.network.connect(interface="virtual", channel=channel)
        self.node = self.network.create_node(node_id, str(eds))
        self.node_id = node_id
        self.node.add_write_callback(self._on_write)
        self.node.add_read_callback(self._on_read)
        self.values: dict[int, int] = {}
        self.syncs = 0
        self.tpdo_sent = 0
        self.rpdo_received = 0
        self.network.subscribe(0x80, self._on_sync)
        for base in (0x200, 0x300, 0x400, 0x500):
            self.network.subscribe(base + node_id, self._on_rpdo)

    # object dictionary
    def _od_type(self, index, sub):
        obj = self.node.object_dictionary[index]
        return obj[sub] if not isinstance(obj, canopen.objectdictionary.ODVariable) else obj

    def raw(self, index, sub=0) -> int:
        return int.from_bytes(self.node.get_data(index, sub), "little")

    def _on_read(self, index, subindex, od):
        return self.read_value(index, subindex)

    def read_value(self, index, sub):  # profile values; None = stored data
        return None

    def _on_write(self, index, subindex, od, data):
        value = int.from_bytes(bytes(data), "little", signed=od.data_type in (I8, I16, I32))
        with self.lock:
            self.write_value(index, subindex, value)

    def write_value(self, index, sub, value):
        pass

    # PDOs, from whatever mapping the master wrote
    def _mapping(self, map_index):
        entries = []
        for s in range(1, self.raw(map_index, 0) + 1):
            word = self.raw(map_index, s)
            entries.append((word >> 16, (word >> 8) & 0xFF, word & 0xFF))
        return entries

    def _on_rpdo(self, can_id, data, timestamp):
        n = (can_id - self.node_id - 0x200) >> 8
        cob = self.raw(0x1400 + n, 1)
        if cob & 0x80000000 or (cob & 0x7FF) != can_id or self.node.nmt.state != "OPERATIONAL":
            return
        self.rpdo_received += 1
        offset = 0
        with self.lock:
            for index, sub, bits in self._mapping(0x1600 + n):
                size = bits // 8
                od = self._od_type(index, sub)
                chunk = bytes(data[offset:offset + size])
                self.node.data_store.setdefault(index, {})[sub] = chunk
                self.write_value(index, sub, int.from_bytes(chunk, "little", signed=od.data_type in (I8, I16, I32)))
                offset += size

    def _on_sync(self, can_id, data, timestamp):
        if self.node.nmt.state != "OPERATIONAL":
            return
        with self.lock:
            self.syncs += 1
            self.on_sync()
            for n in range(4):
                if 0x1800 + n not in self.node.object_dictionary:
                    continue
                cob = self.raw(0x1800 + n, 1)
                if cob & 0x80000000 or self.raw(0x1800 + n, 2) != 1:
                    continue
                payload = b""
                for index, sub, bits in self._mapping(0x1A00 + n):
                    payload += self.node.get_data(index, sub)[: bits // 8]
                self.network.send_message(cob & 0x7FF, payload)
                self.tpdo_sent += 1

    def on_sync(self):
        pass

    def close(self):
        self.node.nmt.stop_heartbeat()
        self.network.disconnect()


class ScriptedDrive(ScriptedNode):
    """CiA 402 power state machine written from the standard's transition table."""

    STATUS = {"SOD": 0x0250, "RTSO": 0x0231, "SO": 0x0233, "OE": 0x0237, "QSA": 0x0217, "FAULT": 0x0218}
    MODES = {1, 3, 4, 6, 8, 9, 10}

    def __init__(self, channel, node_id, eds, *, mode_delay_syncs=0):
        super().__init__(channel, node_id, eds)
        self.state = "SOD"
        self.last_cw = 0
        self.mode_display = 0
        self.position = 0
        self.mode_delay_syncs = mode_delay_syncs
        self._mode_pending = None
        self.controlwords: list[int] = []
        self.target_velocity = 0
        self.target_torque = 0
        self.persistent_fault = False  # fault reset does not clear the fault (cause still present)
        self.error_code = 0

    def read_value(self, index, sub):
        if index == 0x6041:
            return self.STATUS[self.state]
        if index == 0x6061:
            return self.mode_display
        if index == 0x6064:
            return self.position
        if index == 0x606C:
            return self.target_velocity if self.state == "OE" else 0
        if index == 0x6077:
            return self.target_torque if self.state == "OE" else 0
        if index == 0x603F:
            return self.error_code
        return None

    def write_value(self, index, sub, value):
        if index == 0x6040:
            self.controlword(value)
        elif index == 0x6060:
            if value in self.MODES:
                if self.mode_delay_syncs:
                    self._mode_pending = [value, self.mode_delay_syncs]
                else:
                    self.mode_display = value
        elif index == 0x60FF:
            self.target_velocity = value
        elif index == 0x6071:
            self.target_torque = value

    def controlword(self, cw):
        self.controlwords.append(cw)
        rising_reset = cw & 0x80 and not self.last_cw & 0x80
        self.last_cw = cw
        s = self.state
        if s == "FAULT":
            if rising_reset and not self.persistent_fault:
                self.state = "SOD"
            return
        if not cw & 0x02:  # disable voltage
            self.state = "SOD"
        elif not cw & 0x04:  # quick stop (option code 2: stop, then switch on disabled)
            self.state = "SOD"
        elif cw & 0x0F == 0x06:  # shutdown
            self.state = "RTSO" if s in ("SOD", "SO", "OE", "RTSO") else s
        elif cw & 0x0F == 0x07:  # switch on / disable operation
            self.state = {"RTSO": "SO", "OE": "SO"}.get(s, s)
        elif cw & 0x0F == 0x0F:  # enable operation (3+4 from RTSO)
            self.state = {"RTSO": "OE", "SO": "OE"}.get(s, s)

    def on_sync(self):
        if self._mode_pending is not None:
            self._mode_pending[1] -= 1
            if self._mode_pending[1] <= 0:
                self.mode_display, self._mode_pending = self._mode_pending[0], None
        if self.state == "OE" and self.mode_display in (3, 9):
            self.position += self.target_velocity // 250  # increments/s at the test's 250 Hz SYNC
        self.node.data_store.setdefault(0x6064, {})[0] = (self.position & 0xFFFFFFFF).to_bytes(4, "little")

    def fault(self, code: int, register: int = 0x01):
        """A device fault: EMCY, then the FAULT state."""
        with self.lock:
            self.state = "FAULT"
            self.error_code = code
        self.node.emcy.send(code, register)


class ScriptedEncoder(ScriptedNode):
    def __init__(self, channel, node_id, eds):
        super().__init__(channel, node_id, eds)
        self.counts = 0
        self.step = 0

    def read_value(self, index, sub):
        if index == 0x6004:
            return self.counts % self.raw(0x6002)
        return None

    def write_value(self, index, sub, value):
        if index == 0x6003:
            self.counts = value

    def on_sync(self):
        self.counts = (self.counts + self.step) % self.raw(0x6002)
        self.node.data_store.setdefault(0x6004, {})[0] = self.counts.to_bytes(4, "little")


@pytest.fixture
def channel(request) -> str:
    return f"bench-test-{request.node.name}-{next(_channels)}"


@pytest.fixture
def drive_eds(tmp_path) -> Path:
    return write_eds(tmp_path / "scripted_drive.eds", 0x00020192, 0x12345678, DRIVE_VARS)


@pytest.fixture
def encoder_eds(tmp_path) -> Path:
    return write_eds(tmp_path / "scripted_encoder.eds", 0x00020196, 0x0000ABCD, ENCODER_VARS, tpdos=1, rpdos=0)


@pytest.fixture
def scripted_drive(channel, drive_eds):
    node = ScriptedDrive(channel, 5, drive_eds)
    yield node
    node.close()


@pytest.fixture
def scripted_encoder(channel, encoder_eds):
    node = ScriptedEncoder(channel, 9, encoder_eds)
    yield node
    node.close()


@pytest.fixture
def scripted_drive_factory(channel):
    """``make(eds, **kw)`` → a ScriptedDrive (node 5) on the test's channel, closed after the test."""
    made = []

    def make(eds, **kw):
        node = ScriptedDrive(channel, 5, eds, **kw)
        made.append(node)
        return node

    yield make
    for node in made:
        node.close()


@pytest.fixture
def eds_writer():
    """(write_eds, DRIVE_VARS) for tests that need a variant of the scripted drive's EDS."""
    return write_eds, DRIVE_VARS
