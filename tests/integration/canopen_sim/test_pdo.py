"""PDO engine of the simulated drive: any mapping written by SDO in PRE-OPERATIONAL, SYNC and event TPDOs,
RPDOs applied on reception (type 255) or at the next SYNC (type 1), CiA 301 refusals.

The SDO frames are written by hand (CiA 301 expedited download: 0x2F 1 byte, 0x2B 2 bytes, 0x23 4 bytes;
answer 0x60). Mapping entries are 0xIIIISSLL (index, sub-index, length in bits), COB-ID bit 31 = invalid.
The streaming layout is the one of the bench contract (TPDO1 = 0x6041 + 0x6064, RPDO1 = 0x6040 + 0x6060).
"""

from __future__ import annotations

import struct

import pytest

from hil_mocks.canopen import SimulatedCia402Drive

NODE = 5

# TPDO1 := statusword + position actual, on every SYNC (contract's driver-side streaming layout)
TPDO1_STREAMING = [
    ("23 00 18 01 85 01 00 80", "60 00 18 01 00 00 00 00"),  # 0x1800:01 = 0x80000185 (invalid)
    ("2F 00 1A 00 00 00 00 00", "60 00 1A 00 00 00 00 00"),  # 0x1A00:00 = 0
    ("23 00 1A 01 10 00 41 60", "60 00 1A 01 00 00 00 00"),  # 0x1A00:01 = 0x60410010
    ("23 00 1A 02 20 00 64 60", "60 00 1A 02 00 00 00 00"),  # 0x1A00:02 = 0x60640020
    ("2F 00 1A 00 02 00 00 00", "60 00 1A 00 00 00 00 00"),  # 0x1A00:00 = 2
    ("2F 00 18 02 01 00 00 00", "60 00 18 02 00 00 00 00"),  # 0x1800:02 = 1 (every SYNC)
    ("23 00 18 01 85 01 00 00", "60 00 18 01 00 00 00 00"),  # 0x1800:01 = 0x185 (valid)
]


@pytest.fixture
def drive(channel, wire):
    sim = SimulatedCia402Drive(channel, NODE)
    sim.start()
    wire.expect(0x705)
    yield sim
    sim.stop()


def run(wire, steps):
    for request, answer in steps:
        assert wire.sdo(NODE, request) == bytes.fromhex(answer), request


def statusword(wire) -> int:
    answer = wire.sdo(NODE, "40 41 60 00 00 00 00 00")
    assert answer[:4] == bytes.fromhex("4B 41 60 00")
    return struct.unpack_from("<H", answer, 4)[0]


def test_streaming_layout_on_sync(drive, wire):
    run(wire, TPDO1_STREAMING)
    wire.send(0x000, "01 05")
    wire.drain()
    wire.send(0x080, "")
    msg = wire.expect(0x185)
    # statusword SWITCH ON DISABLED (bit 6) + remote (bit 9) = 0x0240, position 0
    assert bytes(msg.data) == bytes.fromhex("40 02 00 00 00 00")
    assert drive.stats.sync_count >= 1


def test_every_second_sync(drive, wire, wait_until):
    run(wire, TPDO1_STREAMING[:-2] + [("2F 00 18 02 02 00 00 00", "60 00 18 02 00 00 00 00"),
                                      TPDO1_STREAMING[-1]])
    wire.send(0x000, "01 05")
    wait_until(lambda: drive.nmt_state == "OPERATIONAL")
    start = wire.mark()
    for _ in range(6):
        wire.send(0x080, "")
    wait_until(lambda: drive.stats.sync_count >= 6)
    wire.collect(0.05)
    assert len(wire.since(start, 0x185)) == 3


def test_pdo_read_back_by_sdo(drive, wire):
    run(wire, TPDO1_STREAMING)
    assert wire.sdo(NODE, "40 00 1A 02 00 00 00 00") == bytes.fromhex("43 00 1A 02 20 00 64 60")
    assert wire.sdo(NODE, "40 00 1A 00 00 00 00 00") == bytes.fromhex("4F 00 1A 00 02 00 00 00")
    assert wire.sdo(NODE, "40 00 18 02 00 00 00 00") == bytes.fromhex("4F 00 18 02 01 00 00 00")


