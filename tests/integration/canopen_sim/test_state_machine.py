"""CiA 402 state machine of the simulated drive (its own ideal motor): transitions, quick stop per 0x605A,
faults with their EMCY, fault reset.

Controlword commands and statusword masks are those of CiA 402 as listed in DOMAIN.md §5.4:
shutdown 0x06, switch on 0x07, enable operation 0x0F, disable voltage 0x00, quick stop 0x02,
fault reset 0x80 (rising edge); (sw & 0x4F) == 0x40 switch on disabled, (sw & 0x6F) == 0x21 ready,
0x23 switched on, 0x27 operation enabled, 0x07 quick stop active, (sw & 0x4F) == 0x08 fault.
EMCY (CiA 301): COB 0x080+n, error code (LE 16 bit), error register 0x1001, 5 manufacturer bytes.
"""

from __future__ import annotations

import struct

import pytest

from hil_mocks.canopen import SimulatedCia402Drive

NODE = 4
REV = 1 << 20  # increments per motor revolution (0x608F of bench_servo_drive.eds)


def sdo_write(wire, index, sub, value, fmt):
    cmd = {"b": 0x2F, "B": 0x2F, "h": 0x2B, "H": 0x2B, "i": 0x23, "I": 0x23}[fmt]
    payload = struct.pack("<" + fmt, value).ljust(4, b"\0")
    answer = wire.sdo(NODE, (struct.pack("<BHB", cmd, index, sub) + payload).hex())
    assert answer[:1] == b"\x60", f"write 0x{index:04X}:{sub:02X} answered {answer.hex()}"


def sdo_read(wire, index, sub, fmt):
    answer = wire.sdo(NODE, struct.pack("<BHB", 0x40, index, sub).hex() + "00000000")
    assert answer[0] in (0x43, 0x47, 0x4B, 0x4F), answer.hex()
    return struct.unpack_from("<" + fmt, answer, 4)[0]


def cw(wire, value):
    sdo_write(wire, 0x6040, 0, value, "H")


def sw(wire):
    return sdo_read(wire, 0x6041, 0, "H")


@pytest.fixture
def make_drive(channel, wire):
    sims = []

    def make(**kwargs):
        sim = SimulatedCia402Drive(channel, NODE, **kwargs)
        sim.start()
        wire.expect(0x700 + NODE)
        sims.append(sim)
        return sim

    yield make
    for sim in sims:
        sim.stop()


def test_power_on_state_is_switch_on_disabled(make_drive, wire):
    make_drive()
    assert sw(wire) & 0x4F == 0x40


@pytest.mark.parametrize("steps", [
    # (controlword, mask, expected) in order: transitions 2, 3, 4, 5, 4, 8, 7 ... of CiA 402
    [(0x06, 0x6F, 0x21), (0x07, 0x6F, 0x23), (0x0F, 0x6F, 0x27), (0x07, 0x6F, 0x23), (0x0F, 0x6F, 0x27),
     (0x06, 0x6F, 0x21), (0x00, 0x4F, 0x40)],
    # 10 (switched on → disable voltage), 9 (operation enabled → disable voltage)
    [(0x06, 0x6F, 0x21), (0x07, 0x6F, 0x23), (0x00, 0x4F, 0x40), (0x06, 0x6F, 0x21), (0x07, 0x6F, 0x23),
     (0x0F, 0x6F, 0x27), (0x00, 0x4F, 0x40)],
    # 7 by quick stop from ready; 6 switched on → shutdown
    [(0x06, 0x6F, 0x21), (0x02, 0x4F, 0x40), (0x06, 0x6F, 0x21), (0x07, 0x6F, 0x23), (0x06, 0x6F, 0x21)],
    # illegal: switch on straight from switch on disabled stays there
    [(0x07, 0x4F, 0x40), (0x0F, 0x4F, 0x40)],
])
def test_transitions(make_drive, wire, steps):
    make_drive()
    for command, mask, expected in steps:
        cw(wire, command)
        assert sw(wire) & mask == expected, f"after 0x{command:02X}"


def enable_pv(wire, speed_incr_s):
    sdo_write(wire, 0x6060, 0, 3, "b")
    for command in (0x06, 0x07, 0x0F):
        cw(wire, command)
    assert sw(wire) & 0x6F == 0x27
    sdo_write(wire, 0x60FF, 0, speed_incr_s, "i")


