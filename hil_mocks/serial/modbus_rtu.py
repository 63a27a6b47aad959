"""A Modbus RTU slave line, written from the Modbus specifications, and two simulated instruments.

Independent of the driver (which uses pymodbus's client): CRC-16/MODBUS, the RTU frame and
functions 03 (read holding registers), 04 (read input registers), 06 (write single register) and
16 (write multiple registers) are implemented here from "MODBUS over serial line V1.02" (2.5.1.2
CRC, 6.2.2 framing) and "MODBUS application protocol V1.1b3" (6.3, 6.4, 6.6, 6.12, 7 exceptions).

A pty has no character timing, so a frame is delimited by its length (known from the function
code); bytes that make no frame are dropped after a quiet gap, as a slave does after t3.5. Frames
with a bad CRC and frames for another address get no answer, as on a real RS-485 line, so several
units (:meth:`SimulatedModbusRtu.add_unit`) share one line.

Instruments (register maps, documented in their classes): :class:`TorqueAmplifierUnit` (a torque
transducer amplifier: float32 torque and speed), :class:`TemperatureModuleUnit` (int16 0.1 °C
channels with an open-sensor code). :class:`SimulatedModbusTorque` and
:class:`SimulatedTemperatureModule` are lines with one such unit.
"""

from __future__ import annotations

import math
import struct
import time

from hil_mocks.serial.base import LineInstrument

ILLEGAL_FUNCTION = 0x01
ILLEGAL_DATA_ADDRESS = 0x02
ILLEGAL_DATA_VALUE = 0x03
QUIET_GAP_S = 0.005


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF); sent low byte first."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(frame: bytes) -> bytes:
    return frame + crc16(frame).to_bytes(2, "little")


def request_length(buffer: bytes | bytearray) -> int | None:
    """Length of the request frame at the start of ``buffer`` (None: unknown function or too short)."""
    if len(buffer) < 2:
        return None
    function = buffer[1]
    if function in (0x03, 0x04, 0x06):
        return 8
    if function == 0x10:
        return 9 + buffer[6] if len(buffer) >= 7 else None
    return None


class ModbusUnit:
    """A slave's registers; subclasses fill them from the plant in :meth:`refresh`."""

    def __init__(self):
        self.holding: dict[int, int] = {}
        self.input: dict[int, int] = {}
        self.writes: list[tuple[int, int]] = []

    def refresh(self, plant) -> None:
        """Update the registers from the plant (called under the plant lock before each read)."""

    def on_write(self, plant, address: int, value: int) -> None:
        """A holding register was written (called under the plant lock)."""

    def read(self, table: dict[int, int], address: int, count: int) -> list[int] | None:
        values = [table.get(a) for a in range(address, address + count)]
        return None if any(v is None for v in values) else values  # type: ignore[return-value]


def _float_words(value: float, word_order: str) -> list[int]:
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return [high, low] if word_order == "big" else [low, high]


class TorqueAmplifierUnit(ModbusUnit):
    """Torque transducer amplifier.

    Input registers: 0–1 torque N·m (float32), 2–3 speed rpm (float32), 4–5 torque in mN·m (int32),
    8 status (bit 0 over range, bit 1 sensor error). Holding registers: 0x100 tare (write 1 tares,
    0 clears), 0x200 device code 0x5441 ("TA"), 0x201 firmware 0x0102. 32-bit words per ``word_order``.
    """

    def __init__(self, flange: str = "torque_out", shaft: str = "output", word_order: str = "big",
                 range_nm: float = 200.0):
        super().__init__()
        self.flange = flange
        self.shaft = shaft
        self.word_order = word_order
        self.range_nm = range_nm
        self.tare_nm = 0.0
        self.holding.update({0x100: 0, 0x200: 0x5441, 0x201: 0x0102})
        self.refresh_values(0.0, 0.0)

    def refresh_values(self, torque_nm: float, speed_rad_s: float) -> None:
        status = 0
        if math.isnan(torque_nm):
            status |= 2
            torque_nm = 0.0
        elif abs(torque_nm) > self.range_nm:
            status |= 1
        torque_nm -= self.tare_nm
        rpm = speed_rad_s * 60.0 / (2.0 * math.pi)
        milli = max(-(2**31), min(2**31 - 1, int(round(torque_nm * 1000.0))))
        milli_words = list(struct.unpack(">HH", struct.pack(">i", milli)))
        if self.word_order != "big":
            milli_words.reverse()
        registers = _float_words(torque_nm, self.word_order) + _float_words(rpm, self.word_order) + milli_words
        self.input.update(enumerate(registers))
        self.input[8] = status

    def refresh(self, plant) -> None:
        torque_nm = getattr(plant.sensors, self.flange).read()
        speed = plant.output_speed_rad_s if self.shaft == "output" else plant.input_speed_rad_s
        self.refresh_values(torque_nm, speed)

    def on_write(self, plant, address: int, value: int) -> None:
        if address == 0x100:
            if value:
                reading = getattr(plant.sensors, self.flange).read()
                self.tare_nm = 0.0 if math.isnan(reading) else reading
            else:
                self.tare_nm = 0.0


class TemperatureModuleUnit(ModbusUnit):
    """Multi-channel temperature module.

    Input registers 0… one per channel in ``channels`` order: signed int16 in 0.1 °C, ``open_code``
    (default 0x7FFF) for an open sensor. Holding register 0x200 device code 0x544D ("TM").
    """

    def __init__(self, channels: tuple[str, ...] = ("ambient", "reducer", "drive_motor", "load_motor"),
                 open_code: int = 0x7FFF):
        super().__init__()
        self.channels = channels
        self.open_code = open_code
        self.holding[0x200] = 0x544D
        for index in range(len(channels)):
            self.input[index] = 0

    def refresh(self, plant) -> None:
        for index, channel in enumerate(self.channels):
            value = plant.sensors.temperature.read(channel)
            if math.isnan(value):
                self.input[index] = self.open_code
            else:
                raw = max(-32767, min(32766, int(round(value * 10.0))))
                self.input[index] = raw & 0xFFFF


