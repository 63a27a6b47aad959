"""The simulated CiA 406 encoder: 0x6004 position value (UNSIGNED32, wraps), preset 0x6003, code sequence,
TPDO1 = 0x6004 on SYNC by default, reading the plant's encoder; built from the project EDS and from the
CiA 406 sample EDS in ``../shared/eds/`` (configured by the ``canopen`` package as a master would).
"""

from __future__ import annotations

import math
import struct

import canopen
import pytest

from hil_mocks.canopen import FixedEncoder, SimulatedCia406Encoder

NODE = 3
CPR = 1 << 20


@pytest.fixture
def fixed():
    return FixedEncoder(counts_per_rev=CPR)


@pytest.fixture
def encoder(channel, wire, fixed):
    sim = SimulatedCia406Encoder(channel, NODE, fixed)
    sim.start()
    wire.expect(0x700 + NODE)
    yield sim
    sim.stop()


def test_device_type_and_resolution(encoder, wire):
    # 0x1000 = 0x00010196: CiA 406 (0x196), device type 1
    assert wire.sdo(NODE, "40 00 10 00 00 00 00 00") == bytes.fromhex("43 00 10 00 96 01 01 00")
    assert wire.read(NODE, 0x6001, 0, "I") == CPR


def test_default_tpdo1_is_position_on_sync(encoder, wire, fixed):
    fixed.angle_rad = 1.5 * 2 * math.pi              # 1.5 rev = 0x00180000 counts
    wire.send(0x000, "01 03")
    wire.send(0x080, "")
    assert bytes(wire.expect(0x183).data) == bytes.fromhex("00 00 18 00")


def test_position_wraps_as_uint32(encoder, wire, fixed):
    fixed.angle_rad = -2 * math.pi / CPR * 0.5       # half a count below zero: floor → -1 → 0xFFFFFFFF
    assert wire.sdo(NODE, "40 04 60 00 00 00 00 00") == bytes.fromhex("43 04 60 00 FF FF FF FF")


def test_preset_sets_the_current_position(encoder, wire, fixed):
    fixed.angle_rad = 0.25 * 2 * math.pi
    # 0x6003 = 1000
    assert wire.sdo(NODE, "23 03 60 00 E8 03 00 00") == bytes.fromhex("60 03 60 00 00 00 00 00")
    assert wire.sdo(NODE, "40 04 60 00 00 00 00 00") == bytes.fromhex("43 04 60 00 E8 03 00 00")
    fixed.angle_rad += 2 * math.pi / CPR * 10.5       # 10 counts further
    assert wire.read(NODE, 0x6004, 0, "I") == 1010


def test_code_sequence_counts_the_other_way(encoder, wire, fixed):
    fixed.angle_rad = 0.5 * 2 * math.pi
    wire.write(NODE, 0x6000, 0, 0x0001, "H")
    assert wire.read(NODE, 0x6004, 0, "I") == (-CPR // 2) & 0xFFFFFFFF


def test_rescaled_measuring_units(encoder, wire, fixed):
    fixed.angle_rad = 0.75 * 2 * math.pi
    wire.write(NODE, 0x6001, 0, 3600, "I")            # 0.1° units
    assert wire.read(NODE, 0x6004, 0, "I") == 2700


def test_profile_is_taken_from_0x1000(channel):
    from hil_mocks.canopen import DRIVE_EDS

    with pytest.raises(ValueError, match="not a CiA 406 encoder"):
        SimulatedCia406Encoder(channel, NODE, None, eds_path=DRIVE_EDS)


def test_reads_the_plant_encoder(channel, wire, plant, wait_until):
    """Output encoder of the plant while the drive motor turns: position = plant reading, speed = ω_out."""
    sensor = plant.sensors.encoder_out
    sim = SimulatedCia406Encoder(channel, NODE, sensor, plant.lock)
    sim.start()
    try:
        with plant.lock:
            axis = plant.axes["in"]
            axis.mode = "velocity"
            axis.velocity_target_rad_s = 50.0          # output ≈ 1 rad/s through N = 50
        wait_until(lambda: abs(plant.output_speed_rad_s - 1.0) < 0.05, timeout_s=3.0)
        wire.send(0x000, "01 03")
        wire.send(0x080, "")
        with plant.lock:
            lo = sensor.read_counts()
        value = struct.unpack("<I", bytes(wire.expect(0x183).data))[0]
        with plant.lock:
            hi = sensor.read_counts()
        assert lo - 2 <= value <= hi + 2 or (value - lo) % (1 << 32) <= (hi - lo) % (1 << 32) + 2
        with plant.lock:
            sensor.disconnect()
        # a disconnected sensor: EMCY 0x7300 (sensor), generic error register, then no more positions
        assert bytes(wire.expect(0x083).data)[:3] == bytes.fromhex("00 73 01")
        start = wire.mark()
        for _ in range(3):
            wire.send(0x080, "")
        wire.collect(0.05)
        assert wire.since(start, 0x183) == []
        with plant.lock:
            sensor.reconnect()
        assert bytes(wire.expect(0x083).data) == bytes(8)   # error reset
        wire.send(0x080, "")
        wire.expect(0x183)
    finally:
        with plant.lock:
            plant.axes["in"].mode = "disabled"
        sim.stop()


def test_cia406_sample_eds_configured_by_a_canopen_master(channel, plant, shared_dir, wait_until):
    eds = shared_dir / "eds" / "cia406_sample_profile_kacanopen.eds"
    sensor = plant.sensors.encoder_in
    sim = SimulatedCia406Encoder(channel, NODE, sensor, plant.lock, eds_path=eds)
    network = canopen.Network()
    network.NOTIFIER_CYCLE = 0.05
    network.connect(interface="virtual", channel=channel)
    try:
        node = network.add_node(NODE, str(eds))
        sim.start()
        node.nmt.state = "PRE-OPERATIONAL"
        assert node.sdo[0x1000].raw == 0x00010196        # the EDS gives 0x1000 no value: the simulator's
        assert node.sdo[0x6001].raw == sensor.counts_per_rev
        node.tpdo.read()
        tpdo = node.tpdo[1]
        tpdo.clear()
        tpdo.add_variable(0x6004)
        tpdo.trans_type = 1
        tpdo.enabled = True
        node.tpdo.save()
        node.sdo[0x6003].raw = 12345
        node.nmt.state = "OPERATIONAL"
        network.sync.start(0.01)
        assert tpdo.wait_for_reception(1.0) is not None
        assert abs(tpdo[0x6004].raw - 12345) < 50           # the motor is at rest
    finally:
        network.sync.stop()
        network.disconnect()
        sim.stop()
