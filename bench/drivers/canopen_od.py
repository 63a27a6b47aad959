"""Object dictionaries for the CANopen drivers: vendor EDS/DCF files, or a built-in minimal one.

canopen's ``import_od`` reads EDS and DCF (``$NODEID`` expressions, ParameterValue, CRLF or LF).
What it cannot know is what *our* driver needs: :func:`check_objects` lists every missing object at
once as a :class:`~bench.errors.ConfigError`.  Which profile a file describes is decided from 0x1000
(device type), never from which indexes exist: 0x6502 means "supported drive modes" in CiA 402 but
something else in CiA 406.  Many EDS files give 0x1000 no default; then only the device can say, and
the driver checks it on connect.
"""

from __future__ import annotations

from pathlib import Path

from canopen import objectdictionary as odm
from canopen.objectdictionary import ObjectDictionary, ODArray, ODRecord, ODVariable

from bench.errors import ConfigError, ConfigProblem
from bench.protocols import canopen_301 as co


def load_od(eds: str | Path, node_id: int, *, key_path: str = "eds") -> ObjectDictionary:
    """Read an EDS or DCF file; a clear :class:`ConfigError` if it cannot be used."""
    path = Path(eds)
    if not path.is_file():
        raise ConfigError([ConfigProblem(key_path, f"EDS/DCF file {str(path)!r} does not exist")])
    try:
        return odm.import_od(str(path), node_id)
    except Exception as exc:  # configparser / value errors of a broken file
        raise ConfigError([ConfigProblem(key_path, f"cannot read EDS/DCF {path.name}: {type(exc).__name__}: {exc}")]) \
            from exc


def device_type_default(od: ObjectDictionary) -> int | None:
    """0x1000 from the file (DCF value first, then default); None when the file gives none or 0."""
    var = od.get(co.DEVICE_TYPE)
    if not isinstance(var, ODVariable):
        return None
    value = var.value if var.value is not None else var.default
    return int(value) if value else None


def find(od: ObjectDictionary, index: int, subindex: int = 0) -> ODVariable | None:
    """The variable at index:subindex, or None."""
    obj = od.get(index)
    if obj is None:
        return None
    if isinstance(obj, ODVariable):
        return obj if subindex == 0 else None
    try:
        return obj[subindex]
    except KeyError:
        return None


def check_objects(od: ObjectDictionary, needed: dict[tuple[int, int], str], *, device: str, key_path: str,
                  source: str = "") -> None:
    """Raise one :class:`ConfigError` listing every needed object the dictionary lacks."""
    missing = [f"0x{i:04X}:{s:02X} {what}" for (i, s), what in needed.items() if find(od, i, s) is None]
    if missing:
        where = f" ({source})" if source else ""
        raise ConfigError([ConfigProblem(key_path, f"{device}: object dictionary{where} lacks "
                                                   f"{len(missing)} object(s) the driver needs: " + "; ".join(missing))])


# --- built-in minimal dictionaries (used when a rig file names no EDS) -----------------------

_RO, _RW, _WO = "ro", "rw", "wo"


def _var(index: int, subindex: int, name: str, data_type: int, access: str = _RW, default=None) -> ODVariable:
    v = ODVariable(name, index, subindex)
    v.data_type = data_type
    v.access_type = access
    v.default = default
    return v


def _add(od: ObjectDictionary, index: int, name: str, data_type: int, access: str = _RW, default=None) -> None:
    od.add_object(_var(index, 0, name, data_type, access, default))


def _record(od: ObjectDictionary, index: int, name: str, subs, array: bool = False) -> None:
    rec = (ODArray if array else ODRecord)(name, index)
    for sub, sub_name, dt, access, default in subs:
        rec.add_member(_var(index, sub, sub_name, dt, access, default))
    od.add_object(rec)