class SimulatedModbusRtu(LineInstrument):
    """An RS-485 line with Modbus RTU slaves; ``crc_errors`` and ``foreign_frames`` count what was ignored."""

    kind = "modbus"

    def __init__(self, source, plant_lock=None, endpoint: str = "pty", name: str | None = None):
        super().__init__(source, plant_lock, endpoint, name)
        self.units: dict[int, ModbusUnit] = {}
        self.crc_errors = 0
        self.foreign_frames = 0
        self.dropped_bytes = 0
        self._buffer = bytearray()
        self._last_byte_s = 0.0

    def add_unit(self, address: int, unit: ModbusUnit) -> ModbusUnit:
        if not 1 <= address <= 247:
            raise ValueError(f"Modbus slave address must be 1..247, got {address}")
        self.units[address] = unit
        return unit

    def corrupt(self, answer: bytes) -> bytes:
        """Break the CRC (the last two bytes)."""
        return answer[:-2] + bytes([answer[-2] ^ 0xFF, answer[-1]])

    def on_bytes(self, data: bytes) -> None:
        self._buffer += data
        self._last_byte_s = time.monotonic()
        while True:
            length = request_length(self._buffer)
            if length is None or len(self._buffer) < length:
                return
            frame = bytes(self._buffer[:length])
            del self._buffer[:length]
            self._frame(frame)

    def next_tick_s(self) -> float | None:
        return self._last_byte_s + QUIET_GAP_S if self._buffer else None

    def on_tick(self, now_s: float) -> None:
        """A quiet gap with an incomplete or unknown frame: answer 'illegal function' if it is one."""
        frame = bytes(self._buffer)
        self._buffer.clear()
        if len(frame) >= 4 and crc16(frame[:-2]) == int.from_bytes(frame[-2:], "little"):
            self._answer(frame[0], frame[1], None, ILLEGAL_FUNCTION)
        else:
            self.dropped_bytes += len(frame)

    def on_unplug(self) -> None:
        self._buffer.clear()

    def _frame(self, frame: bytes) -> None:
        self.requests += 1
        if crc16(frame[:-2]) != int.from_bytes(frame[-2:], "little"):
            self.crc_errors += 1
            return
        address, function = frame[0], frame[1]
        unit = self.units.get(address)
        if unit is None and address != 0:
            self.foreign_frames += 1
            return
        targets = list(self.units.values()) if address == 0 else [unit]
        with self.plant_lock:
            for target in targets:
                payload, exception = self._execute(target, function, frame[2:-2])
                if address != 0:  # broadcast: executed, never answered
                    self._answer(address, function, payload, exception)

    def _execute(self, unit: ModbusUnit, function: int, data: bytes) -> tuple[bytes | None, int | None]:
        if function in (0x03, 0x04):
            start, count = struct.unpack(">HH", data)
            if not 1 <= count <= 125:
                return None, ILLEGAL_DATA_VALUE
            unit.refresh(self.source)
            table = unit.holding if function == 0x03 else unit.input
            values = unit.read(table, start, count)
            if values is None:
                return None, ILLEGAL_DATA_ADDRESS
            return bytes([2 * count]) + b"".join(v.to_bytes(2, "big") for v in values), None
        if function == 0x06:
            address, value = struct.unpack(">HH", data)
            if address not in unit.holding:
                return None, ILLEGAL_DATA_ADDRESS
            unit.holding[address] = value
            unit.writes.append((address, value))
            unit.on_write(self.source, address, value)
            return data, None  # the echo of the request
        if function == 0x10:
            start, count, byte_count = struct.unpack(">HHB", data[:5])
            if not 1 <= count <= 123 or byte_count != 2 * count:
                return None, ILLEGAL_DATA_VALUE
            if any(a not in unit.holding for a in range(start, start + count)):
                return None, ILLEGAL_DATA_ADDRESS
            for index in range(count):
                value = int.from_bytes(data[5 + 2 * index:7 + 2 * index], "big")
                unit.holding[start + index] = value
                unit.writes.append((start + index, value))
                unit.on_write(self.source, start + index, value)
            return data[:4], None
        return None, ILLEGAL_FUNCTION

    def _answer(self, address: int, function: int, payload: bytes | None, exception: int | None) -> None:
        if exception is not None:
            self.reply(with_crc(bytes([address, function | 0x80, exception])))
        else:
            self.reply(with_crc(bytes([address, function]) + payload))


class SimulatedModbusTorque(SimulatedModbusRtu):
    """A line with one :class:`TorqueAmplifierUnit` at ``address``."""

    kind = "modbus-torque"

    def __init__(self, source, plant_lock=None, endpoint: str = "pty", name: str | None = None, *,
                 address: int = 1, **unit_options):
        super().__init__(source, plant_lock, endpoint, name)
        self.unit = self.add_unit(address, TorqueAmplifierUnit(**unit_options))


class SimulatedTemperatureModule(SimulatedModbusRtu):
    """A line with one :class:`TemperatureModuleUnit` at ``address``."""

    kind = "modbus-temperature"

    def __init__(self, source, plant_lock=None, endpoint: str = "pty", name: str | None = None, *,
                 address: int = 2, **unit_options):
        super().__init__(source, plant_lock, endpoint, name)
        self.unit = self.add_unit(address, TemperatureModuleUnit(**unit_options))
