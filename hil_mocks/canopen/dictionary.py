"""A simulated node's object dictionary: the EDS/DCF description (parsed by ``canopen``) plus live values.

The description comes from any EDS or DCF through ``canopen.import_od`` (which handles ``$NODEID``
expressions, DCF ``ParameterValue`` entries and CRLF/LF files). Values live in one dict keyed
``(index, subindex)`` so that the PDO engine and the SDO server read the same numbers without going
through the description on the hot path.
"""

from __future__ import annotations

import struct
from pathlib import Path

from canopen import objectdictionary as odlib
from canopen.objectdictionary import ObjectDictionary, ODVariable
from canopen.sdo.exceptions import SdoAbortedError

# CiA 301 SDO abort codes used by the simulators
ABORT_UNSUPPORTED_ACCESS = 0x06010000
ABORT_READ_WRITE_ONLY = 0x06010001
ABORT_WRITE_READ_ONLY = 0x06010002
ABORT_NOT_IN_OD = 0x06020000
ABORT_NOT_MAPPABLE = 0x06040041
ABORT_PDO_TOO_LONG = 0x06040042
ABORT_PARAM_INCOMPATIBLE = 0x06040043
ABORT_LENGTH_MISMATCH = 0x06070010
ABORT_NO_SUBINDEX = 0x06090011
ABORT_VALUE_RANGE = 0x06090030
ABORT_VALUE_TOO_HIGH = 0x06090031
ABORT_GENERAL = 0x08000000
ABORT_DEVICE_STATE = 0x08000022
ABORT_NO_DATA = 0x08000024

# struct code of each CANopen basic type that can sit in a PDO (byte aligned)
STRUCT_CODE = {
    odlib.BOOLEAN: "?", odlib.INTEGER8: "b", odlib.INTEGER16: "h", odlib.INTEGER32: "i",
    odlib.UNSIGNED8: "B", odlib.UNSIGNED16: "H", odlib.UNSIGNED32: "I", odlib.REAL32: "f",
    odlib.REAL64: "d", odlib.INTEGER64: "q", odlib.UNSIGNED64: "Q",
}
# dummy entries (CiA 301 §7.4.8.2: indexes 0x0001..0x0007 are the basic types, usable as PDO padding)
DUMMY_BITS = {0x0001: 1, 0x0002: 8, 0x0003: 16, 0x0004: 32, 0x0005: 8, 0x0006: 16, 0x0007: 32}

PROFILE_DRIVE = 402
PROFILE_ENCODER = 406


def load_dictionary(eds_path: str | Path, node_id: int) -> ObjectDictionary:
    """Parse an EDS or DCF for ``node_id``; errors name the file."""
    from canopen import import_od

    path = Path(eds_path)
    if not path.is_file():
        raise FileNotFoundError(f"EDS/DCF file not found: {path}")
    try:
        return import_od(str(path), node_id)
    except Exception as exc:  # the parser raises many types; name the file in one clear error
        raise ValueError(f"cannot parse EDS/DCF {path}: {exc}") from exc


def abort(code: int, why: str = "") -> SdoAbortedError:
    err = SdoAbortedError(code)
    err.why = why
    return err


def wrap_int(value: int, data_type: int) -> int:
    """Wrap an integer into the range of ``data_type`` (two's complement), as a counter register does."""
    bits = {odlib.INTEGER8: 8, odlib.INTEGER16: 16, odlib.INTEGER32: 32, odlib.INTEGER64: 64,
            odlib.UNSIGNED8: 8, odlib.UNSIGNED16: 16, odlib.UNSIGNED32: 32, odlib.UNSIGNED64: 64}.get(data_type)
    if bits is None:
        return value
    value &= (1 << bits) - 1
    if data_type in odlib.SIGNED_TYPES and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def clamp_int(value: float, data_type: int) -> int:
    """Round and saturate into the range of ``data_type`` (for measured values like torque)."""
    bits = {odlib.INTEGER8: 8, odlib.INTEGER16: 16, odlib.INTEGER32: 32, odlib.UNSIGNED8: 8,
            odlib.UNSIGNED16: 16, odlib.UNSIGNED32: 32}.get(data_type, 32)
    if data_type in odlib.SIGNED_TYPES:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        lo, hi = 0, (1 << bits) - 1
    v = int(round(value))
    return lo if v < lo else hi if v > hi else v


