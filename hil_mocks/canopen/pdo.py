"""PDO engine of a simulated node: compiled TPDO/RPDO layouts from 0x1400-0x1BFF, whatever is written there.

Each PDO is compiled once (when its communication or mapping parameters change) into a ``struct.Struct``
and the tuple of ``(index, subindex)`` keys it carries, so sending one on SYNC is one ``pack`` of values
taken from the node's value dict, with no object-dictionary lookups.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from .dictionary import (
    ABORT_NOT_MAPPABLE,
    ABORT_PDO_TOO_LONG,
    ABORT_VALUE_RANGE,
    DUMMY_BITS,
    STRUCT_CODE,
    ObjectStore,
    abort,
)

COB_INVALID = 0x80000000
COB_NO_RTR = 0x40000000


@dataclass
class PdoLayout:
    """One PDO as the node currently runs it."""

    tx: bool
    number: int                  # 1-based
    comm_index: int
    map_index: int
    cob_id: int = 0
    valid: bool = False
    trans_type: int = 255
    inhibit_s: float = 0.0
    event_timer_s: float = 0.0
    keys: tuple = ()             # (index, subindex) of each packed value, dummies excluded
    codec: struct.Struct = field(default_factory=lambda: struct.Struct("<"))
    # run-time state
    sync_counter: int = 0
    last_data: bytes | None = None
    last_sent_s: float = -1e9
    next_event_s: float = 0.0
    pending: bytes | None = None  # RPDO received, to apply at the next SYNC (synchronous types)

    @property
    def synchronous(self) -> bool:
        return self.trans_type <= 240

    @property
    def event_driven(self) -> bool:
        return self.trans_type >= 254

    def pack(self, values: dict) -> bytes:
        return self.codec.pack(*[values[k] for k in self.keys])


def entry_layout(store: ObjectStore, entry: int, strict: bool) -> tuple[str, tuple[int, int] | None]:
    """``(struct code, key or None for padding)`` of one mapping entry ``0xIIIISSLL``; SDO abort if unusable."""
    index, subindex, bits = entry >> 16, (entry >> 8) & 0xFF, entry & 0xFF
    if index in DUMMY_BITS:
        if bits % 8 or bits != DUMMY_BITS[index]:
            raise abort(ABORT_NOT_MAPPABLE, f"dummy 0x{index:04X} with {bits} bits")
        return "x" * (bits // 8), None
    if not store.has(index, subindex):
        raise abort(ABORT_NOT_MAPPABLE, f"0x{index:04X}:{subindex:02X} is not in the object dictionary")
    var = store.variable(index, subindex)
    code = STRUCT_CODE.get(var.data_type)
    if code is None:
        raise abort(ABORT_NOT_MAPPABLE, f"0x{index:04X}:{subindex:02X} has a type this simulator cannot map")
    if struct.calcsize("<" + code) * 8 != bits:
        raise abort(ABORT_NOT_MAPPABLE, f"0x{index:04X}:{subindex:02X} is {struct.calcsize('<' + code) * 8} bits, "
                                        f"mapping says {bits}")
    if strict and not var.pdo_mappable:
        raise abort(ABORT_NOT_MAPPABLE, f"0x{index:04X}:{subindex:02X} is not PDO-mappable in the EDS")
    return code, (index, subindex)


def compile_mapping(store: ObjectStore, map_index: int, count: int, strict: bool) -> tuple[tuple, struct.Struct]:
    """Check and compile ``count`` entries of mapping record ``map_index`` (SDO abort on a bad one)."""
    fmt, keys = "<", []
    for sub in range(1, count + 1):
        if not store.has(map_index, sub):
            raise abort(ABORT_VALUE_RANGE, f"0x{map_index:04X} has no entry {sub}")
        entry = int(store.get(map_index, sub) or 0)
        code, key = entry_layout(store, entry, strict)
        fmt += code
        if key is not None:
            keys.append(key)
    codec = struct.Struct(fmt)
    if codec.size > 8:
        raise abort(ABORT_PDO_TOO_LONG, f"0x{map_index:04X}: {codec.size} bytes exceed 8")
    return tuple(keys), codec


def read_layout(store: ObjectStore, layout: PdoLayout, strict: bool) -> PdoLayout:
    """Refresh ``layout`` from the stored parameters; a broken stored mapping leaves the PDO invalid."""
    ci, mi = layout.comm_index, layout.map_index
    cob = int(store.get(ci, 1) or 0)
    layout.cob_id = cob & 0x1FFFFFFF
    layout.valid = not (cob & COB_INVALID) and layout.cob_id != 0
    layout.trans_type = int(store.get(ci, 2, 255) or 0)
    layout.inhibit_s = int(store.get(ci, 3, 0) or 0) * 100e-6 if layout.tx else 0.0
    layout.event_timer_s = int(store.get(ci, 5, 0) or 0) * 1e-3
    count = int(store.get(mi, 0, 0) or 0) if store.has(mi, 0) else 0
    try:
        layout.keys, layout.codec = compile_mapping(store, mi, count, strict)
    except Exception:
        layout.keys, layout.codec, layout.valid = (), struct.Struct("<"), False
        raise
    finally:
        layout.last_data = None
        layout.pending = None
        layout.sync_counter = 0
    return layout