def _communication_objects(od: ObjectDictionary, node_id: int) -> None:
    # 0x1000 without a default: the built-in dictionary stands for any drive / encoder of the profile,
    # so only the profile number is checked against the device
    _add(od, 0x1000, "Device type", odm.UNSIGNED32, _RO, None)
    _add(od, 0x1001, "Error register", odm.UNSIGNED8, _RO, 0)
    _add(od, 0x1005, "COB-ID SYNC", odm.UNSIGNED32, _RW, 0x80)
    _add(od, 0x1017, "Producer heartbeat time", odm.UNSIGNED16, _RW, 0)
    _record(od, 0x1018, "Identity object", [
        (0, "Number of entries", odm.UNSIGNED8, _RO, 4),
        (1, "Vendor-ID", odm.UNSIGNED32, _RO, 0), (2, "Product code", odm.UNSIGNED32, _RO, 0),
        (3, "Revision number", odm.UNSIGNED32, _RO, 0), (4, "Serial number", odm.UNSIGNED32, _RO, 0)])
    for n in range(4):
        _record(od, co.RPDO_COMM + n, f"RPDO{n + 1} communication parameter", [
            (0, "Highest sub-index supported", odm.UNSIGNED8, _RO, 2),
            (1, "COB-ID used by RPDO", odm.UNSIGNED32, _RW, co.RPDO_BASE[n] + node_id),
            (2, "Transmission type", odm.UNSIGNED8, _RW, 255)])
        _record(od, co.TPDO_COMM + n, f"TPDO{n + 1} communication parameter", [
            (0, "Highest sub-index supported", odm.UNSIGNED8, _RO, 5),
            (1, "COB-ID used by TPDO", odm.UNSIGNED32, _RW, co.TPDO_BASE[n] + node_id),
            (2, "Transmission type", odm.UNSIGNED8, _RW, 255),
            (3, "Inhibit time", odm.UNSIGNED16, _RW, 0),
            (5, "Event timer", odm.UNSIGNED16, _RW, 0)])
        for base, kind in ((co.RPDO_MAP, "RPDO"), (co.TPDO_MAP, "TPDO")):
            # a RECORD, not an ARRAY: canopen's PdoMap.save() iterates an SdoArray by the sub 0 it has
            # just set to 0 and would write no entry at all
            _record(od, base + n, f"{kind}{n + 1} mapping parameter",
                    [(0, "Number of mapped objects", odm.UNSIGNED8, _RW, 0)]
                    + [(s, f"Mapped object {s}", odm.UNSIGNED32, _RW, 0) for s in range(1, 9)])


def builtin_cia402_od(node_id: int) -> ObjectDictionary:
    """The CiA 301 + CiA 402 objects the drive driver uses, typed as CiA 402-2 defines them."""
    od = ObjectDictionary()
    od.node_id = node_id
    _communication_objects(od, node_id)
    _add(od, 0x603F, "Error code", odm.UNSIGNED16, _RO)
    _add(od, 0x6040, "Controlword", odm.UNSIGNED16, _RW)
    _add(od, 0x6041, "Statusword", odm.UNSIGNED16, _RO)
    _add(od, 0x605A, "Quick stop option code", odm.INTEGER16, _RW)
    _add(od, 0x6060, "Modes of operation", odm.INTEGER8, _RW)
    _add(od, 0x6061, "Modes of operation display", odm.INTEGER8, _RO)
    _add(od, 0x6064, "Position actual value", odm.INTEGER32, _RO)
    _add(od, 0x606C, "Velocity actual value", odm.INTEGER32, _RO)
    _add(od, 0x6071, "Target torque", odm.INTEGER16, _RW)
    _add(od, 0x6072, "Max torque", odm.UNSIGNED16, _RW)
    _add(od, 0x6076, "Motor rated torque", odm.UNSIGNED32, _RW)
    _add(od, 0x6077, "Torque actual value", odm.INTEGER16, _RO)
    _add(od, 0x607A, "Target position", odm.INTEGER32, _RW)
    _record(od, 0x608F, "Position encoder resolution", [
        (0, "Highest sub-index supported", odm.UNSIGNED8, _RO, 2),
        (1, "Encoder increments", odm.UNSIGNED32, _RW, None),
        (2, "Motor revolutions", odm.UNSIGNED32, _RW, None)])
    _add(od, 0x60FF, "Target velocity", odm.INTEGER32, _RW)
    _add(od, 0x6502, "Supported drive modes", odm.UNSIGNED32, _RO)
    for v in od.values():  # mappable process data
        if isinstance(v, ODVariable) and 0x6000 <= v.index:
            v.pdo_mappable = True
    return od


def builtin_cia406_od(node_id: int) -> ObjectDictionary:
    """The CiA 301 + CiA 406 objects the encoder driver uses."""
    od = ObjectDictionary()
    od.node_id = node_id
    _communication_objects(od, node_id)
    _add(od, 0x6001, "Measuring units per revolution", odm.UNSIGNED32, _RW)
    _add(od, 0x6002, "Total measuring range in measuring units", odm.UNSIGNED32, _RW)
    _add(od, 0x6003, "Preset value", odm.UNSIGNED32, _RW)
    _add(od, 0x6004, "Position value", odm.UNSIGNED32, _RO)
    _record(od, 0x6030, "Speed value", [
        (0, "Highest sub-index supported", odm.UNSIGNED8, _RO, 1),
        (1, "Speed value channel 1", odm.INTEGER16, _RO, None)], array=True)
    od[0x6004].pdo_mappable = True
    od[0x6030][1].pdo_mappable = True
    return od