class ObjectStore:
    """Live values of one node, keyed ``(index, subindex)``, initialised from the EDS/DCF."""

    def __init__(self, od: ObjectDictionary):
        self.od = od
        self.values: dict[tuple[int, int], object] = {}
        self.reset(range(0x10000))

    def variable(self, index: int, subindex: int) -> ODVariable:
        """The description of one entry, or the SDO abort a real device gives for a missing one."""
        if index not in self.od:
            raise abort(ABORT_NOT_IN_OD, f"0x{index:04X} not in the object dictionary")
        obj = self.od[index]
        if isinstance(obj, ODVariable):
            if subindex != 0 and obj.subindex != subindex:
                raise abort(ABORT_NO_SUBINDEX, f"0x{index:04X}:{subindex:02X} does not exist")
            return obj
        if subindex not in obj:
            raise abort(ABORT_NO_SUBINDEX, f"0x{index:04X}:{subindex:02X} does not exist")
        return obj[subindex]

    def has(self, index: int, subindex: int = 0) -> bool:
        try:
            self.variable(index, subindex)
        except SdoAbortedError:
            return False
        return True

    def reset(self, indexes) -> None:
        """Set every entry whose index is in ``indexes`` back to its DCF value or EDS default."""
        wanted = set(indexes) if not isinstance(indexes, range) else indexes
        for index in list(self.od.keys()):
            if not isinstance(index, int) or index not in wanted:
                continue
            obj = self.od[index]
            variables = [obj] if isinstance(obj, ODVariable) else [obj[s] for s in obj.subindices]
            for var in variables:
                value = var.value if var.value is not None else var.default
                if value is None:
                    value = self._zero(var)
                self.values[(index, var.subindex)] = value

    @staticmethod
    def _zero(var: ODVariable):
        if var.data_type in odlib.FLOAT_TYPES:
            return 0.0
        if var.data_type in (odlib.VISIBLE_STRING, odlib.UNICODE_STRING):
            return ""
        if var.data_type in (odlib.OCTET_STRING, odlib.DOMAIN):
            return b""
        return 0

    def get(self, index: int, subindex: int = 0, default=None):
        return self.values.get((index, subindex), default)

    def set(self, index: int, subindex: int, value) -> None:
        self.values[(index, subindex)] = value

    def set_if_present(self, index: int, subindex: int, value) -> None:
        if (index, subindex) in self.values:
            self.values[(index, subindex)] = value

    def encode(self, index: int, subindex: int) -> bytes:
        var = self.variable(index, subindex)
        value = self.values.get((index, subindex))
        if value is None:
            raise abort(ABORT_NO_DATA, f"0x{index:04X}:{subindex:02X} has no value")
        if var.data_type in STRUCT_CODE and var.data_type not in odlib.FLOAT_TYPES:
            value = wrap_int(int(value), var.data_type)
        return var.encode_raw(value)

    def decode(self, index: int, subindex: int, data: bytes):
        var = self.variable(index, subindex)
        if var.data_type in odlib.DATA_TYPES:
            return var.decode_raw(data)
        if var.data_type in STRUCT_CODE:
            size = struct.calcsize("<" + STRUCT_CODE[var.data_type])
            if len(data) != size:
                raise abort(ABORT_LENGTH_MISMATCH, f"0x{index:04X}:{subindex:02X} needs {size} bytes, got {len(data)}")
        elif var.data_type in odlib.NUMBER_TYPES and 8 * len(data) != len(var):
            raise abort(ABORT_LENGTH_MISMATCH, f"0x{index:04X}:{subindex:02X} needs {len(var) // 8} bytes")
        return var.decode_raw(data)

    def profile(self) -> int | None:
        """The device profile number from 0x1000 bits 0..15 (402 drive, 406 encoder), if 0x1000 has a value."""
        value = self.values.get((0x1000, 0))
        return None if not value else int(value) & 0xFFFF