def test_quick_stop_option_2_ramps_down_then_switch_on_disabled(make_drive, wire, wait_until):
    drive = make_drive(quick_stop_option=2)
    sdo_write(wire, 0x6085, 0, 20 * REV, "I")           # quick stop deceleration 20 rev/s²
    enable_pv(wire, 4 * REV)                            # 4 rev/s
    wait_until(lambda: sdo_read(wire, 0x606C, 0, "i") == 4 * REV)
    cw(wire, 0x02)
    assert sw(wire) & 0x6F == 0x07                      # QUICK STOP ACTIVE while decelerating (~0.2 s)
    assert abs(sdo_read(wire, 0x606C, 0, "i")) > 0
    wait_until(lambda: sw(wire) & 0x4F == 0x40, timeout_s=2.0)
    assert sdo_read(wire, 0x606C, 0, "i") == 0
    assert drive.axis.mode == "disabled"


def test_quick_stop_option_6_stays_and_can_resume(make_drive, wire, wait_until):
    drive = make_drive(quick_stop_option=6)
    assert sdo_read(wire, 0x605A, 0, "h") == 6
    enable_pv(wire, 2 * REV)
    wait_until(lambda: sdo_read(wire, 0x606C, 0, "i") == 2 * REV)
    cw(wire, 0x02)
    wait_until(lambda: sdo_read(wire, 0x606C, 0, "i") == 0)
    status = sw(wire)
    assert status & 0x6F == 0x07 and status & 0x0400   # stays QUICK STOP ACTIVE, target reached
    assert drive.axis.mode == "position"                # holding
    cw(wire, 0x0F)                                      # transition 16
    assert sw(wire) & 0x6F == 0x27


def test_halt_stops_pv_and_releasing_resumes(make_drive, wire, wait_until):
    make_drive()
    enable_pv(wire, REV)
    wait_until(lambda: sdo_read(wire, 0x606C, 0, "i") == REV)
    cw(wire, 0x10F)
    wait_until(lambda: sdo_read(wire, 0x606C, 0, "i") == 0)
    assert sw(wire) & 0x0400                            # target reached (halted)
    cw(wire, 0x0F)
    wait_until(lambda: sdo_read(wire, 0x606C, 0, "i") == REV)


def test_injected_fault_emcy_fault_state_and_reset(make_drive, wire, wait_until):
    drive = make_drive()
    enable_pv(wire, REV)
    wire.drain()
    drive.raise_fault(0x2310)
    # 0x2310 continuous over-current; error register 0x03 = generic + current; manufacturer "SIM"
    assert bytes(wire.expect(0x084).data) == bytes.fromhex("10 23 03 53 49 4D 00 00")
    wait_until(lambda: sw(wire) & 0x4F == 0x08)
    assert sdo_read(wire, 0x603F, 0, "H") == 0x2310
    assert sdo_read(wire, 0x1001, 0, "B") == 0x03
    assert drive.axis.mode == "disabled"
    cw(wire, 0x0F)                                      # nothing but a fault reset leaves FAULT
    assert sw(wire) & 0x4F == 0x08
    wire.drain()
    cw(wire, 0x80)
    assert bytes(wire.expect(0x084).data) == bytes.fromhex("00 00 00 00 00 00 00 00")  # error reset
    assert sw(wire) & 0x4F == 0x40
    assert sdo_read(wire, 0x603F, 0, "H") == 0
    # the error history 0x1003 kept the code
    assert sdo_read(wire, 0x1003, 0, "B") == 1
    assert sdo_read(wire, 0x1003, 1, "I") & 0xFFFF == 0x2310


def test_persistent_fault_needs_its_cause_gone(make_drive, wire, wait_until):
    drive = make_drive()
    drive.raise_fault(0x4310, manufacturer=b"\x01\x02", persistent=True)
    # 0x4310 excess temperature drive; register 0x09 = generic + temperature
    assert bytes(wire.expect(0x084).data) == bytes.fromhex("10 43 09 01 02 00 00 00")
    wait_until(lambda: sw(wire) & 0x4F == 0x08)
    cw(wire, 0x00)
    cw(wire, 0x80)
    assert sw(wire) & 0x4F == 0x08                      # cause still there
    drive.clear_fault()
    cw(wire, 0x00)
    wait_until(lambda: True)
    cw(wire, 0x80)                                      # new rising edge
    wait_until(lambda: sw(wire) & 0x4F == 0x40)


def test_fault_from_the_axis(make_drive, wire, wait_until):
    drive = make_drive()
    enable_pv(wire, REV)
    wire.drain()
    with drive.plant_lock:
        drive.axis.inject_fault("overtemperature")
    # EMCY 0x4310, register 0x09, manufacturer bytes = the first letters of the axis fault name
    assert bytes(wire.expect(0x084).data) == bytes.fromhex("10 43 09") + b"overt"
    wait_until(lambda: sw(wire) & 0x4F == 0x08)
    cw(wire, 0x80)
    wait_until(lambda: sw(wire) & 0x4F == 0x40)
    assert drive.axis.fault is None
