"""CiA 301 (CANopen application layer) pieces every CANopen device shares, as pure code.

COB-IDs of the pre-defined connection set, the device type (0x1000) split into profile and
additional information, NMT / heartbeat states, and the PDO communication / mapping parameter
words (0x1400-0x1BFF).  No I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DEVICE_TYPE = 0x1000
ERROR_REGISTER = 0x1001
PRODUCER_HEARTBEAT_TIME = 0x1017
IDENTITY = 0x1018  # :01 vendor id, :02 product code, :03 revision, :04 serial number
COB_ID_SYNC = 0x1005

RPDO_COMM = 0x1400
RPDO_MAP = 0x1600
TPDO_COMM = 0x1800
TPDO_MAP = 0x1A00

# pre-defined connection set (function code base; add the node id)
NMT_COB_ID = 0x000
SYNC_COB_ID = 0x080
EMCY_BASE = 0x080
TPDO_BASE = (0x180, 0x280, 0x380, 0x480)
RPDO_BASE = (0x200, 0x300, 0x400, 0x500)
SDO_TX_BASE = 0x580  # server → client
SDO_RX_BASE = 0x600  # client → server
HEARTBEAT_BASE = 0x700

PDO_COB_ID_INVALID = 1 << 31  # comm parameter sub 1, bit 31: PDO does not exist / is not valid
PDO_COB_ID_NO_RTR = 1 << 30


def tpdo_cob_id(number: int, node_id: int) -> int:
    """Default COB-ID of TPDO ``number`` (1..4) of ``node_id``."""
    return TPDO_BASE[number - 1] + node_id


def rpdo_cob_id(number: int, node_id: int) -> int:
    """Default COB-ID of RPDO ``number`` (1..4) of ``node_id``."""
    return RPDO_BASE[number - 1] + node_id


def is_tpdo_cob_id(cob_id: int) -> bool:
    """True for the TPDO1..4 range of the pre-defined set (0x181-0x4FF, any node)."""
    return (cob_id >> 7) in (3, 5, 7, 9) and (cob_id & 0x7F) != 0


class NmtState(enum.IntEnum):
    """States reported in the heartbeat (byte 0, bit 7 is the toggle bit of node guarding)."""

    BOOT_UP = 0x00
    STOPPED = 0x04
    OPERATIONAL = 0x05
    PRE_OPERATIONAL = 0x7F


def decode_heartbeat(data: bytes) -> NmtState | None:
    """Heartbeat payload → NMT state, ``None`` for an undefined value or a wrong length."""
    if len(data) != 1:
        return None
    try:
        return NmtState(data[0] & 0x7F)
    except ValueError:
        return None


@dataclass(frozen=True)
class DeviceType:
    """0x1000 split: low 16 bits the device profile number, high 16 bits additional information."""

    profile: int
    additional: int

    @property
    def text(self) -> str:
        return f"CiA {self.profile} (additional information 0x{self.additional:04X})"


def decode_device_type(value: int) -> DeviceType:
    return DeviceType(profile=value & 0xFFFF, additional=(value >> 16) & 0xFFFF)


@dataclass(frozen=True)
class MappingEntry:
    """One PDO mapping entry (0x1600.. / 0x1A00.. sub 1..64): index, sub-index, length in bits."""

    index: int
    subindex: int
    bits: int

    @property
    def word(self) -> int:
        return (self.index << 16) | (self.subindex << 8) | self.bits


def decode_mapping_entry(word: int) -> MappingEntry:
    """UNSIGNED32 ``iiiissll`` → :class:`MappingEntry`."""
    return MappingEntry(index=(word >> 16) & 0xFFFF, subindex=(word >> 8) & 0xFF, bits=word & 0xFF)
