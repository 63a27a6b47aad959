"""Magtrol DSP7000 dynamometer controller: speed and torque readout, closed-loop torque, tare.

Values in SI: ``speed_rad_s`` (signed: clockwise ``R`` positive unless ``cw_positive = false``),
``torque_nm`` (converted from the controller's display unit, setting ``torque_unit``). Published
channels ``<name>.speed_rad_s`` and ``<name>.torque_nm``. An alarm record (``A``) becomes NaN
samples flagged ``NO_DATA`` in a stream, and :class:`DeviceFault` from a blocking read.

Streaming: by default the reader thread ``serial-<name>`` polls ``OD`` at the requested rate; with
``continuous = true`` it starts the device's own paced output (``ODS``, see
:mod:`bench.protocols.dsp7000`) and reads it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bench.drivers.serial_line import SerialLine
from bench.drivers.serial_request import (
    LineDevice,
    PolledDevice,
    check_timeouts,
    describe_device,
)
from bench.errors import DeviceFault, DeviceTimeoutError, ProtocolError, TransportError
from bench.protocols import dsp7000 as proto
from bench.schema import load_section
from bench.streams import ChannelSpec, SampleBlock, SampleFlag
from bench.timebase import DEFAULT_TIMEBASE, Timebase
from bench.units import RPM_RAD_S


@dataclass(frozen=True)
class Dsp7000Settings:
    channel: int = field(default=1, metadata={"ge": 1, "le": 2, "doc": "dynamometer channel 1 or 2"})
    torque_unit: Literal["N.m", "N.cm", "mN.m", "kg.cm", "g.cm", "oz.in", "oz.ft", "lb.in", "lb.ft"] = "N.m"
    cw_positive: bool = True
    continuous: bool = False
    model: str = ""  # sensor identity for the run record (describe()), when the device cannot tell
    serial: str = ""
    calibration_date: str = ""
    rate_hz: float = field(default=100.0, metadata={"gt": 0, "doc": "stream rate when the rig starts it"})
    retries: int = field(default=2, metadata={"ge": 0, "le": 10})
    publish_interval_s: float = field(default=0.02, metadata={"gt": 0})


TIMEOUT_KEYS = {"request_s": 0.5, "stream_s": 0.5}


class Dsp7000(PolledDevice):
    """Driver of one DSP7000 channel on an open :class:`SerialLine`."""

    def __init__(self, line: SerialLine, *, name: str = "dyno", address: int | None = None,
                 settings: dict | None = None, timeouts: dict | None = None,
                 publish: Callable[[SampleBlock], None] | None = None,
                 timebase: Timebase = DEFAULT_TIMEBASE):
        self.line = line
        self.name = name
        self.settings: Dsp7000Settings = load_section(Dsp7000Settings, settings or {},
                                                      f"devices.{name}.settings")
        self.timeouts = check_timeouts(name, timeouts or {}, TIMEOUT_KEYS)
        self.publish = publish
        self.timebase = timebase
        self.unit_nm = proto.TORQUE_UNITS_NM[self.settings.torque_unit]
        self._io = LineDevice(line, name=name, timeout_s=self.timeouts["request_s"],
                              retries=self.settings.retries, terminator=proto.TERMINATOR)
        self.stats = self._io.stats
        self.identity = ""
        self.publish_interval_s = self.settings.publish_interval_s
        self._last_t_s = float("-inf")
        self._init_polling()

    # -- life cycle -------------------------------------------------------------------------------
    def connect(self) -> str:
        """Identify the controller (``*IDN?``); returns the identity text."""
        self.identity = self._io.query(proto.identify(),
                                       lambda data: proto.parse_idn(data, self.name), describe="*IDN?")
        return self.identity

    def describe(self) -> dict[str, str]:
        """Identity for the run record: the ``*IDN?`` fields, then model / serial / calibration from settings."""
        fields = [f.strip() for f in self.identity.split(",")]
        names = ("manufacturer", "model", "serial", "firmware")
        identity = dict(zip(names, fields)) if len(fields) == 4 else {"identity": self.identity}
        return describe_device(identity, self.settings)

    def close(self) -> None:
        """Stop streaming (idempotent). The line belongs to the caller and stays open."""
        self.stop_streaming()

    def __enter__(self) -> Dsp7000:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def channels(self) -> list[ChannelSpec]:
        rate = self.stream_rate_hz
        return [
            ChannelSpec(f"{self.name}.speed_rad_s", "rad/s", rate_hz=rate, device=self.name,
                        description="dynamometer shaft speed"),
            ChannelSpec(f"{self.name}.torque_nm", "N·m", rate_hz=rate, device=self.name,
                        description="dynamometer torque"),
        ]

    # -- values -----------------------------------------------------------------------------------
    def _to_si(self, record: proto.OdRecord) -> tuple[float, float]:
        sign = 1.0 if (record.direction == "R") == self.settings.cw_positive else -1.0
        return sign * record.speed_rpm * RPM_RAD_S, record.torque_display * self.unit_nm

    def read_od(self) -> proto.OdRecord:
        """One ``OD`` record as the controller sent it (retried on timeout or bad bytes)."""
        if self._thread is not None and self.settings.continuous:
            raise TransportError(f"{self.name}: OD poll while the continuous stream runs")
        channel = self.settings.channel
        return self._io.query(proto.output_data(channel), lambda data: proto.parse_od(data, self.name),
                              describe=f"OD{channel}")

    def read(self) -> tuple[float, float]:
        """``(speed_rad_s, torque_nm)``; :class:`DeviceFault` when the controller is in alarm."""
        record = self.read_od()
        if record.alarm:
            self.stats.device_faults += 1
            raise DeviceFault(self.name, None, f"alarm condition (OD record 'A'): {record}")
        return self._to_si(record)

    def read_torque_nm(self) -> float:
        return self.read()[1]

    def read_speed_rad_s(self) -> float:
        return self.read()[0]

    # -- commands ---------------------------------------------------------------------------------
    def set_torque_nm(self, torque_nm: float) -> None:
        """Closed-loop torque point (brake on); the magnitude is sent in the display unit."""
        if not math.isfinite(torque_nm):
            raise ValueError(f"{self.name}: torque set point must be finite, got {torque_nm}")
        self._io.send(proto.set_torque(abs(torque_nm) / self.unit_nm, self.settings.channel))

    def release(self) -> None:
        self._io.send(proto.release(self.settings.channel))

    def tare(self, on: bool = True) -> None:
        self._io.send(proto.tare(on, self.settings.channel))

    def release_setpoint(self) -> None:
        """Safe state (called by the rig): release the closed-loop torque set point."""
        self.release()

    # -- streaming --------------------------------------------------------------------------------
    def channel_names(self) -> list[str]:
        return [f"{self.name}.speed_rad_s", f"{self.name}.torque_nm"]

    def _reader(self):
        """Polled ``OD`` requests, or the controller's continuous output when ``settings.continuous``."""
        self._last_t_s = float("-inf")
        return self._run_continuous if self.settings.continuous else self._run

    def _values(self, record: proto.OdRecord) -> tuple[tuple[float, float], tuple[int, int]]:
        """(speed, torque) in SI and their flags; an alarm record is a flagged NaN sample."""
        if record.alarm:
            nan = float("nan")
            return (nan, nan), (int(SampleFlag.NO_DATA), int(SampleFlag.NO_DATA))
        return self._to_si(record), (0, 0)

    def sample(self) -> tuple[tuple[float, float], tuple[int, int]]:
        """One polled ``OD`` (the shared polling loop of :class:`PolledDevice` calls it)."""
        return self._values(self.read_od())

    def _add(self, t_s: float, record: proto.OdRecord) -> None:
        assert self._batcher is not None
        t_s = max(t_s, self._last_t_s + 1e-6)  # back-dated stream records stay in order
        self._last_t_s = t_s
        self._batcher.add(t_s, *self._values(record))

    def _unexpected(self, exc: Exception) -> None:
        """A reader thread never dies: an unforeseen error is counted, kept, reported, then reading goes on."""
        self.stats.missed_polls += 1
        error = TransportError(f"{self.name}: stream failed unexpectedly: {exc!r}")
        error.__cause__ = exc
        self.stats.note(error)
        self.errors.failed(error)
        self._stop.wait(0.05)

    def _run_continuous(self) -> None:
        channel = self.settings.channel
        period = 1.0 / self.stream_rate_hz
        reopens_seen = -1
        last_flush = time.monotonic()
        while not self._stop.is_set():
            try:
                if reopens_seen != self.line.stats.reopens:  # first start, or the line came back
                    self._io.send(proto.stream_command(self.stream_rate_hz, channel))
                    reopens_seen = self.line.stats.reopens
                with self.line.lock:
                    lines = self.line.read_lines(proto.TERMINATOR, self.timeouts["stream_s"])
                now_t = self.timebase.now()
                if not lines:
                    self.stats.timeouts += 1
                    silent = DeviceTimeoutError(self.name, "continuous OD stream", self.timeouts["stream_s"])
                    self.stats.note(silent)
                    self.errors.failed(silent)
                else:
                    self.errors.ok()
                count = len(lines)
                for index, raw in enumerate(lines):
                    try:
                        record = proto.parse_od(raw, self.name)
                    except ProtocolError as exc:
                        self.stats.bad_records += 1
                        self.stats.note(exc)
                        continue
                    self._add(now_t - (count - 1 - index) * period, record)
            except TransportError as exc:
                self.stats.transport_errors += 1
                self.stats.note(exc)
                self.errors.failed(exc)
                self._stop.wait(0.05)
            except Exception as exc:  # noqa: BLE001  (see _unexpected)
                self._unexpected(exc)
            now = time.monotonic()
            if now - last_flush >= self.publish_interval_s:
                self._batcher.flush()
                last_flush = now
        try:
            self._io.send(proto.stream_command(0, channel))
            with self.line.lock:  # the records still in flight were taken: keep them
                for _ in range(100):
                    tail = self.line.read_lines(proto.TERMINATOR, 0.02)
                    if not tail:
                        break
                    for raw in tail:
                        try:
                            self._add(self.timebase.now(), proto.parse_od(raw, self.name))
                        except ProtocolError as exc:
                            self.stats.bad_records += 1
                            self.stats.note(exc)
        except TransportError as exc:
            self.stats.note(exc)
