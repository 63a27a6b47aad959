"""SDO abort transfer (CiA 301, 7.2.4.3.17): decoding, the texts of the abort codes, the error.

Abort frame (server → client, COB-ID 0x580 + node): byte 0 = 0x80 (command specifier 4), bytes 1-2
index little-endian, byte 3 sub-index, bytes 4-7 abort code UNSIGNED32 little-endian.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.errors import ProtocolError

ABORT_CODES: dict[int, str] = {
    0x05030000: "Toggle bit not alternated",
    0x05040000: "SDO protocol timed out",
    0x05040001: "Client/server command specifier not valid or unknown",
    0x05040002: "Invalid block size (block mode only)",
    0x05040003: "Invalid sequence number (block mode only)",
    0x05040004: "CRC error (block mode only)",
    0x05040005: "Out of memory",
    0x06010000: "Unsupported access to an object",
    0x06010001: "Attempt to read a write only object",
    0x06010002: "Attempt to write a read only object",
    0x06020000: "Object does not exist in the object dictionary",
    0x06040041: "Object cannot be mapped to the PDO",
    0x06040042: "The number and length of the objects to be mapped would exceed PDO length",
    0x06040043: "General parameter incompatibility reason",
    0x06040047: "General internal incompatibility in the device",
    0x06060000: "Access failed due to a hardware error",
    0x06070010: "Data type does not match, length of service parameter does not match",
    0x06070012: "Data type does not match, length of service parameter too high",
    0x06070013: "Data type does not match, length of service parameter too low",
    0x06090011: "Sub-index does not exist",
    0x06090030: "Invalid value for parameter (download only)",
    0x06090031: "Value of parameter written too high (download only)",
    0x06090032: "Value of parameter written too low (download only)",
    0x06090036: "Maximum value is less than minimum value",
    0x060A0023: "Resource not available: SDO connection",
    0x08000000: "General error",
    0x08000020: "Data cannot be transferred or stored to the application",
    0x08000021: "Data cannot be transferred or stored to the application because of local control",
    0x08000022: "Data cannot be transferred or stored to the application because of the present device state",
    0x08000023: "Object dictionary dynamic generation fails or no object dictionary is present",
    0x08000024: "No data available",
}


def abort_text(code: int) -> str:
    """Text of an SDO abort code (CiA 301 table), or an 'unknown' text naming the code."""
    return ABORT_CODES.get(code, f"Unknown SDO abort code 0x{code:08X}")


@dataclass(frozen=True)
class SdoAbortFrame:
    index: int
    subindex: int
    code: int

    @property
    def text(self) -> str:
        return abort_text(self.code)


def decode_abort(data: bytes) -> SdoAbortFrame:
    """Decode an abort frame; ``ValueError`` if it is not one (length 8, byte 0 = 0x80)."""
    if len(data) != 8 or data[0] != 0x80:
        raise ValueError(f"not an SDO abort frame: {bytes(data).hex(' ')}")
    return SdoAbortFrame(index=data[1] | data[2] << 8, subindex=data[3],
                         code=int.from_bytes(bytes(data[4:8]), "little"))


class SdoAbortError(ProtocolError):
    """A device refused an SDO request; ``code`` is the CiA 301 abort code, the message its text."""

    def __init__(self, device: str, request: str, code: int):
        self.code = code
        self.request = request
        self.text = abort_text(code)
        super().__init__(device, f"SDO {request} aborted: 0x{code:08X} {self.text}")
