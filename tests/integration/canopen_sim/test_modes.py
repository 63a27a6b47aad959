"""Modes of the simulated drive (its own ideal motor): PP set-point handshake and trapezoidal moves,
homing (35 current position, 34 to the next index pulse), cyclic synchronous modes applied at SYNC.

Bits (CiA 402, DOMAIN.md §5.4): controlword 4 new set-point / homing start, 5 change immediately,
6 relative; statusword 10 target reached, 12 set-point acknowledge (PP) / homing attained /
drive follows the command (CSx). Units: increments (2^20 per motor revolution), increments/s, /s².
"""

from __future__ import annotations

import math

import pytest

from hil_mocks.canopen import SimulatedCia402Drive

NODE = 6
REV = 1 << 20


@pytest.fixture
def drive(channel, wire):
    sim = SimulatedCia402Drive(channel, NODE, rated_torque_nm=2.0)
    sim.start()
    wire.expect(0x700 + NODE)
    yield sim
    sim.stop()


def enable(wire, mode):
    wire.write(NODE, 0x6060, 0, mode, "b")
    assert wire.read(NODE, 0x6061, 0, "b") == mode       # 0x6061 follows 0x6060
    for command in (0x06, 0x07, 0x0F):
        wire.write(NODE, 0x6040, 0, command, "H")
    assert wire.read(NODE, 0x6041, 0, "H") & 0x6F == 0x27


def sw(wire):
    return wire.read(NODE, 0x6041, 0, "H")


def pos(wire):
    return wire.read(NODE, 0x6064, 0, "i")


