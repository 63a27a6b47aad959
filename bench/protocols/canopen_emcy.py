"""CANopen EMCY (emergency) frames: decoding and the texts of the standard error codes.

An EMCY frame (COB-ID 0x080 + node) carries 8 bytes (CiA 301, 7.2.7): error code UNSIGNED16
little-endian, error register (0x1001) UNSIGNED8, five manufacturer-specific bytes.  Error code
0x0000 means "error reset or no error": the device left its error state.
"""

from __future__ import annotations

from dataclasses import dataclass

# Error code classes, CiA 301 table "Emergency error codes" (high byte, or the full code below).
_CLASSES: dict[int, str] = {
    0x00: "Error reset or no error",
    0x10: "Generic error",
    0x20: "Current",
    0x21: "Current, CANopen device input side",
    0x22: "Current inside the CANopen device",
    0x23: "Current, CANopen device output side",
    0x30: "Voltage",
    0x31: "Mains voltage",
    0x32: "Voltage inside the CANopen device",
    0x33: "Output voltage",
    0x40: "Temperature",
    0x41: "Ambient temperature",
    0x42: "Device temperature",
    0x50: "CANopen device hardware",
    0x60: "CANopen device software",
    0x61: "Internal software",
    0x62: "User software",
    0x63: "Data set",
    0x70: "Additional modules",
    0x80: "Monitoring",
    0x81: "Communication",
    0x82: "Protocol error",
    0x90: "External error",
    0xF0: "Additional functions",
    0xFF: "Device specific",
}

# Full codes defined by CiA 301 (communication) and common CiA 402 drive codes.
_CODES: dict[int, str] = {
    0x8110: "CAN overrun (objects lost)",
    0x8120: "CAN in error passive mode",
    0x8130: "Life guard error or heartbeat error",
    0x8140: "Recovered from bus off",
    0x8150: "CAN-ID collision",
    0x8210: "PDO not processed due to length error",
    0x8220: "PDO length exceeded",
    0x8230: "DAM MPDO not processed, destination object not available",
    0x8240: "Unexpected SYNC data length",
    0x8250: "RPDO timeout",
    # CiA 402-2 (drive profile) error codes
    0x2310: "Continuous over current",
    0x2320: "Short circuit / earth leakage",
    0x3210: "DC link over-voltage",
    0x3220: "DC link under-voltage",
    0x4310: "Drive temperature too high",
    0x7121: "Motor blocked",
    0x7300: "Sensor error",
    0x8611: "Following error",
}

# Error register bits (0x1001), CiA 301
_REGISTER_BITS = (
    (0, "generic"), (1, "current"), (2, "voltage"), (3, "temperature"),
    (4, "communication"), (5, "device profile specific"), (7, "manufacturer specific"),
)


def error_code_text(code: int) -> str:
    """Text of an EMCY error code: the exact code when known, else its class."""
    if code in _CODES:
        return _CODES[code]
    high = code >> 8
    if high in _CLASSES:
        return _CLASSES[high]
    return _CLASSES.get(code >> 12 << 4, f"Unknown error code class 0x{code:04X}")


def error_register_text(register: int) -> list[str]:
    """Names of the bits set in the error register (0x1001)."""
    return [name for bit, name in _REGISTER_BITS if register >> bit & 1]


@dataclass(frozen=True)
class Emcy:
    """A decoded EMCY frame."""

    code: int
    register: int
    vendor: bytes

    @property
    def is_reset(self) -> bool:
        """Error code 0x0000: the device reports that its errors are gone."""
        return self.code == 0

    @property
    def text(self) -> str:
        bits = error_register_text(self.register)
        reg = f"; error register 0x{self.register:02X} ({', '.join(bits)})" if bits else ""
        vendor = f"; vendor data {self.vendor.hex(' ')}" if any(self.vendor) else ""
        return f"{error_code_text(self.code)}{reg}{vendor}"


def decode_emcy(data: bytes) -> Emcy:
    """Decode the 8 data bytes of an EMCY frame; ``ValueError`` for another length."""
    if len(data) != 8:
        raise ValueError(f"EMCY frame has {len(data)} data bytes, expected 8")
    return Emcy(code=data[0] | data[1] << 8, register=data[2], vendor=bytes(data[3:8]))
