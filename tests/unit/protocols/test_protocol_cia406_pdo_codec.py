"""CiA 406 scaling / unwrap and the batched PDO decoder; frames written by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.protocols import cia406
from bench.protocols.pdo_codec import PdoField, decode_frames, mapping_dtype

# drive TPDO1 of the contract: statusword (UNSIGNED16 0x0006) + position actual (INTEGER32 0x0004)
TPDO1 = [PdoField("statusword", 0x6041, 0, 0x0006, 16), PdoField("position", 0x6064, 0, 0x0004, 32)]
# TPDO2: velocity actual INTEGER32 + torque actual INTEGER16
TPDO2 = [PdoField("velocity", 0x606C, 0, 0x0004, 32), PdoField("torque", 0x6077, 0, 0x0003, 16)]


def test_decode_tpdo1_frames():
    frames = [
        bytes.fromhex("37 06 00 00 10 00"),  # sw 0x0637, position 0x00100000 = 1048576 (one motor rev)
        bytes.fromhex("37 02 ff ff ff ff"),  # sw 0x0237, position -1
    ]
    rec, bad = decode_frames(frames, mapping_dtype(TPDO1))
    assert not bad.any()
    assert rec["statusword"].tolist() == [0x0637, 0x0237]
    assert rec["position"].tolist() == [1048576, -1]


def test_decode_tpdo2_and_wrong_lengths_are_flagged_not_decoded():
    frames = [
        bytes.fromhex("00 00 10 00 fa 00"),  # 1048576 inc/s, torque 250 ‰
        bytes.fromhex("00 00 10 00 fa"),  # one byte short
        bytes.fromhex("00 00 f0 ff 06 ff"),  # -1048576 inc/s, torque -250 ‰ (0xff06)
        bytes.fromhex("00 00 00 00 00 00 00"),  # one byte long
    ]
    rec, bad = decode_frames(frames, mapping_dtype(TPDO2))
    assert bad.tolist() == [False, True, False, True]
    assert rec["velocity"].tolist() == [1048576, -1048576]
    assert rec["torque"].tolist() == [250, -250]


def test_encoder_position_unsigned32_and_real32():
    enc = [PdoField("position", 0x6004, 0, 0x0007, 32)]
    rec, _ = decode_frames([bytes.fromhex("ff ff ff ff")], mapping_dtype(enc))
    assert rec["position"][0] == 0xFFFFFFFF
    real = [PdoField("position", 0x6064, 0, 0x0008, 32)]
    rec, _ = decode_frames([bytes.fromhex("00 00 c0 3f")], mapping_dtype(real))  # 1.5f IEEE 754
    assert rec["position"][0] == 1.5


def test_mapping_dtype_rejects_partial_objects_and_too_long():
    with pytest.raises(ValueError, match="12 bits"):
        mapping_dtype([PdoField("x", 0x6041, 0, 0x0006, 12)])
    with pytest.raises(ValueError, match="exceeds 8 bytes"):
        mapping_dtype([PdoField(f"p{i}", 0x6064, i, 0x0004, 32) for i in range(3)])


def test_counts_to_rad():
    assert cia406.counts_to_rad(4096, 8192) == pytest.approx(math.pi)


def test_unwrap_across_the_range_within_and_between_blocks():
    rng = 8192 * 4  # 4 revolutions of 8192 units
    a, last = cia406.unwrap_counts([rng - 2, rng - 1, 0, 1], rng)
    assert a.tolist() == [rng - 2, rng - 1, rng, rng + 1]
    b, last = cia406.unwrap_counts([rng - 1, 2], rng, previous=last)  # going back, then forward again
    assert b.tolist() == [rng - 1, rng + 2]
    c, _ = cia406.unwrap_counts(np.array([5, 3, rng - 1], dtype=np.uint32), rng)
    assert c.tolist() == [5, 3, -1]


def test_preset_counts():
    assert cia406.rad_to_counts(math.pi, 8192, 8192 * 16) == 4096
    assert cia406.rad_to_counts(-math.pi / 2, 8192, 8192 * 16) == 8192 * 16 - 2048