def test_pp_handshake_and_absolute_then_relative_move(drive, wire, wait_until):
    wire.write(NODE, 0x6081, 0, 4 * REV, "I")
    wire.write(NODE, 0x6083, 0, 40 * REV, "I")
    wire.write(NODE, 0x6084, 0, 40 * REV, "I")
    enable(wire, 1)
    wire.write(NODE, 0x607A, 0, REV, "i")
    wire.write(NODE, 0x6040, 0, 0x1F, "H")                # new set-point
    status = sw(wire)
    assert status & 0x1000                                # acknowledged
    assert not status & 0x0400                            # moving: target not reached
    wire.write(NODE, 0x6040, 0, 0x0F, "H")
    assert not sw(wire) & 0x1000                          # ack follows bit 4 down
    wait_until(lambda: sw(wire) & 0x0400, timeout_s=2.0)  # trapezoid: 0.1 + 0.15 + 0.1 s
    assert pos(wire) == pytest.approx(REV, abs=2)
    wire.write(NODE, 0x607A, 0, -REV // 2, "i")
    wire.write(NODE, 0x6040, 0, 0x5F, "H")                # new set-point, relative
    wire.write(NODE, 0x6040, 0, 0x4F, "H")
    wait_until(lambda: not sw(wire) & 0x0400, timeout_s=0.5)
    wait_until(lambda: sw(wire) & 0x0400, timeout_s=2.0)
    assert pos(wire) == pytest.approx(REV // 2, abs=2)
    assert drive.axis.angle_rad == pytest.approx(math.pi, abs=1e-5)


def test_pp_profile_is_trapezoidal(drive, wire, wait_until):
    """A 2-rev move at 4 rev/s, 40 rev/s²: velocity actual never exceeds 4 rev/s and reaches it."""
    wire.write(NODE, 0x6081, 0, 4 * REV, "I")
    wire.write(NODE, 0x6083, 0, 40 * REV, "I")
    wire.write(NODE, 0x6084, 0, 40 * REV, "I")
    enable(wire, 1)
    wire.write(NODE, 0x607A, 0, 2 * REV, "i")
    wire.write(NODE, 0x6040, 0, 0x1F, "H")
    speeds = []
    wait_until(lambda: speeds.append(wire.read(NODE, 0x606C, 0, "i")) or sw(wire) & 0x0400, timeout_s=3.0)
    assert max(speeds) <= 4 * REV * 1.2                    # speed sampled over one tick may jitter
    assert max(speeds) >= 4 * REV * 0.8


def test_homing_35_sets_position_to_home_offset(drive, wire, wait_until):
    with drive.plant_lock:
        drive.axis.angle_rad = 2.5 * 2 * math.pi
    wire.write(NODE, 0x6098, 0, 35, "b")
    wire.write(NODE, 0x607C, 0, 1000, "i")
    enable(wire, 6)
    assert sw(wire) & 0x3400 == 0x0400                    # not started (CiA 402: bit 10 = 1, 12 = 0)
    wire.write(NODE, 0x6040, 0, 0x1F, "H")
    wait_until(lambda: sw(wire) & 0x3400 == 0x1400)       # homing attained, target reached
    assert pos(wire) == 1000


def test_homing_34_moves_to_the_next_index_pulse(drive, wire, wait_until):
    with drive.plant_lock:
        drive.axis.angle_rad = 0.3 * 2 * math.pi
    wire.write(NODE, 0x6098, 0, 34, "b")
    wire.write(NODE, 0x607C, 0, 0, "i")
    wire.write(NODE, 0x6099, 2, 4 * REV, "I")              # search speed 4 rev/s
    wire.write(NODE, 0x609A, 0, 100 * REV, "I")            # 100 rev/s²
    enable(wire, 6)
    wire.write(NODE, 0x6040, 0, 0x1F, "H")
    assert sw(wire) & 0x3400 == 0x0000                     # in progress
    wait_until(lambda: sw(wire) & 0x3400 == 0x1400, timeout_s=2.0)
    # the index is at 1 motor revolution; stopping from 4 rev/s at 100 rev/s² adds 0.08 rev
    overshoot = pos(wire) / REV
    assert overshoot == pytest.approx(0.08, abs=0.03)
    assert drive.axis.angle_rad / (2 * math.pi) == pytest.approx(1.0 + overshoot, abs=1e-3)


def test_unsupported_homing_method_is_refused(drive, wire):
    # homing method 1 (negative limit switch + index): no switches on the bench → value range abort
    answer = wire.sdo(NODE, "2F 98 60 00 01 00 00 00")
    assert answer == bytes.fromhex("80 98 60 00 30 00 09 06")


@pytest.mark.parametrize("mode,index,fmt,value,attribute,expected", [
    (8, 0x607A, "i", REV // 2, "position_target_rad", math.pi),
    (9, 0x60FF, "i", REV, "velocity_target_rad_s", 2 * math.pi),
    (10, 0x6071, "h", 500, "torque_target_nm", 1.0),       # 500 ‰ of 2 N·m
])
def test_cyclic_synchronous_modes_take_the_set_point_at_sync(drive, wire, wait_until, mode, index, fmt, value,
                                                            attribute, expected):
    wire.send(0x000, "01 06")
    enable(wire, mode)
    assert sw(wire) & 0x1000                               # drive follows the command value
    wire.write(NODE, index, 0, value, fmt)
    wire.collect(0.02)
    assert getattr(drive.axis, attribute) != pytest.approx(expected)   # not before SYNC
    wire.send(0x080, "")
    wait_until(lambda: getattr(drive.axis, attribute) == pytest.approx(expected))
    assert drive.axis.mode == {8: "position", 9: "velocity", 10: "torque"}[mode]


def test_pt_torque_slope_and_halt(drive, wire, wait_until):
    """0x6087 torque slope 1000 ‰/s: 500 ‰ is reached after about 0.5 s; halt brings the torque to 0."""
    wire.write(NODE, 0x6087, 0, 1000, "I")
    enable(wire, 4)
    wire.write(NODE, 0x6071, 0, 500, "h")
    demand = wire.read(NODE, 0x6074, 0, "h")
    assert 0 <= demand < 400                               # still ramping
    assert not wire.read(NODE, 0x6041, 0, "H") & 0x0400
    # 0x6074 rounds to 500 ‰ a step before the ramp lands on it; bit 10 waits for the exact target
    wait_until(lambda: wire.read(NODE, 0x6041, 0, "H") & 0x0400, timeout_s=2.0)   # target reached
    assert wire.read(NODE, 0x6074, 0, "h") == 500
    assert drive.axis.torque_target_nm == pytest.approx(1.0)
    wire.write(NODE, 0x6040, 0, 0x10F, "H")                # halt
    wait_until(lambda: wire.read(NODE, 0x6074, 0, "h") == 0, timeout_s=2.0)


def test_csp_holds_position_until_the_first_sync(drive, wire):
    with drive.plant_lock:
        drive.axis.angle_rad = 1.25
    wire.send(0x000, "01 06")
    enable(wire, 8)
    assert drive.axis.mode == "position"
    assert drive.axis.position_target_rad == pytest.approx(1.25)
