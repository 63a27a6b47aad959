"""CiA 301 services of the simulated drive, checked with frames written by hand from CiA 301.

Frame layouts (CiA 301): boot-up = COB 0x700+n, one byte 0x00; heartbeat = COB 0x700+n, one byte with
the NMT state (0x7F pre-operational, 0x05 operational, 0x04 stopped); NMT = COB 0x000, [command, node];
SDO expedited upload request 0x40, answer 0x43/0x4B/0x4F for 4/2/1 bytes; expedited download of 2 bytes
0x2B, answer 0x60; abort 0x80 + index + sub-index + abort code (little endian).
"""

from __future__ import annotations

import can
import pytest

from hil_mocks.canopen import SimulatedCia402Drive

NODE = 5


@pytest.fixture
def drive(channel, wire):
    sim = SimulatedCia402Drive(channel, NODE)
    yield sim
    sim.stop()


def test_boot_up_message_on_start(drive, wire):
    drive.start()
    msg = wire.expect(0x705)
    assert bytes(msg.data) == bytes.fromhex("00")
    assert drive.nmt_state == "PRE-OPERATIONAL"


def test_expedited_upload_of_device_type_and_vendor(drive, wire):
    drive.start()
    # 0x1000 = 0x00020192 (CiA 402, servo drive type 2): 43 00 10 00 | 92 01 02 00
    assert wire.sdo(NODE, "40 00 10 00 00 00 00 00") == bytes.fromhex("43 00 10 00 92 01 02 00")
    # 0x1018:01 vendor id 0 (stated in bench_servo_drive.eds)
    assert wire.sdo(NODE, "40 18 10 01 00 00 00 00") == bytes.fromhex("43 18 10 01 00 00 00 00")
    # 0x6502 supported modes: PP, PV, PT, homing, CSP, CSV, CST = 0x000003AD
    assert wire.sdo(NODE, "40 02 65 00 00 00 00 00") == bytes.fromhex("43 02 65 00 AD 03 00 00")


def test_segmented_upload_initiate_gives_size(drive, wire):
    drive.start()
    # 0x1008 device name "bench servo drive (simulated)" is 29 = 0x1D bytes: segmented, size indicated
    assert wire.sdo(NODE, "40 08 10 00 00 00 00 00") == bytes.fromhex("41 08 10 00 1D 00 00 00")
    # first segment (toggle 0): 0x00 + 7 bytes "bench s"
    assert wire.sdo(NODE, "60 00 00 00 00 00 00 00") == bytes.fromhex("00") + b"bench s"


def test_abort_codes(drive, wire):
    drive.start()
    # object does not exist: 0x06020000
    assert wire.sdo(NODE, "40 FF 2F 00 00 00 00 00") == bytes.fromhex("80 FF 2F 00 00 00 02 06")
    # write to read-only statusword: 0x06010002
    assert wire.sdo(NODE, "2B 41 60 00 06 00 00 00") == bytes.fromhex("80 41 60 00 02 00 01 06")
    # sub-index does not exist: 0x06090011
    assert wire.sdo(NODE, "40 18 10 09 00 00 00 00") == bytes.fromhex("80 18 10 09 11 00 09 06")
    # unsupported mode of operation 0x6060 = 7 (interpolated position): value range 0x06090030
    assert wire.sdo(NODE, "2F 60 60 00 07 00 00 00") == bytes.fromhex("80 60 60 00 30 00 09 06")


def test_heartbeat_producer_time_is_writable_and_follows_nmt(drive, wire):
    drive.start()
    wire.expect(0x705)  # boot-up
    # 0x1017 = 100 ms
    assert wire.sdo(NODE, "2B 17 10 00 64 00 00 00") == bytes.fromhex("60 17 10 00 00 00 00 00")
    beats = [m for m in wire.collect(0.35) if m.arbitration_id == 0x705]
    assert 2 <= len(beats) <= 5
    assert all(bytes(m.data) == b"\x7f" for m in beats)
    wire.send(0x000, "01 05")  # start remote node
    assert bytes(wire.expect(0x705).data) == b"\x05"
    wire.send(0x000, "02 00")  # stop all nodes (node id 0 = broadcast)
    assert bytes(wire.expect(0x705).data) == b"\x04"


def test_stopped_node_answers_no_sdo(drive, wire):
    drive.start()
    wire.send(0x000, "02 05")
    wire.drain()
    wire.send(0x605, "40 00 10 00 00 00 00 00")
    assert not [m for m in wire.collect(0.15) if m.arbitration_id == 0x585]
    wire.send(0x000, "80 05")  # back to pre-operational
    assert wire.sdo(NODE, "40 00 10 00 00 00 00 00")[:1] == b"\x43"


def test_stop_heartbeat_fault_keeps_the_node_alive(drive, wire):
    drive.start()
    wire.sdo(NODE, "2B 17 10 00 14 00 00 00")  # 20 ms
    wire.expect(0x705)
    drive.stop_heartbeat()
    wire.drain()
    frames = wire.collect(0.15)
    assert not [m for m in frames if m.arbitration_id == 0x705]
    assert wire.sdo(NODE, "40 00 10 00 00 00 00 00")[:1] == b"\x43"
    drive.resume_heartbeat()
    assert bytes(wire.expect(0x705, 0.5).data) == b"\x7f"


def test_reset_communication_boots_again_with_default_heartbeat(drive, wire):
    drive.start()
    wire.sdo(NODE, "2B 17 10 00 14 00 00 00")
    wire.drain()
    wire.send(0x000, "82 05")
    assert bytes(wire.expect(0x705, where=lambda m: bytes(m.data) == b"\x00").data) == b"\x00"
    # 0x1017 back to its EDS default 0
    assert wire.sdo(NODE, "40 17 10 00 00 00 00 00") == bytes.fromhex("4B 17 10 00 00 00 00 00")


def test_bad_frames_are_counted_not_fatal(drive, wire):
    drive.start()
    wire.send(0x605, "40 00 10")          # SDO request of 3 bytes
    wire.send(0x000, "01")                # NMT of 1 byte
    assert wire.sdo(NODE, "40 00 10 00 00 00 00 00")[:1] == b"\x43"
    assert drive.stats.bad_frames == 2
    assert drive.running
    assert len(drive.stats.errors) == 2


def test_node_guarding_answers_remote_frames_with_a_toggle_bit(drive, wire):
    drive.start()
    wire.expect(0x705)  # boot-up
    answers = []
    for _ in range(3):
        mark = wire.mark()
        wire.bus.send(can.Message(arbitration_id=0x705, is_remote_frame=True, dlc=1, is_extended_id=False))
        answers.append(bytes(wire.expect(0x705, since=mark, where=lambda m: not m.is_remote_frame).data))
    # CiA 301 node guarding: bit 7 toggles (starting at 0), bits 0..6 the state (0x7F pre-operational)
    assert answers == [b"\x7f", b"\xff", b"\x7f"]
