"""Values in Modbus registers: 32-bit floats and integers in either word order, scaled integers.

The Modbus application protocol (V1.1b3, 4.2) sends each 16-bit register big-endian but does not
say how a 32-bit value is split over two registers: devices put the high word first ("big", e.g.
``0x4148 0x0000`` = 12.5) or the low word first ("little", ``0x0000 0x4148``). The word order and
the scaling come from the device's configuration, never from guessing.

Temperature modules send signed 16-bit integers in 0.1 °C with a reserved value for an open sensor
(for example 0x7FFF); :func:`decode_scaled_int16` turns those into °C and an ``open`` mark.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Literal

from bench.errors import ProtocolError

WordOrder = Literal["big", "little"]
DataType = Literal["float32", "int32", "uint32", "int16", "uint16"]

REGISTERS_PER_TYPE: dict[str, int] = {"float32": 2, "int32": 2, "uint32": 2, "int16": 1, "uint16": 1}
_STRUCT = {"float32": ">f", "int32": ">i", "uint32": ">I", "int16": ">h", "uint16": ">H"}


def registers_to_bytes(registers: list[int] | tuple[int, ...], word_order: WordOrder = "big") -> bytes:
    """Registers (0…65535) as the big-endian byte string of the value they hold."""
    for value in registers:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"register value out of 0..65535: {value}")
    ordered = list(registers) if word_order == "big" else list(reversed(registers))
    return b"".join(value.to_bytes(2, "big") for value in ordered)


def decode(registers: list[int] | tuple[int, ...], data_type: DataType, word_order: WordOrder = "big",
           device: str = "modbus") -> float:
    """Decode one value of ``data_type`` from exactly as many registers as it needs."""
    needed = REGISTERS_PER_TYPE[data_type]
    if len(registers) != needed:
        raw = b"".join(int(r & 0xFFFF).to_bytes(2, "big") for r in registers)
        raise ProtocolError(device, f"{data_type} needs {needed} registers, got {len(registers)}", raw)
    (value,) = struct.unpack(_STRUCT[data_type], registers_to_bytes(registers, word_order))
    return float(value)


def encode(value: float, data_type: DataType, word_order: WordOrder = "big") -> list[int]:
    """The registers holding ``value`` (for writing set points and for simulators' tests)."""
    if data_type != "float32":
        value = int(round(value))
    data = struct.pack(_STRUCT[data_type], value)
    registers = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
    return registers if word_order == "big" else list(reversed(registers))


@dataclass(frozen=True)
class ScaledValue:
    """A decoded register value in engineering units and whether it is the "open sensor" code."""

    value: float
    open: bool = False


def decode_scaled_int16(register: int, scale: float, offset: float = 0.0, open_code: int | None = None,
                        signed: bool = True) -> ScaledValue:
    """``register`` (0…65535 as received) → ``raw · scale + offset``; NaN and ``open`` for ``open_code``.

    ``open_code`` is compared with the raw register in the same signedness (``0x7FFF`` = 32767,
    ``0x8000`` = -32768 when signed).
    """
    if not 0 <= register <= 0xFFFF:
        raise ValueError(f"register value out of 0..65535: {register}")
    raw = register - 0x10000 if signed and register >= 0x8000 else register
    if open_code is not None:
        code = open_code - 0x10000 if signed and open_code >= 0x8000 else open_code
        if raw == code:
            return ScaledValue(math.nan, True)
    return ScaledValue(raw * scale + offset)
