"""A Modbus RTU multi-channel temperature module: signed 0.1 °C registers with an open-sensor code.

``settings.channels`` maps channel names to register numbers (``{reducer = 1, ambient = 0}``); all
channels are read in one request spanning the lowest to the highest register. An open sensor
(``open_code``, default 0x7FFF) reads NaN and is published flagged ``SENSOR_OPEN``. Channels
``<name>.<channel>_c`` (°C, the one non-SI unit of the bench).
"""

from __future__ import annotations

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
class ModbusTemperatureSettings:
    channels: dict[str, int] = field(default_factory=lambda: {"ambient": 0, "reducer": 1,
                                                               "drive_motor": 2, "load_motor": 3})
    register_kind: Literal["holding", "input"] = "input"
    scale_c: float = 0.1
    offset_c: float = 0.0
    signed: bool = True
    open_code: int = field(default=0x7FFF, metadata={"ge": 0, "le": 0xFFFF})
    identify_register: int = field(default=-1, metadata={"ge": -1, "le": 65535})
    identify_kind: Literal["holding", "input"] = "holding"
    model: str = ""  # sensor identity for the run record (describe()), when the device cannot tell
    serial: str = ""
    calibration_date: str = ""
    rate_hz: float = field(default=2.0, metadata={"gt": 0, "doc": "poll rate when the rig starts streaming"})
    retries: int = field(default=2, metadata={"ge": 0, "le": 10})
    publish_interval_s: float = field(default=0.5, metadata={"gt": 0})


class ModbusTemperatureModule(ModbusDevice):
    SETTINGS = ModbusTemperatureSettings

    def __init__(self, line: SerialLine, *, name: str = "temperature", address: int | None = None,
                 settings: dict | None = None, timeouts: dict | None = None,
                 publish: Callable[[SampleBlock], None] | None = None,
                 timebase: Timebase = DEFAULT_TIMEBASE):
        super().__init__(line, name=name, address=address, settings=settings, timeouts=timeouts,
                         publish=publish, timebase=timebase)
        self.settings: ModbusTemperatureSettings
        if not self.settings.channels:
            raise ConfigError(f"device {name}: settings.channels is empty")
        bad = {k: v for k, v in self.settings.channels.items() if not 0 <= v <= 65535}
        if bad:
            raise ConfigError(f"device {name}: channel registers out of 0..65535: {bad}")
        self._first = min(self.settings.channels.values())
        self._count = max(self.settings.channels.values()) - self._first + 1
        if self._count > 125:
            raise ConfigError(f"device {name}: channel registers span {self._count} (> 125 in one read)")
        self._init_polling()

    def _read_once(self) -> None:
        self.read_temperatures_c()

    def channel_names(self) -> list[str]:
        return [f"{self.name}.{channel}_c" for channel in self.settings.channels]

    def channels(self) -> list[ChannelSpec]:
        return [ChannelSpec(n, "°C", rate_hz=self.stream_rate_hz, device=self.name)
                for n in self.channel_names()]

    def read_scaled(self) -> dict[str, mv.ScaledValue]:
        s = self.settings
        registers = self.link.read_registers(s.register_kind, self._first, self._count)
        return {channel: mv.decode_scaled_int16(registers[reg - self._first], s.scale_c, s.offset_c,
                                                s.open_code, s.signed)
                for channel, reg in s.channels.items()}

    def read_temperatures_c(self) -> dict[str, float]:
        """°C per channel name; NaN for an open sensor."""
        return {channel: scaled.value for channel, scaled in self.read_scaled().items()}

    def sample(self) -> tuple[tuple[float, ...], tuple[int, ...]]:
        scaled = self.read_scaled()
        values = tuple(v.value for v in scaled.values())
        flags = tuple(int(SampleFlag.SENSOR_OPEN) if v.open else 0 for v in scaled.values())
        return values, flags