def test_mapping_refusals(drive, wire):
    # entry while sub-index 0 != 0 (default TPDO1 maps 2 objects): unsupported access 0x06010000
    assert wire.sdo(NODE, "23 00 1A 01 10 00 41 60") == bytes.fromhex("80 00 1A 01 00 00 01 06")
    run(wire, TPDO1_STREAMING[:2])
    # three 32-bit objects = 12 bytes > 8: 0x06040042
    run(wire, [("23 00 1A 01 20 00 64 60", "60 00 1A 01 00 00 00 00"),
               ("23 00 1A 02 20 00 6C 60", "60 00 1A 02 00 00 00 00"),
               ("23 00 1A 03 20 00 7A 60", "60 00 1A 03 00 00 00 00")])
    assert wire.sdo(NODE, "2F 00 1A 00 03 00 00 00") == bytes.fromhex("80 00 1A 00 42 00 04 06")
    # object not in the dictionary: cannot be mapped 0x06040041
    run(wire, [("23 00 1A 01 10 00 FF 2F", "60 00 1A 01 00 00 00 00")])
    assert wire.sdo(NODE, "2F 00 1A 00 01 00 00 00") == bytes.fromhex("80 00 1A 00 41 00 04 06")
    # wrong length for the object (statusword mapped as 32 bits): 0x06040041
    run(wire, [("23 00 1A 01 20 00 41 60", "60 00 1A 01 00 00 00 00")])
    assert wire.sdo(NODE, "2F 00 1A 00 01 00 00 00") == bytes.fromhex("80 00 1A 00 41 00 04 06")


def test_mapping_of_a_valid_pdo_is_locked_in_operational(drive, wire, wait_until):
    wire.send(0x000, "01 05")
    wait_until(lambda: drive.nmt_state == "OPERATIONAL")
    # 0x1A00:00 = 0 on valid TPDO1 in OPERATIONAL: 0x08000022 (device state)
    assert wire.sdo(NODE, "2F 00 1A 00 00 00 00 00") == bytes.fromhex("80 00 1A 00 22 00 00 08")
    # changing the COB-ID of a valid PDO: 0x06090030
    assert wire.sdo(NODE, "23 00 18 01 86 01 00 00") == bytes.fromhex("80 00 18 01 30 00 09 06")


def test_event_tpdo_on_entering_operational_and_on_change(drive, wire):
    # default TPDO1 of bench_servo_drive.eds: statusword + mode display, type 255; event timer off
    run(wire, [("2B 00 18 05 00 00 00 00", "60 00 18 05 00 00 00 00")])
    wire.drain()
    wire.send(0x000, "01 05")
    assert bytes(wire.expect(0x185).data) == bytes.fromhex("40 02 00")   # sent once on entering OPERATIONAL
    assert not [m for m in wire.collect(0.1) if m.arbitration_id == 0x185]  # nothing changes: nothing sent
    wire.send(0x605, "2B 40 60 00 06 00 00 00")                            # shutdown by SDO
    # READY TO SWITCH ON (0x21) + voltage enabled (bit 4) + remote (bit 9) = 0x0231
    assert bytes(wire.expect(0x185).data) == bytes.fromhex("31 02 00")


def test_event_timer(drive, wire):
    run(wire, [("2B 00 18 05 32 00 00 00", "60 00 18 05 00 00 00 00")])  # 50 ms
    wire.send(0x000, "01 05")
    wire.expect(0x185)
    frames = [m for m in wire.collect(0.5) if m.arbitration_id == 0x185]
    assert 6 <= len(frames) <= 12


def test_rpdo_type_255_applies_on_reception(drive, wire, wait_until):
    wire.send(0x000, "01 05")
    wait_until(lambda: drive.nmt_state == "OPERATIONAL")
    # default RPDO1 = controlword + modes of operation: shutdown, mode 3 (PV)
    wire.send(0x205, "06 00 03")
    wait_until(lambda: statusword(wire) & 0x6F == 0x21)
    assert wire.sdo(NODE, "40 61 60 00 00 00 00 00") == bytes.fromhex("4F 61 60 00 03 00 00 00")


def test_rpdo_type_1_applies_at_next_sync(drive, wire, wait_until):
    run(wire, [("23 00 14 01 05 02 00 80", "60 00 14 01 00 00 00 00"),
               ("2F 00 14 02 01 00 00 00", "60 00 14 02 00 00 00 00"),
               ("23 00 14 01 05 02 00 00", "60 00 14 01 00 00 00 00")])
    wire.send(0x000, "01 05")
    wait_until(lambda: drive.nmt_state == "OPERATIONAL")
    wire.send(0x205, "06 00 03")
    assert statusword(wire) & 0x4F == 0x40          # still SWITCH ON DISABLED: waits for SYNC
    wire.send(0x080, "")
    wait_until(lambda: statusword(wire) & 0x6F == 0x21)


def test_short_rpdo_gives_emcy_8210_and_is_counted(drive, wire, wait_until):
    wire.send(0x000, "01 05")
    wait_until(lambda: drive.nmt_state == "OPERATIONAL")
    wire.drain()
    wire.send(0x205, "06 00")                        # RPDO1 needs 3 bytes
    # EMCY 0x8210 "PDO not processed due to length error", error register 0x11 (generic + communication)
    assert bytes(wire.expect(0x085).data) == bytes.fromhex("10 82 11 00 00 00 00 00")
    assert drive.stats.bad_frames == 1
    assert drive.running
    assert statusword(wire) & 0x4F == 0x40


def test_rpdos_ignored_outside_operational(drive, wire):
    wire.send(0x205, "06 00 03")
    assert statusword(wire) & 0x4F == 0x40
