"""Several simulated nodes on one channel share one bus and one thread; NMT broadcast reaches all of them."""

from __future__ import annotations

import threading

from hil_mocks.canopen import SimulatedCia402Drive, SimulatedCia406Encoder


def bus_threads(channel):
    return [t for t in threading.enumerate() if t.name == f"sim-can-{channel}"]


def test_nodes_share_one_thread_and_answer_independently(channel, wire, wait_until):
    drive_a = SimulatedCia402Drive(channel, 1)
    drive_b = SimulatedCia402Drive(channel, 2)
    encoder = SimulatedCia406Encoder(channel, 3)
    try:
        for sim in (drive_a, drive_b, encoder):
            sim.start()
        assert len(bus_threads(channel)) == 1
        # 0x1000 of each: drive 0x00020192, encoder 0x00010196
        assert wire.sdo(1, "40 00 10 00 00 00 00 00") == bytes.fromhex("43 00 10 00 92 01 02 00")
        assert wire.sdo(2, "40 00 10 00 00 00 00 00") == bytes.fromhex("43 00 10 00 92 01 02 00")
        assert wire.sdo(3, "40 00 10 00 00 00 00 00") == bytes.fromhex("43 00 10 00 96 01 01 00")
        wire.send(0x000, "01 00")                       # start all nodes
        wait_until(lambda: all(s.nmt_state == "OPERATIONAL" for s in (drive_a, drive_b, encoder)))
        drive_b.stop()
        assert len(bus_threads(channel)) == 1           # the others still run
        start = wire.mark()
        wire.send(0x080, "")
        wire.expect(0x183, since=start)                 # encoder TPDO1 on SYNC
        wire.expect(0x281, since=start)                 # drive 1 TPDO2 on SYNC
        wire.collect(0.05)
        assert wire.since(start, 0x282) == []           # drive 2 is gone
    finally:
        for sim in (drive_a, drive_b, encoder):
            sim.stop()
    assert bus_threads(channel) == []


def test_reset_node_restores_the_application(channel, wire, wait_until):
    with SimulatedCia402Drive(channel, 1) as drive:
        wire.write(1, 0x6081, 0, 12345, "I")
        wire.write(1, 0x6040, 0, 0x06, "H")
        assert wire.read(1, 0x6041, 0, "H") & 0x6F == 0x21
        mark = wire.mark()
        wire.send(0x000, "81 01")                       # reset node
        assert bytes(wire.expect(0x701, since=mark).data) == b"\x00"
        assert wire.read(1, 0x6081, 0, "I") == 10 * (1 << 20)   # EDS default: 10 rev/s
        assert wire.read(1, 0x6041, 0, "H") & 0x4F == 0x40
        assert drive.nmt_state == "PRE-OPERATIONAL"
