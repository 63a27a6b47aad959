"""Wire fault injection (drop, delay, corrupt) and building drives from EDS/DCF files with their quirks."""

from __future__ import annotations

import time

import pytest

from hil_mocks.canopen import DRIVE_EDS, SimulatedCia402Drive

NODE = 7
DEVICE_TYPE_ANSWER = bytes.fromhex("43 00 10 00 92 01 02 00")   # 0x1000 = 0x00020192 (CiA 402 servo)


@pytest.fixture
def drive(channel, wire):
    sim = SimulatedCia402Drive(channel, NODE)
    sim.start()
    wire.expect(0x700 + NODE)
    yield sim
    sim.stop()


def sync_tpdos(wire, count):
    """Send ``count`` SYNCs in OPERATIONAL and return the TPDO2 frames (default: type 1) that came back."""
    wire.send(0x000, f"01 {NODE:02X}")
    time.sleep(0.02)
    start = wire.mark()
    for _ in range(count):
        wire.send(0x080, "")
        time.sleep(0.002)
    wire.collect(0.1)
    return wire.since(start, 0x280 + NODE)


def test_drop_all_tpdos_but_keep_answering(drive, wire):
    drive.faults.kinds = frozenset({"tpdo"})
    drive.faults.drop_fraction = 1.0
    assert sync_tpdos(wire, 10) == []
    assert drive.faults.counters.dropped_tx >= 10
    assert wire.sdo(NODE, "40 00 10 00 00 00 00 00") == DEVICE_TYPE_ANSWER


def test_drop_a_fraction(drive, wire):
    drive.faults.drop_fraction = 0.5
    got = len(sync_tpdos(wire, 40))
    assert 5 <= got <= 35                                 # seeded: some dropped, some sent
    assert drive.faults.counters.dropped_tx >= 40 - got


def test_delay_keeps_order(drive, wire):
    drive.faults.delay_s = 0.1
    start = wire.mark()
    t0 = time.monotonic()
    wire.send(0x600 + NODE, "40 00 10 00 00 00 00 00")
    wire.send(0x600 + NODE, "40 18 10 01 00 00 00 00")
    first = wire.expect(0x580 + NODE, 1.0, since=start)
    waited = time.monotonic() - t0
    second = wire.expect(0x580 + NODE, 1.0, since=start)
    assert waited >= 0.09
    assert bytes(first.data) == DEVICE_TYPE_ANSWER
    assert bytes(second.data) == bytes.fromhex("43 18 10 01 00 00 00 00")
    drive.faults.delay_s = 0.0
    assert wire.sdo(NODE, "40 00 10 00 00 00 00 00") == DEVICE_TYPE_ANSWER


def test_corrupt_next_frames(drive, wire):
    drive.faults.corrupt_next(2)
    short = wire.sdo(NODE, "40 00 10 00 00 00 00 00")
    assert short == DEVICE_TYPE_ANSWER[:7]                # wrong length: last byte cut
    garbage = wire.sdo(NODE, "40 00 10 00 00 00 00 00")
    assert len(garbage) == 8 and garbage != DEVICE_TYPE_ANSWER
    assert wire.sdo(NODE, "40 00 10 00 00 00 00 00") == DEVICE_TYPE_ANSWER
    assert drive.faults.counters.corrupted == 2


def test_dropped_commands(drive, wire):
    drive.faults.drop_rx_fraction = 1.0
    start = wire.mark()
    wire.send(0x600 + NODE, "40 00 10 00 00 00 00 00")
    wire.collect(0.1)
    assert wire.since(start, 0x580 + NODE) == []
    assert drive.faults.counters.dropped_rx >= 1
    drive.faults.clear()
    assert wire.sdo(NODE, "40 00 10 00 00 00 00 00") == DEVICE_TYPE_ANSWER


# ------------------------------------------------------------------ EDS / DCF quirks

def test_missing_device_type_gets_the_drive_profile(channel, wire, shared_dir):
    # the maxon EPOS4 EDS gives 0x1000 no default value
    with SimulatedCia402Drive(channel, NODE, eds_path=shared_dir / "eds" / "maxon_EPOS4_Module_50-5.eds"):
        assert wire.sdo(NODE, "40 00 10 00 00 00 00 00") == DEVICE_TYPE_ANSWER


@pytest.mark.parametrize("eds_name,modes", [
    ("schunk_PRL120.eds", 0x000000A1),                    # no 0x60FF / 0x6071: PP, homing, CSP only
    ("technosoft_iPOS_v1.04.eds", 0x000003AD),
    ("cia402_sample_profile_kacanopen.eds", 0x000003AD),
])
def test_supported_modes_follow_the_objects_the_eds_has(channel, wire, shared_dir, eds_name, modes):
    with SimulatedCia402Drive(channel, NODE, eds_path=shared_dir / "eds" / eds_name):
        assert wire.read(NODE, 0x6502, 0, "I") == modes


def test_real32_objects_of_the_schunk_eds(channel, wire, shared_dir):
    with SimulatedCia402Drive(channel, NODE, eds_path=shared_dir / "eds" / "schunk_PRL120.eds"):
        # 0x2002:01 debug_value_float_1 (REAL32, rw): 1.5f = 0x3FC00000
        assert wire.sdo(NODE, "23 02 20 01 00 00 C0 3F") == bytes.fromhex("60 02 20 01 00 00 00 00")
        assert wire.sdo(NODE, "40 02 20 01 00 00 00 00") == bytes.fromhex("43 02 20 01 00 00 C0 3F")
        # and a REAL32 can be mapped in a TPDO: 0x1A03 = 0x20020120
        wire.write(NODE, 0x1A03, 0, 0, "B")
        wire.write(NODE, 0x1A03, 1, 0x20020120, "I")
        wire.write(NODE, 0x1A03, 0, 1, "B")


def test_a_cia406_file_is_not_a_drive(channel, shared_dir):
    with pytest.raises(ValueError, match="0x6041"):
        SimulatedCia402Drive(channel, NODE, eds_path=shared_dir / "eds" / "cia406_sample_profile_kacanopen.eds")


def test_dcf_parameter_values_are_the_start_values(channel, wire, tmp_path):
    text = DRIVE_EDS.read_text(encoding="utf-8").replace("\r\n", "\n")
    text = text.replace("[6081]\n", "[6081]\nParameterValue=123456\n", 1)
    text = text.replace("[DeviceInfo]", "[DeviceComissioning]\nNodeID=7\nBaudrate=1000\n\n[DeviceInfo]", 1)
    dcf = tmp_path / "drive.dcf"
    dcf.write_text(text, encoding="utf-8")
    with SimulatedCia402Drive(channel, NODE, eds_path=dcf):
        assert wire.read(NODE, 0x6081, 0, "I") == 123456
        assert wire.read(NODE, 0x1800, 1, "I") == 0x180 + NODE   # $NODEID+0x180


def test_strict_mapping_refuses_objects_the_eds_marks_unmappable(channel, wire, shared_dir):
    eds = shared_dir / "eds" / "cia402_sample_profile_kacanopen.eds"  # 0x6061: PDOMapping=0 there
    with SimulatedCia402Drive(channel, NODE, eds_path=eds, strict_pdo_mapping=True):
        wire.write(NODE, 0x1A00, 0, 0, "B")
        wire.write(NODE, 0x1A00, 1, 0x60610008, "I")
        assert wire.sdo(NODE, "2F 00 1A 00 01 00 00 00") == bytes.fromhex("80 00 1A 00 41 00 04 06")
