"""A simulated Magtrol DSP7000 dynamometer controller, written from the Magtrol manual (ch. 7).

Answers ``*IDN?`` and ``OD1`` with the fixed-length record ``SddddddTdddd.R`` CR LF: speed of the
dynamometer shaft in rpm (no leading zeroes, right aligned in 6 places), torque from the plant's
flange in the display unit, with 2 decimals in 5 places, ``R`` / ``L`` for the sense of rotation and
``A`` when the load axis is faulted or the flange reads NaN. ``Q1,xx.xx`` puts the load axis into
torque mode against the rotation, ``Q1`` releases it, ``TS1`` / ``TR1`` tare on / off.

``ODS1,<rate_hz>`` (a project convention, not in the manual) starts a continuous OD stream paced by
this thread at ``rate_hz``; ``ODS1,0`` stops it. ``stream_sent`` counts the records sent.
"""

from __future__ import annotations

import math
import time

from hil_mocks.serial.base import LineInstrument, LineSplitter

RPM_PER_RAD_S = 60.0 / (2.0 * math.pi)
UNIT_NM = {"N.m": 1.0, "N.cm": 0.01, "mN.m": 0.001, "oz.in": 0.00706155181640625, "lb.in": 0.1129848290276167}


class SimulatedDsp7000(LineInstrument):
    kind = "dsp7000"

    def __init__(self, source, plant_lock=None, endpoint: str = "pty", name: str | None = None, *,
                 flange: str = "torque_out", axis: str = "load", torque_unit: str = "N.m",
                 idn: str = "MAGTROL,DSP7001,SIM0001,REV 1.0 (simulated)"):
        super().__init__(source, plant_lock, endpoint, name)
        self.flange = flange
        self.axis = axis
        self.unit_nm = UNIT_NM[torque_unit]
        self.idn = idn
        self.tare_nm = 0.0
        self.tare_on = False
        self.set_point_display: float | None = None
        self.commands: list[str] = []
        self.stream_rate_hz = 0.0
        self.stream_sent = 0
        self._next_stream_s: float | None = None
        self._splitter = LineSplitter(b"\n")

    # -- values -----------------------------------------------------------------------------------
    def _measure(self) -> tuple[float, float, bool]:
        def take(plant):
            torque_nm = getattr(plant.sensors, self.flange).read()
            speed_rad_s = plant.output_speed_rad_s if self.axis == "load" else plant.input_speed_rad_s
            fault = plant.axes[self.axis].fault
            return torque_nm, speed_rad_s, fault is not None
        return self.read_source(take)

    def od_record(self) -> bytes:
        torque_nm, speed_rad_s, alarm = self._measure()
        if math.isnan(torque_nm):
            alarm, torque_nm = True, 0.0
        if self.tare_on:
            torque_nm -= self.tare_nm
        speed_rpm = abs(speed_rad_s) * RPM_PER_RAD_S
        direction = "A" if alarm else ("R" if speed_rad_s >= 0 else "L")
        torque_text = f"{torque_nm / self.unit_nm:5.2f}"  # wider than 5 places when it must be
        return f"S{speed_rpm:6.0f}T{torque_text}{direction}\r\n".encode("ascii")

    # -- requests ---------------------------------------------------------------------------------
    def on_bytes(self, data: bytes) -> None:
        for raw in self._splitter.feed(data):
            self.requests += 1
            text = raw.rstrip(b"\r").decode("ascii", "replace").strip().upper()
            self.commands.append(text)
            del self.commands[:-200]
            self._handle(text)

    def _handle(self, text: str) -> None:
        if text == "*IDN?":
            self.reply(self.idn.encode("ascii") + b"\r\n")
        elif text == "OD1":
            self.reply(self.od_record())
        elif text.startswith("ODS1,"):
            try:
                rate = float(text[5:])
            except ValueError:
                return  # the real controller ignores what it does not understand
            self.stream_rate_hz = max(rate, 0.0)
            self._next_stream_s = None
            if rate > 0:
                self._next_stream_s = time.monotonic()
        elif text.startswith("Q1,"):
            try:
                value = float(text[3:])
            except ValueError:
                return
            self.set_point_display = value
            self._apply_set_point(value * self.unit_nm)
        elif text == "Q1":
            self.set_point_display = None
            self._apply_set_point(None)
        elif text == "TS1":
            torque_nm, _, _ = self._measure()
            self.tare_nm, self.tare_on = (0.0 if math.isnan(torque_nm) else torque_nm), True
        elif text == "TR1":
            self.tare_on = False

    def _apply_set_point(self, torque_nm: float | None) -> None:
        def command(plant):
            axis = plant.axes[self.axis]
            axis.mode = "torque"
            if torque_nm is None:
                axis.torque_target_nm = 0.0
            else:
                speed = plant.output_speed_rad_s if self.axis == "load" else plant.input_speed_rad_s
                axis.torque_target_nm = -torque_nm if speed >= 0 else torque_nm  # a brake opposes motion
        self.read_source(command)

    # -- continuous stream ------------------------------------------------------------------------
    def next_tick_s(self) -> float | None:
        return self._next_stream_s

    def on_tick(self, now_s: float) -> None:
        period = 1.0 / self.stream_rate_hz
        chunk = bytearray()
        while self._next_stream_s is not None and self._next_stream_s <= now_s:
            chunk += self.od_record()
            self.stream_sent += 1
            self._next_stream_s += period
        if self.faults.take("garbage"):
            chunk[len(chunk) // 2:len(chunk) // 2] = b"\xff\x00#"
        self.write_raw(bytes(chunk))

    def on_unplug(self) -> None:
        self._splitter.clear()
        self._next_stream_s = None
        self.stream_rate_hz = 0.0
