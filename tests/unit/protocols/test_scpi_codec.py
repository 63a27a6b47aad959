"""SCPI power-analyzer codec against strings from the Yokogawa WT manuals and IEEE 488.2 (DOMAIN.md 5.5)."""

from __future__ import annotations

import math

import pytest

from bench.errors import ProtocolError
from bench.protocols import scpi
from bench.protocols.scpi import Item, Status


def test_item_selection_messages():
    items = [Item.parse("URMS,1"), Item.parse("p,sigma"), Item.parse("SPEED")]
    assert scpi.item_setup(items) == [
        b":NUMERIC:FORMAT ASCII\n",
        b":NUMERIC:NORMAL:NUMBER 3\n",
        b":NUMERIC:NORMAL:ITEM1 URMS,1\n",
        b":NUMERIC:NORMAL:ITEM2 P,SIGMA\n",
        b":NUMERIC:NORMAL:ITEM3 SPEED\n",
    ]


@pytest.mark.parametrize("text", ["PX,1", "P", "SPEED,1", "P,9"])
def test_bad_items_are_refused(text):
    with pytest.raises(ValueError):
        Item.parse(text)


def test_idn_has_four_fields():
    identity = scpi.parse_idn(b"YOKOGAWA,WT1806,91K000001,F1.01\n")
    assert identity == scpi.Identity("YOKOGAWA", "WT1806", "91K000001", "F1.01")
    with pytest.raises(ProtocolError) as info:
        scpi.parse_idn(b"YOKOGAWA,WT1806\n", device="power")
    assert info.value.raw == b"YOKOGAWA,WT1806\n"


def test_numeric_ascii_with_nan_and_inf():
    # WT manual: no data → "NAN", over range → "INF"; numbers in <NR3> form
    values, statuses = scpi.parse_numeric_ascii(b"1.0123E+02,NAN,INF,-3.5E-01\n", 4)
    assert values[0] == pytest.approx(101.23) and values[3] == pytest.approx(-0.35)
    assert math.isnan(values[1]) and math.isnan(values[2])
    assert statuses == (Status.OK, Status.NO_DATA, Status.OVER_RANGE, Status.OK)


def test_numeric_ascii_float_markers_and_header():
    # 9.91E+37 is the NAN value, 9.9E+37 the INF value (WT FLOat equivalents)
    values, statuses = scpi.parse_numeric_ascii(b":NUM:NORM:VAL 9.91E+37,9.9E+37,2.0E+00\n")
    assert statuses == (Status.NO_DATA, Status.OVER_RANGE, Status.OK) and values[2] == 2.0


@pytest.mark.parametrize("raw", [b"1.0E+00,2.0E+00\n", b"1.0E+00,abc,2\n", b"1.0E+00,2.0E+00,3", b"\x00\xff\n"])
def test_bad_numeric_answers(raw):
    with pytest.raises(ProtocolError) as info:
        scpi.parse_numeric_ascii(raw, 3, device="power")
    assert info.value.raw == raw


def test_float_block():
    # IEEE 488.2 definite length block "#" "2" "12" + 3 big-endian float32:
    # 0x41480000 = 12.5, 0x7E951BEE = NAN, 0x7E94F56A = INF
    raw = b"#212" + bytes.fromhex("41480000 7E951BEE 7E94F56A") + b"\n"
    values, statuses = scpi.parse_numeric_block(raw, 3)
    assert values[0] == 12.5 and math.isnan(values[1]) and math.isnan(values[2])
    assert statuses == (Status.OK, Status.NO_DATA, Status.OVER_RANGE)
    with pytest.raises(ProtocolError):
        scpi.parse_numeric_block(b"#216" + bytes(12))  # shorter than announced


def test_error_queue():
    assert scpi.parse_error(b'0,"No error"\n') == (0, "No error")
    assert scpi.parse_error(b'-113,"Undefined header"\n') == (-113, "Undefined header")
    with pytest.raises(ProtocolError):
        scpi.parse_error(b"oops\n")
