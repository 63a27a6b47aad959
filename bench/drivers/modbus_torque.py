"""A Modbus RTU torque-transducer amplifier: torque (and optionally speed) from registers, in SI.

Where the value sits, its type (float32 / int32 / int16), the word order of 32-bit values and the
scaling all come from the device's ``settings`` (vendors differ; nothing is guessed):

    torque_nm = decoded · torque_scale + torque_offset_nm
    speed_rad_s = decoded · speed_scale          (speed_register < 0: no speed channel)

Channels ``<name>.torque_nm`` and, with a speed register, ``<name>.speed_rad_s``.
``connect()`` reads ``identify_register`` (a register read is this device's identification).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bench.drivers.modbus_rtu import ModbusDevice
from bench.drivers.serial_line import SerialLine
from bench.errors import ConfigError
from bench.protocols import modbus_values as mv
from bench.streams import ChannelSpec, SampleBlock, SampleFlag
from bench.timebase import DEFAULT_TIMEBASE, Timebase


@dataclass(frozen=True)
class ModbusTorqueSettings:
    register_kind: Literal["holding", "input"] = "input"
    torque_register: int = field(default=0, metadata={"ge": 0, "le": 65535})
    data_type: Literal["float32", "int32", "uint32", "int16", "uint16"] = "float32"
    word_order: Literal["big", "little"] = "big"
    torque_scale: float = 1.0  # N·m per decoded unit
    torque_offset_nm: float = 0.0
    speed_register: int = field(default=-1, metadata={"ge": -1, "le": 65535})
    speed_scale: float = 2.0 * math.pi / 60.0  # rad/s per decoded unit (default: the register holds rpm)
    status_register: int = field(default=-1, metadata={"ge": -1, "le": 65535})
    status_over_range_mask: int = field(default=0x0001, metadata={"ge": 0, "le": 0xFFFF})
    status_sensor_error_mask: int = field(default=0x0002, metadata={"ge": 0, "le": 0xFFFF})
    tare_register: int = field(default=-1, metadata={"ge": -1, "le": 65535})
    identify_register: int = field(default=-1, metadata={"ge": -1, "le": 65535})
    identify_kind: Literal["holding", "input"] = "holding"
    model: str = ""  # sensor identity for the run record (describe()), when the device cannot tell
    serial: str = ""
    calibration_date: str = ""
    rate_hz: float = field(default=100.0, metadata={"gt": 0, "doc": "poll rate when the rig starts streaming"})
    retries: int = field(default=2, metadata={"ge": 0, "le": 10})
    publish_interval_s: float = field(default=0.05, metadata={"gt": 0})


class ModbusTorqueAmplifier(ModbusDevice):
    """Driver of one torque amplifier at ``address`` on a (possibly shared) RS-485 line."""

    SETTINGS = ModbusTorqueSettings

    def __init__(self, line: SerialLine, *, name: str = "torque", address: int | None = None,
                 settings: dict | None = None, timeouts: dict | None = None,
                 publish: Callable[[SampleBlock], None] | None = None,
                 timebase: Timebase = DEFAULT_TIMEBASE):
        super().__init__(line, name=name, address=address, settings=settings, timeouts=timeouts,
                         publish=publish, timebase=timebase)
        self.settings: ModbusTorqueSettings
        self._init_polling()

    def _read_once(self) -> None:
        self.read_torque_nm()

    def channel_names(self) -> list[str]:
        names = [f"{self.name}.torque_nm"]
        if self.settings.speed_register >= 0:
            names.append(f"{self.name}.speed_rad_s")
        return names

    def channels(self) -> list[ChannelSpec]:
        units = {"torque_nm": "N·m", "speed_rad_s": "rad/s"}
        return [ChannelSpec(n, units[n.rsplit(".", 1)[1]], rate_hz=self.stream_rate_hz, device=self.name)
                for n in self.channel_names()]

    def _value(self, register: int, scale: float) -> float:
        s = self.settings
        count = mv.REGISTERS_PER_TYPE[s.data_type]
        registers = self.link.read_registers(s.register_kind, register, count)
        return mv.decode(registers, s.data_type, s.word_order, self.name) * scale

    def read_torque_nm(self) -> float:
        s = self.settings
        return self._value(s.torque_register, s.torque_scale) + s.torque_offset_nm

    def read_speed_rad_s(self) -> float:
        s = self.settings
        if s.speed_register < 0:
            raise ConfigError(f"device {self.name}: no speed_register in its settings")
        return self._value(s.speed_register, s.speed_scale)

    def read_status(self) -> int:
        s = self.settings
        if s.status_register < 0:
            return 0
        return self.link.read_registers(s.register_kind, s.status_register, 1)[0]

    def tare(self, on: bool = True) -> None:
        if self.settings.tare_register < 0:
            raise ConfigError(f"device {self.name}: no tare_register in its settings")
        self.link.write_register(self.settings.tare_register, 1 if on else 0)

    def sample(self) -> tuple[tuple[float, ...], tuple[int, ...]]:
        torque = self.read_torque_nm()
        status = self.read_status()
        flag = 0
        if status & self.settings.status_sensor_error_mask:
            torque, flag = math.nan, int(SampleFlag.SENSOR_OPEN)
        elif status & self.settings.status_over_range_mask:
            flag = int(SampleFlag.OVER_RANGE)
        if self.settings.speed_register >= 0:
            return (torque, self.read_speed_rad_s()), (flag, 0)
        return (torque,), (flag,)
