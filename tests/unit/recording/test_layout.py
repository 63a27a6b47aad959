"""The on-disk record format, checked against bytes written by hand (layout documented in
bench/recording/layout.py: little-endian float64 t_s, the channel's value dtype, uint8 flags, packed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.recording import RecordingError, RunWriter, open_run
from bench.recording.layout import channel_file_stem, record_dtype

# IEEE 754 binary64, little-endian: 1.0 = 3FF0000000000000, -2.5 = C004000000000000,
# 1.5 = 3FF8000000000000, 0.25 = 3FD0000000000000; flags 0x02 = SampleFlag.OVER_RANGE.
REC_1 = bytes.fromhex("000000000000F03F" "00000000000004C0" "02")
REC_2 = bytes.fromhex("000000000000F83F" "000000000000D03F" "00")


def _hand_sidecar(path, name="out.angle_rad", dtype="float64", itemsize=17):
    (path / "streams" / "ch.json").write_text(json.dumps(
        {"name": name, "unit": "rad", "dtype": dtype, "rate_hz": 1000.0, "data_file": "ch.bin",
         "record": {"itemsize": itemsize}}))


def test_float64_record_is_17_packed_bytes():
    dt = record_dtype("float64")
    assert dt.itemsize == 8 + 8 + 1
    assert dt.names == ("t_s", "value", "flags")


def test_reader_decodes_hand_written_records(tmp_path, make_killed_run):
    path = make_killed_run(tmp_path)
    _hand_sidecar(path)
    (path / "streams" / "ch.bin").write_bytes(REC_1 + REC_2)
    run = open_run(path)
    t, v = run.read("out.angle_rad")
    assert t.tolist() == [1.0, 1.5]
    assert v.tolist() == [-2.5, 0.25]
    assert run.read_flags("out.angle_rad").tolist() == [2, 0]


@pytest.mark.parametrize("torn", [1, 8, 16])
def test_reader_ignores_a_torn_last_record(tmp_path, torn, make_killed_run):
    path = make_killed_run(tmp_path)
    _hand_sidecar(path)
    (path / "streams" / "ch.bin").write_bytes(REC_1 + REC_2[:torn])
    t, v = open_run(path).read("out.angle_rad")
    assert t.tolist() == [1.0] and v.tolist() == [-2.5]
    mapped = open_run(path).read_records("out.angle_rad", mmap=True)
    assert isinstance(mapped, np.memmap) and mapped["value"].tolist() == [-2.5]


def test_int32_record_layout(tmp_path, make_killed_run):
    # t = 1.0, value int32 -2 = FEFFFFFF (two's complement, LE), flags 0x01 = NO_DATA
    path = make_killed_run(tmp_path)
    _hand_sidecar(path, name="drive.status", dtype="int32", itemsize=13)
    (path / "streams" / "ch.bin").write_bytes(bytes.fromhex("000000000000F03F" "FEFFFFFF" "01"))
    run = open_run(path)
    t, v = run.read("drive.status")
    assert v.dtype == np.int32 and v.tolist() == [-2] and t.tolist() == [1.0]


def test_writer_produces_exactly_the_documented_bytes(tmp_path, angle_spec, block):
    with RunWriter.create(tmp_path, {}) as w:
        w.add_channel(angle_spec)
        w.write_block(block("out.angle_rad", [1.0, 1.5], [-2.5, 0.25], [2, 0]))
    data = (w.path / "streams" / "out.angle_rad.bin").read_bytes()
    assert data == REC_1 + REC_2


def test_sidecar_itemsize_mismatch_is_reported(tmp_path, make_killed_run):
    path = make_killed_run(tmp_path)
    _hand_sidecar(path, itemsize=16)
    (path / "streams" / "ch.bin").write_bytes(REC_1)
    with pytest.raises(RecordingError, match="record size 16"):
        open_run(path).read("out.angle_rad")


@pytest.mark.parametrize("dtype", ["object", "U8", "complex128", "datetime64[s]"])
def test_non_numeric_dtypes_are_refused(dtype):
    with pytest.raises(RecordingError, match="cannot be recorded"):
        record_dtype(dtype)


def test_channel_file_stems_are_safe_and_unique():
    taken: set[str] = set()
    a = channel_file_stem("in/torque nm", taken)
    assert a == "in_torque_nm"
    taken.add(a.lower())
    b = channel_file_stem("in?torque nm", taken)
    assert b != a and "/" not in b and "?" not in b
    assert channel_file_stem("..", set()) == "channel"


def test_unknown_channel_error_lists_known(tmp_path, make_killed_run):
    path = make_killed_run(tmp_path)
    _hand_sidecar(path)
    with pytest.raises(RecordingError, match=r"no channel 'nope' \(channels: out.angle_rad\)"):
        open_run(path).read("nope")


def test_missing_or_broken_record(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(RecordingError, match="record.json is missing"):
        open_run(tmp_path / "a")
    (tmp_path / "a" / "record.json").write_text("{ broken")
    with pytest.raises(RecordingError, match="cannot read"):
        open_run(tmp_path / "a")
    with pytest.raises(RecordingError, match="no run folder"):
        open_run(tmp_path / "missing")
