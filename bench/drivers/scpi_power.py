"""A SCPI power analyzer in the Yokogawa WT style, over a serial line or ``socket://`` (LF-terminated).

``settings.items`` maps quantity names to analyzer items, in the order they are requested::

    items = { u1_v = "URMS,1", i1_a = "IRMS,1", p1_w = "P,1", p_total_w = "P,SIGMA",
              speed_rad_s = "SPEED", torque_nm = "TORQUE", p_mech_w = "PM" }

``connect()`` identifies (``*IDN?``), turns headers off, selects the items and reads the error
queue (a refused item is a :class:`DeviceFault` naming the analyzer's error). ``read_power()``
returns SI values by quantity; a ``NAN`` (no data) or ``INF`` (over range) is NaN there and a
flagged sample (``NO_DATA`` / ``OVER_RANGE``) in a stream. Channels ``<name>.<quantity>``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.drivers.serial_line import SerialLine
from bench.drivers.serial_request import (
    LineDevice,
    PolledDevice,
    check_timeouts,
    describe_device,
)
from bench.errors import ConfigError, ConfigProblem, DeviceFault
from bench.protocols import scpi
from bench.schema import load_section
from bench.streams import ChannelSpec, SampleBlock, SampleFlag
from bench.timebase import DEFAULT_TIMEBASE, Timebase

_UNIT_SUFFIX = {"V": "_v", "A": "_a", "W": "_w", "VA": "_va", "var": "_var", "Hz": "_hz", "rad/s": "_rad_s",
                "N·m": "_nm", "1": "", "deg": "_deg", "%": "_pct"}
_FLAGS = {scpi.Status.OK: 0, scpi.Status.NO_DATA: int(SampleFlag.NO_DATA),
          scpi.Status.OVER_RANGE: int(SampleFlag.OVER_RANGE)}


@dataclass(frozen=True)
class ScpiPowerSettings:
    items: dict[str, str] = field(default_factory=lambda: {
        "u1_v": "URMS,1", "i1_a": "IRMS,1", "p1_w": "P,1", "p_total_w": "P,SIGMA"})
    setup: list[str] = field(default_factory=lambda: [":COMMUNICATE:HEADER OFF"])
    error_query: str = ":STATUS:ERROR?"  # "" when the instrument has none
    model: str = ""  # sensor identity for the run record (describe()), when the device cannot tell
    serial: str = ""
    calibration_date: str = ""
    rate_hz: float = field(default=10.0, metadata={"gt": 0, "doc": "poll rate when the rig starts streaming"})
    retries: int = field(default=2, metadata={"ge": 0, "le": 10})
    publish_interval_s: float = field(default=0.2, metadata={"gt": 0})


class ScpiPowerAnalyzer(PolledDevice):
    TIMEOUTS = {"request_s": 1.0}

    def __init__(self, line: SerialLine, *, name: str = "power", address: int | None = None,
                 settings: dict | None = None, timeouts: dict | None = None,
                 publish: Callable[[SampleBlock], None] | None = None,
                 timebase: Timebase = DEFAULT_TIMEBASE):
        self.line = line
        self.name = name
        key = f"devices.{name}.settings"
        self.settings: ScpiPowerSettings = load_section(ScpiPowerSettings, settings or {}, key)
        self.items: dict[str, scpi.Item] = {}
        problems = []
        for quantity, text in self.settings.items.items():
            try:
                item = scpi.Item.parse(text)
            except ValueError as exc:
                problems.append(ConfigProblem(f"{key}.items.{quantity}", str(exc)))
                continue
            suffix = _UNIT_SUFFIX.get(item.si_unit, "")
            if not re.fullmatch(r"[a-z][a-z0-9_]*", quantity) or (suffix and not quantity.endswith(suffix)):
                problems.append(ConfigProblem(f"{key}.items.{quantity}",
                                              f"name must be lower_case and end in '{suffix}' ({item.si_unit})"))
                continue
            self.items[quantity] = item
        if not self.settings.items:
            problems.append(ConfigProblem(f"{key}.items", "no items selected"))
        if problems:
            raise ConfigError(problems)
        self.timeouts = check_timeouts(name, timeouts or {}, self.TIMEOUTS)
        self.publish = publish
        self.timebase = timebase
        self.publish_interval_s = self.settings.publish_interval_s
        self._io = LineDevice(line, name=name, timeout_s=self.timeouts["request_s"],
                              retries=self.settings.retries, terminator=scpi.TERMINATOR)
        self.stats = self._io.stats
        self.identity: scpi.Identity | None = None
        self._init_polling()

    def connect(self) -> scpi.Identity:
        self.identity = self._io.query(scpi.command("*IDN?"), lambda d: scpi.parse_idn(d, self.name),
                                       describe="*IDN?")
        for text in self.settings.setup:
            self._io.send(scpi.command(text))
        for message in scpi.item_setup(list(self.items.values())):
            self._io.send(message)
        self.check_errors()
        return self.identity

    def check_errors(self) -> None:
        """Read the error queue; a non-zero code is a :class:`DeviceFault`."""
        if not self.settings.error_query:
            return
        code, text = self._io.query(scpi.command(self.settings.error_query),
                                    lambda d: scpi.parse_error(d, self.name), describe=self.settings.error_query)
        if code != 0:
            self.stats.device_faults += 1
            raise DeviceFault(self.name, code, text)

    def describe(self) -> dict[str, str]:
        identity = dataclasses.asdict(self.identity) if self.identity is not None else {}
        return describe_device(identity, self.settings)

    def close(self) -> None:
        self.stop_streaming()

    def __enter__(self) -> ScpiPowerAnalyzer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def channel_names(self) -> list[str]:
        return [f"{self.name}.{quantity}" for quantity in self.items]

    def channels(self) -> list[ChannelSpec]:
        return [ChannelSpec(f"{self.name}.{q}", item.si_unit, rate_hz=self.stream_rate_hz, device=self.name,
                            description=item.scpi()) for q, item in self.items.items()]

    def read_numeric(self) -> tuple[tuple[float, ...], tuple[scpi.Status, ...]]:
        """Values in SI (item order) with their statuses."""
        count = len(self.items)
        values, statuses = self._io.query(
            scpi.command(":NUMERIC:NORMAL:VALUE?"),
            lambda d: scpi.parse_numeric_ascii(d, count, self.name), describe=":NUMERIC:NORMAL:VALUE?")
        return tuple(v * item.to_si for v, item in zip(values, self.items.values())), statuses

    def read_power(self) -> dict[str, float]:
        """Every selected quantity in SI; NaN where the analyzer sent NAN or INF."""
        values, _ = self.read_numeric()
        return dict(zip(self.items, values))

    def sample(self) -> tuple[tuple[float, ...], tuple[int, ...]]:
        values, statuses = self.read_numeric()
        return values, tuple(_FLAGS[s] for s in statuses)
