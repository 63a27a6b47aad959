"""Batched PDO decoding: a PDO mapping becomes a numpy structured dtype.

A PDO's data bytes are the mapped objects packed little-endian in mapping order (CiA 301, 7.2.2).
For byte-aligned mappings (all objects a multiple of 8 bits, which is what drives and encoders use
for streaming) many frames of one COB-ID, joined, are an array of records:
``np.frombuffer(b"".join(frames), dtype)`` decodes them all at once.  That is the point of this
module: no per-frame Python work on the streaming path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# CiA 301 basic data types (index in the OD) → numpy little-endian type
DATA_TYPES: dict[int, str] = {
    0x0001: "u1",  # BOOLEAN (8 bits when byte-mapped)
    0x0002: "<i1",  # INTEGER8
    0x0003: "<i2",  # INTEGER16
    0x0004: "<i4",  # INTEGER32
    0x0005: "u1",  # UNSIGNED8
    0x0006: "<u2",  # UNSIGNED16
    0x0007: "<u4",  # UNSIGNED32
    0x0008: "<f4",  # REAL32
    0x0011: "<f8",  # REAL64
    0x0015: "<i8",  # INTEGER64
    0x001B: "<u8",  # UNSIGNED64
}


@dataclass(frozen=True)
class PdoField:
    """One mapped object: its name in the decoded record, index, sub-index, CiA data type, bits."""

    name: str
    index: int
    subindex: int
    data_type: int
    bits: int


def field_dtype(f: PdoField) -> np.dtype:
    """numpy type of one mapped object; ``ValueError`` for types that cannot be byte-decoded."""
    try:
        dt = np.dtype(DATA_TYPES[f.data_type])
    except KeyError:
        raise ValueError(f"{f.name} (0x{f.index:04X}:{f.subindex:02X}): data type 0x{f.data_type:04X} "
                         "cannot be decoded in a batch") from None
    if dt.itemsize * 8 != f.bits:
        raise ValueError(f"{f.name} (0x{f.index:04X}:{f.subindex:02X}) is mapped with {f.bits} bits, "
                         f"its type has {dt.itemsize * 8}: only whole objects can be batch-decoded")
    return dt


def mapping_dtype(fields: list[PdoField] | tuple[PdoField, ...]) -> np.dtype:
    """Packed structured dtype of a PDO mapping (at most 8 bytes)."""
    dt = np.dtype([(f.name, field_dtype(f)) for f in fields])
    if dt.itemsize > 8:
        raise ValueError(f"PDO mapping of {dt.itemsize} bytes exceeds 8 bytes")
    return dt


def decode_frames(frames: list[bytes], dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Decode many frames of one PDO at once.

    Returns (records, bad) where ``records`` is a structured array of the frames of the right length
    (in order) and ``bad`` a boolean mask over ``frames`` marking those of another length (which the
    caller counts and reports; they are not decoded).
    """
    n = len(frames)
    lengths = np.fromiter(map(len, frames), dtype=np.int64, count=n)
    bad = lengths != dtype.itemsize
    if bad.any():
        frames = [f for f, b in zip(frames, bad) if not b]
    return np.frombuffer(b"".join(frames), dtype=dtype), bad
