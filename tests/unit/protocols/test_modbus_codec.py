"""Modbus values and RTU frames against byte vectors from the Modbus specifications.

Sources: "MODBUS Application Protocol Specification V1.1b3" (function examples in 6.3, 6.4, 6.6,
6.12; exception example in 7), "MODBUS over Serial Line V1.02" (CRC, 6.2.2), IEEE 754 for float32,
the CRC catalogue's check value of CRC-16/MODBUS (CRC of the ASCII "123456789" = 0x4B37).
The RTU slave under test is the simulator's own implementation (hil_mocks.serial.modbus_rtu); the
driver uses pymodbus, whose CRC is used here as an independent cross-check only.
"""

from __future__ import annotations

import math

import pytest
from pymodbus.framer.rtu import FramerRTU

from bench.errors import ProtocolError
from bench.protocols import modbus_values as mv
from hil_mocks.serial import modbus_rtu as rtu


# -- values --------------------------------------------------------------------------------------
def test_float32_in_both_word_orders():
    # IEEE 754: 12.5 = 0x41480000, -1.0 = 0xBF800000
    assert mv.decode([0x4148, 0x0000], "float32", "big") == 12.5
    assert mv.decode([0x0000, 0x4148], "float32", "little") == 12.5
    assert mv.decode([0xBF80, 0x0000], "float32", "big") == -1.0
    assert mv.encode(12.5, "float32", "little") == [0x0000, 0x4148]


def test_integers_signed_and_unsigned():
    assert mv.decode([0xFFFF, 0xFFFE], "int32", "big") == -2
    assert mv.decode([0xFFFE, 0xFFFF], "int32", "little") == -2
    assert mv.decode([0xFFFF, 0xFFFE], "uint32", "big") == 4294967294
    assert mv.decode([0xFF9C], "int16") == -100
    assert mv.decode([0xFF9C], "uint16") == 65436


def test_wrong_register_count_is_a_protocol_error_with_bytes():
    with pytest.raises(ProtocolError) as info:
        mv.decode([0x4148], "float32", device="torque_out")
    assert info.value.raw == bytes.fromhex("4148")
    assert "torque_out" in str(info.value)


def test_temperature_tenths_and_open_sensor_code():
    assert mv.decode_scaled_int16(0x00FA, 0.1).value == pytest.approx(25.0)  # 250 → 25.0 °C
    assert mv.decode_scaled_int16(0xFF9C, 0.1).value == pytest.approx(-10.0)  # -100 → -10.0 °C
    opened = mv.decode_scaled_int16(0x7FFF, 0.1, open_code=0x7FFF)
    assert opened.open and math.isnan(opened.value)
    assert mv.decode_scaled_int16(0x8000, 0.1, open_code=0x8000).open
    assert not mv.decode_scaled_int16(0x7FFE, 0.1, open_code=0x7FFF).open
    with pytest.raises(ValueError):
        mv.decode_scaled_int16(0x10000, 0.1)


# -- RTU frames (the simulator's slave) -----------------------------------------------------------
def test_crc16_modbus_check_value_and_spec_frame():
    assert rtu.crc16(b"123456789") == 0x4B37
    # read holding register 0 of slave 1: 01 03 00 00 00 01 and CRC 84 0A (low byte first)
    assert rtu.with_crc(bytes.fromhex("010300000001")) == bytes.fromhex("010300000001840A")


def _frame(hex_text: str) -> bytes:
    body = bytes.fromhex(hex_text)
    return body + FramerRTU.compute_CRC(body).to_bytes(2, "big")  # pymodbus: independent CRC


def test_request_lengths_from_function_codes():
    assert rtu.request_length(bytes.fromhex("11 03 00 6B")) == 8
    assert rtu.request_length(bytes.fromhex("11 10 00 01 00 02 04")) == 13  # 7 + 4 data + 2 CRC
    assert rtu.request_length(bytes.fromhex("11 10 00 01")) is None  # byte count not there yet
    assert rtu.request_length(bytes.fromhex("11 2B 0E 01")) is None  # not served


class _Line(rtu.SimulatedModbusRtu):
    """The slave without an endpoint thread: answers are collected."""

    def __init__(self):
        super().__init__(source=object(), endpoint="tcp", name="spec")
        self.sent: list[bytes] = []

    def reply(self, answer: bytes) -> None:
        self.sent.append(answer)


@pytest.fixture
def slave():
    line = _Line()
    unit = rtu.ModbusUnit()
    # spec 6.3 example: registers 108..110 hold 0x022B, 0x0000, 0x0064
    unit.holding.update({107: 0x022B, 108: 0x0000, 109: 0x0064, 1: 0, 2: 0})
    unit.input[8] = 0x000A  # spec 6.4 example: input register 9 holds 10
    line.add_unit(0x11, unit)
    yield line
    line.stop()


def test_spec_read_holding_registers(slave):
    slave.on_bytes(_frame("11 03 006B 0003"))
    assert slave.sent == [_frame("11 03 06 022B 0000 0064")]


def test_spec_read_input_register(slave):
    slave.on_bytes(_frame("11 04 0008 0001"))
    assert slave.sent == [_frame("11 04 02 000A")]


def test_spec_write_single_and_multiple_registers(slave):
    slave.on_bytes(_frame("11 06 0001 0003"))  # 6.6: the answer echoes the request
    slave.on_bytes(_frame("11 10 0001 0002 04 000A 0102"))  # 6.12
    assert slave.sent == [_frame("11 06 0001 0003"), _frame("11 10 0001 0002")]
    assert slave.units[0x11].holding[1] == 0x000A and slave.units[0x11].holding[2] == 0x0102


def test_spec_exceptions(slave):
    slave.on_bytes(_frame("11 03 1000 0001"))  # nothing at 0x1000: exception 02 (7)
    assert slave.sent == [_frame("11 83 02")]


def test_bad_crc_and_foreign_address_get_no_answer(slave):
    good = _frame("11 03 006B 0003")
    slave.on_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    slave.on_bytes(_frame("12 03 006B 0003"))
    assert slave.sent == [] and slave.crc_errors == 1 and slave.foreign_frames == 1


def test_frames_split_and_joined_arbitrarily(slave):
    stream = _frame("11 04 0008 0001") + _frame("11 03 006B 0001")
    for index in range(0, len(stream), 3):
        slave.on_bytes(stream[index:index + 3])
    assert slave.sent == [_frame("11 04 02 000A"), _frame("11 03 02 022B")]
