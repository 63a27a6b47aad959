"""DSP7000 codec against byte strings written from the Magtrol DSP7000 manual, ch. 7.2.1 / 7.4.2."""

from __future__ import annotations

import pytest

from bench.errors import ProtocolError
from bench.protocols import dsp7000 as proto


def test_commands_are_uppercase_ascii_lines_with_cr_lf():
    # manual 7.4: one command per line, CR LF; *IDN?, OD1, Q1,xx.xx, Q1, TS1, TR1
    assert proto.identify() == b"*IDN?\r\n"
    assert proto.output_data(1) == b"OD1\r\n"
    assert proto.output_data(2) == b"OD2\r\n"
    assert proto.set_torque(12.5) == b"Q1,12.50\r\n"
    assert proto.release() == b"Q1\r\n"
    assert proto.tare(True) == b"TS1\r\n"
    assert proto.tare(False, channel=2) == b"TR2\r\n"


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        proto.output_data(3)
    with pytest.raises(ValueError):
        proto.set_torque(-1.0)
    with pytest.raises(ValueError):
        proto.command("OD1\r\nQ1")


def test_od_record_clockwise():
    # "SddddddTdddd.R(cr)(lf)": speed 1500 rpm without leading zeroes, torque 12.34, clockwise
    record = proto.parse_od(b"S  1500T12.34R\r\n")
    assert record == proto.OdRecord(1500.0, 12.34, "R")
    assert not record.alarm


def test_od_record_counter_clockwise_and_alarm():
    assert proto.parse_od(b"S     3T0.051L\r\n") == proto.OdRecord(3.0, 0.051, "L")
    # manual note: an "A" in the R/L place is an alarm condition
    assert proto.parse_od(b"S     0T 0.00A\r\n").alarm


@pytest.mark.parametrize("raw", [
    b"S  1500T12.34X\r\n",      # unknown direction letter
    b"S  1500T1234R\r\n",       # the torque always contains a decimal point
    b"S  15a0T12.34R\r\n",      # not a digit
    b"S  1500T12.34R",          # no CR LF (truncated)
    b"\x00\xff\x13#?~\r\n",     # line noise
])
def test_malformed_od_records_show_their_bytes(raw):
    with pytest.raises(ProtocolError) as info:
        proto.parse_od(raw, device="dyno")
    assert info.value.raw == raw
    assert "dyno" in str(info.value)


def test_idn_answer():
    assert proto.parse_idn(b"MAGTROL,DSP7001,0,REV 1.2\r\n") == "MAGTROL,DSP7001,0,REV 1.2"
    with pytest.raises(ProtocolError):
        proto.parse_idn(b"\x00\xff\r\n")


def test_torque_units_to_newton_metres():
    # 1 lbf·in = 0.1129848 N·m, 1 ozf·in = 7.0616e-3 N·m, 1 kgf·cm = 0.0980665 N·m (NIST SP 811)
    assert proto.TORQUE_UNITS_NM["lb.in"] == pytest.approx(0.1129848, rel=1e-6)
    assert proto.TORQUE_UNITS_NM["oz.in"] == pytest.approx(7.0616e-3, rel=1e-4)
    assert proto.TORQUE_UNITS_NM["kg.cm"] == pytest.approx(0.0980665, rel=1e-9)
    assert proto.TORQUE_UNITS_NM["lb.ft"] == pytest.approx(1.355818, rel=1e-6)
