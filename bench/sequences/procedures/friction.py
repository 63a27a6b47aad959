"""Reducer friction: no-load running torque, starting torque, back-driving torque.

DOMAIN.md §1.1 [C HD-CSD26] and §2.4:

* **No-load running torque** — the input torque that keeps the input turning at a given speed with
  the output unloaded. The drive motor runs in cyclic synchronous velocity, the load motor is
  disabled (the output turns freely); at each speed, once the drive's speed has stayed in a ±1 % band
  for ``settle_s``, the torque is the mean of the *input* flange and the speed the mean of the drive's
  speed over ``measure_s``; both directions. A line ``|T| = T0 + c·|ω|`` over the speeds separates the
  speed-independent part ``T0`` from the viscous coefficient ``c``.
* **Starting torque** — a quasi-static torque ramp on the input until it starts to turn, output
  free. Drive motor in cyclic synchronous torque, load motor disabled; torque from the input flange,
  motion from the drive motor's position.
* **Back-driving torque** — a torque ramp on the output until it starts to turn, input free. Load
  motor in cyclic synchronous torque, drive motor disabled; torque from the output flange. Until the
  input breaks loose the output only winds up elastically (backlash + twist), so "the output starts
  to turn" is detected where the train does: at the input shaft (drive motor position), which stays
  still until then. A back-driving torque is never a holding margin: fit a brake (HD-CSD26).

The breakaway torque is the largest torque (smoothed over ``smoothing_s`` against flange noise) up to
the first sample where the shaft has moved by more than ``motion_threshold_rad``
(:func:`bench.analysis.breakaway_torque`). A ramp that reaches ``max_torque_nm`` without motion
measures ``inf`` (the unit needs more torque than the test may apply: FAIL), with the torque reached in the
record. The flanges measure what the reducer takes: the drive motor's own friction lies outside the
input flange, the load motor's outside the output flange.

Resolution: a CiA 402 torque set point is an integer in ‰ of the drive's rated torque (0.04 N·m for
a 40 N·m load motor), and the ramp goes on until the motion is seen, so a breakaway reads up to about
one set-point step plus rate × detection delay high; flange and drive samples are timestamped apart,
so a skew between them reads as rate × skew. Slow ramps keep both small (defaults: 0.05 N·m/s at the
input, 2 N·m/s at the output).
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bench.analysis import breakaway_torque
from bench.errors import BenchError
from bench.sequences import Measurement, Sequence, plotdata
from bench.sequences.procedures.common import (
    SETPOINT_PERIOD_S,
    Collector,
    enable_in_mode,
    stop_drives,
    wait_for,
)
from bench.units import RPM_RAD_S

TORQUE_IN = "torque_in.torque_nm"
TORQUE_OUT = "torque_out.torque_nm"
ANGLE_IN = "drive_in.position_rad"
SPEED_IN = "drive_in.velocity_rad_s"
TEMPERATURE = "temperature.reducer_c"

#: speeds of the HD no-load curves are 500/1000/2000/3500 rpm (HD-CSD26); 3500 rpm (366 rad/s) is
#: above the simulated bench's speed limit, so the default stops at 3000 rpm.
DEFAULT_SPEEDS_RAD_S = tuple(round(rpm * RPM_RAD_S, 6) for rpm in (500.0, 1000.0, 2000.0, 3000.0))
#: share of the bench's [limits] a procedure may use (the interlock trips at the limit itself)
LIMIT_SHARE = 0.95
#: a shaft is "at rest" below this speed (rad/s) before the next ramp starts
REST_SPEED_RAD_S = 0.05
#: longest wait for a channel's samples to catch up with the moment motion was seen
DELIVERY_TIMEOUT_S = 2.0

Directions = Literal["both", "forward", "reverse"]


def _signs(directions: str) -> tuple[float, ...]:
    return {"both": (1.0, -1.0), "forward": (1.0,), "reverse": (-1.0,)}[directions]


def _direction_name(sign: float) -> str:
    return "forward" if sign > 0 else "reverse"


def _moving_average(values: np.ndarray, n: int) -> np.ndarray:
    """Centred moving average over ``n`` samples (no lag on a ramp); ends averaged over what exists."""
    if n <= 1 or values.size < n:
        return values
    kernel = np.ones(n)
    return np.convolve(values, kernel, mode="same") / np.convolve(np.ones(values.size), kernel, mode="same")


def _csv(header: tuple[str, ...], rows: list[tuple]) -> bytes:
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    for row in rows:
        out.write(",".join(f"{v:.9g}" if isinstance(v, float) else str(v) for v in row) + "\n")
    return out.getvalue().encode()


def _channel_window(collector: Collector, channel: str, window_s: tuple[float, float]):
    t, v = collector.arrays(channel)
    keep = (t >= window_s[0]) & (t <= window_s[1])
    return t[keep], v[keep]


# ---- no-load running torque ------------------------------------------------------------------------

@dataclass(frozen=True)
class NoLoadTorqueParameters:
    speeds_rad_s: tuple[float, ...] = field(default=DEFAULT_SPEEDS_RAD_S, metadata={
        "doc": "input speeds, magnitudes > 0, ≤ 95 % of bench limit (HD curves: 500/1000/2000/3500 rpm)"})
    directions: Directions = field(default="both", metadata={
        "doc": "input turning directions run at every speed: both, forward or reverse"})
    acceleration_rad_s2: float = field(default=500.0, metadata={
        "gt": 0, "doc": "input acceleration of the speed ramps between speeds (and to rest)"})
    settle_s: float = field(default=0.5, metadata={
        "ge": 0, "doc": "time the input speed must stay in the steady band before the torque is averaged"})
    measure_s: float = field(default=1.0, metadata={
        "gt": 0, "doc": "averaging window of input flange torque and drive speed at each speed"})
    speed_tolerance_fraction: float = field(default=0.01, metadata={
        "gt": 0, "lt": 1, "doc": "half-width of the steady-speed band, fraction of the set speed (0.01: ±1 %)"})
    settle_timeout_s: float = field(default=5.0, metadata={
        "gt": 0, "doc": "time allowed beyond settle_s to become steady; then the test stops with an error"})

    def check(self):
        if not self.speeds_rad_s:
            yield "speeds_rad_s", "give at least one speed"
        bad = [s for s in self.speeds_rad_s if not (s > 0 and math.isfinite(s))]
        if bad:
            yield "speeds_rad_s", (f"speeds are magnitudes > 0 (the direction is the 'directions' parameter), "
                                   f"found {', '.join(f'{s:g}' for s in bad)}")
        if len(set(self.speeds_rad_s)) != len(self.speeds_rad_s):
            yield "speeds_rad_s", "a speed is given twice"


@dataclass(frozen=True)
class NoLoadPoint:
    """One steady speed of the no-load test: signed mean input speed and input flange torque."""

    speed_rad_s: float
    torque_nm: float
    torque_std_nm: float
    window_s: tuple[float, float]
    samples: int


class NoLoadTorque(Sequence):
    name = "no_load_torque"
    title = "No-load running torque at several input speeds, output free"
    version = "1"
    Parameters = NoLoadTorqueParameters
    measurements = (
        Measurement("no_load_torque", unit="N·m", display_unit="N·cm",
                    description="largest mean input torque over the speeds and directions, output unloaded "
                                "(DOMAIN.md §1.1)"),
        Measurement("no_load_torque_coulomb", unit="N·m", display_unit="N·cm",
                    description="speed-independent part T0 of |T| = T0 + c·|ω| fitted over the speeds"),
        Measurement("no_load_viscous", unit="N·m·s/rad",
                    description="viscous coefficient c of |T| = T0 + c·|ω| (input side)"),
    )

    def setup(self, ctx):
        p = ctx.params
        limit = ctx.config.limits.speed_rad_s
        top = max(p.speeds_rad_s)
        if top > LIMIT_SHARE * limit:
            raise BenchError(f"{self.name}: speeds_rad_s includes {top:.4g} rad/s ({top / RPM_RAD_S:.0f} rpm), "
                             f"above {LIMIT_SHARE:.0%} of the bench speed limit [limits] speed_rad_s = "
                             f"{limit:.4g} rad/s ({limit / RPM_RAD_S:.0f} rpm)")
        self.drive_in = ctx.rig.device("drive_in")
        self.drive_load = ctx.rig.device("drive_load")
        channels = [TORQUE_IN, SPEED_IN]
        self.temperature = TEMPERATURE in ctx.hub.channels
        if self.temperature:
            channels.append(TEMPERATURE)
        self.collector = Collector(ctx, channels)
        ctx.phase("output free, drive motor in velocity mode")
        self.drive_load.disable()
        enable_in_mode(self.drive_in, "csv")
        self.speed_rad_s = 0.0

    def _go_to(self, ctx, target_rad_s: float) -> None:
        """Ramp the input speed set point at ``acceleration_rad_s2`` to ``target_rad_s``; an update
        advances by at most two set-point periods, so a stalled host slows the ramp instead of stepping."""
        last = time.monotonic()
        while True:
            now = time.monotonic()
            step = ctx.params.acceleration_rad_s2 * min(now - last, 2 * SETPOINT_PERIOD_S)
            last = now
            gap = target_rad_s - self.speed_rad_s
            self.speed_rad_s = target_rad_s if abs(gap) <= step else self.speed_rad_s + math.copysign(step, gap)
            self.drive_in.set_velocity_rad_s(self.speed_rad_s)
            if self.speed_rad_s == target_rad_s:
                return
            ctx.wait(SETPOINT_PERIOD_S)
            self.collector.drain()

    def _settle(self, ctx, target_rad_s: float) -> None:
        """Wait until the input speed has stayed within the tolerance band of ``target_rad_s`` for
        ``settle_s`` (a reversal leaves the drive's velocity integrator a while to swing over)."""
        p = ctx.params
        band = p.speed_tolerance_fraction * abs(target_rad_s)
        since = None

        def steady() -> bool:
            nonlocal since
            self.collector.drain()
            speed = self.drive_in.latest().get("velocity_rad_s")
            if speed is None or abs(speed - target_rad_s) > band:
                since = None
                return False
            since = since if since is not None else time.monotonic()
            return time.monotonic() - since >= p.settle_s

        ctx.wait_until(steady, p.settle_s + p.settle_timeout_s,
                       what=f"drive_in.velocity_rad_s within ±{band:.3g} rad/s of {target_rad_s:.4g} rad/s "
                            f"for {p.settle_s:g} s")

    def _point(self, window: tuple[float, float]) -> NoLoadPoint:
        _, torque = _channel_window(self.collector, TORQUE_IN, window)
        _, speed = _channel_window(self.collector, SPEED_IN, window)
        if torque.size < 2 or speed.size < 2:
            raise BenchError(f"{self.name}: {TORQUE_IN} gave {torque.size} and {SPEED_IN} {speed.size} samples "
                             f"in the window {window[0]:.3f}…{window[1]:.3f} s: too few to average")
        # the drive's own speed, averaged: samples arrive in bursts on a busy host, so a slope of the
        # position over arrival times would be off by the burst length over the window
        speed = float(speed.mean())
        return NoLoadPoint(speed, float(torque.mean()), float(torque.std()), window, int(torque.size))

    def run(self, ctx):
        p = ctx.params
        speeds = sorted(p.speeds_rad_s)
        signs = _signs(p.directions)
        total = len(signs) * len(speeds)
        points: list[NoLoadPoint] = []
        for sign in signs:
            for speed in speeds:
                target = sign * speed
                ctx.phase(f"{_direction_name(sign)} {speed / RPM_RAD_S:.0f} rpm ({speed:.4g} rad/s)")
                self._go_to(ctx, target)
                self._settle(ctx, target)
                start = ctx.now()
                wait_for(ctx, p.measure_s, self.collector)
                points.append(self._point((start, ctx.now())))
                ctx.progress(0.95 * len(points) / total)
                ctx.log(f"{target:+.4g} rad/s set: {points[-1].speed_rad_s:+.5g} rad/s, "
                        f"{points[-1].torque_nm:+.5g} N·m (σ {points[-1].torque_std_nm:.2g} N·m)")
            self._go_to(ctx, 0.0)
        wait_for(ctx, 0.2, self.collector)

        table = [(_direction_name(pt.speed_rad_s), pt.speed_rad_s, pt.speed_rad_s / RPM_RAD_S, pt.torque_nm,
                  pt.torque_std_nm, pt.samples, pt.window_s[0], pt.window_s[1]) for pt in points]
        ctx.attach("no_load_torque.csv", _csv(("direction", "speed_rad_s", "speed_rpm", "torque_nm",
                                                "torque_std_nm", "samples", "t_start_s", "t_end_s"), table))
        speed_abs = np.array([abs(pt.speed_rad_s) for pt in points])
        torque_abs = np.array([abs(pt.torque_nm) for pt in points])
        rows = [{"direction": _direction_name(pt.speed_rad_s), "speed_rad_s": round(pt.speed_rad_s, 3),
                 "torque_nm": round(pt.torque_nm, 6)} for pt in points]  # full values: the CSV attachment
        extra = {}
        if self.temperature:
            _, temp = self.collector.arrays(TEMPERATURE)
            if temp.size:
                extra["reducer_temperature_c"] = [float(temp.min()), float(temp.max())]
        worst = int(np.argmax(torque_abs))
        ctx.measure("no_load_torque", float(torque_abs[worst]), speed_rad_s=points[worst].speed_rad_s,
                    points=rows, **extra)
        if len(set(speeds)) >= 2:
            slope, intercept = np.polyfit(speed_abs, torque_abs, 1)
            residual = float(np.sqrt(np.mean((torque_abs - (intercept + slope * speed_abs)) ** 2)))
        else:
            slope = intercept = math.nan
            residual = math.nan
            ctx.log("one speed only: no line |T| = T0 + c·|ω| (give two speeds or more)")
        fit = {"speeds_rad_s": [round(v, 3) for v in speeds], "rms_residual_nm": float(f"{residual:.3g}")}
        ctx.measure("no_load_torque_coulomb", float(intercept), **fit)
        ctx.measure("no_load_viscous", float(slope), **fit)
        ctx.attach_plot_data("no_load", **plotdata.from_no_load(points, float(intercept), float(slope)))
        ctx.progress(1.0, "done")

    def teardown(self, ctx):
        drive = getattr(self, "drive_in", None)
        if drive is not None and getattr(self, "speed_rad_s", 0.0):
            try:  # come down on the ramp rather than by the drive's quick stop
                self._go_to(ctx, 0.0)
            except BenchError as exc:
                ctx.log(f"teardown: ramp to 0 of drive_in: {exc}")
        stop_drives(ctx, drive, getattr(self, "drive_load", None))


# ---- breakaway: starting and back-driving torque ---------------------------------------------------

@dataclass(frozen=True)
class BreakawayParameters:
    max_torque_nm: float = field(default=0.5, metadata={
        "gt": 0, "doc": "end of the torque ramp (input side for starting torque); no motion up to it: inf (FAIL)"})
    ramp_time_s: float = field(default=10.0, metadata={
        "gt": 0, "doc": "time of the ramp 0 → max_torque_nm: sets the torque rate (slow: quasi-static)"})
    motion_threshold_rad: float = field(default=1e-3, metadata={
        "gt": 0, "doc": "input shaft rotation since the ramp start that counts as \"started to turn\""})
    smoothing_s: float = field(default=0.02, metadata={
        "ge": 0, "doc": "moving-average window of the flange torque against noise (0: none)"})
    directions: Directions = field(default="both", metadata={
        "doc": "ramp directions: both, forward or reverse; the larger breakaway is the result"})
    settle_s: float = field(default=0.3, metadata={
        "ge": 0, "doc": "time at rest (input shaft stopped) before each ramp starts"})
    rest_timeout_s: float = field(default=5.0, metadata={
        "gt": 0, "doc": "longest wait for the input shaft to stop before a ramp; then an error"})

    @property
    def torque_rate_nm_s(self) -> float:
        return self.max_torque_nm / self.ramp_time_s


@dataclass(frozen=True)
class StartingTorqueParameters(BreakawayParameters):
    """Input side, 0.05 N·m/s: the catalogue's 15 N·cm (CSF-25-50) is reached after 3 s."""


@dataclass(frozen=True)
class BackDrivingTorqueParameters(BreakawayParameters):
    """Output side, 2 N·m/s: the catalogue's 9 N·m (CSF-25-50) is reached after 4.5 s."""

    max_torque_nm: float = field(default=30.0, metadata={
        "gt": 0, "doc": "end of the output torque ramp (≤ 95 % of bench limit); no motion: inf (FAIL)"})
    ramp_time_s: float = field(default=15.0, metadata={
        "gt": 0, "doc": "time of the ramp 0 → max_torque_nm: sets the torque rate (slow: quasi-static)"})


@dataclass(frozen=True)
class BreakawayTrace:
    """What decided a ramp, for the report: at the flange's sample instants the (smoothed) torque and
    the input angle moved since the ramp's first sample, and the instants of the breakaway torque and of
    the first sample beyond the motion threshold (NaN without motion)."""

    time_s: np.ndarray
    torque_nm: np.ndarray
    angle_rad: np.ndarray
    breakaway_time_s: float = math.nan
    motion_time_s: float = math.nan


@dataclass(frozen=True)
class BreakawayRamp:
    """One ramp of a breakaway test."""

    sign: float
    torque_nm: float  # signed breakaway torque; inf·sign when the shaft did not move
    moved: bool
    peak_applied_nm: float  # largest set point reached
    window_s: tuple[float, float]  # ramp start → motion seen (or the maximum reached)
    trace: BreakawayTrace | None = field(default=None, repr=False, compare=False)

    @property
    def mean_rate_nm_s(self) -> float:
        """The rate the ramp achieved (below the nominal one where the host stalled)."""
        return abs(self.peak_applied_nm) / max(1e-9, self.window_s[1] - self.window_s[0])


class _Breakaway:
    """A torque ramp on one side until the input shaft turns; the other side disabled (free).
    Mixed into a :class:`Sequence` (it is no procedure by itself)."""

    name = ""
    #: role of the drive that ramps, of the drive left free, and the flange channel that measures
    ramp_role = ""
    free_role = ""
    torque_channel = ""
    measurement_name = ""
    plot_label = ""  # of the ``breakaway`` plot data

    def setup(self, ctx):
        self.ramp_drive = ctx.rig.device(self.ramp_role)
        self.free_drive = ctx.rig.device(self.free_role)
        self.motion_drive = ctx.rig.device("drive_in")
        self.collector = Collector(ctx, (self.torque_channel, ANGLE_IN))
        ctx.phase(f"{self.free_role} disabled (free), {self.ramp_role} in torque mode")
        self.free_drive.disable()
        enable_in_mode(self.ramp_drive, "cst")
        self.max_torque_nm = self._max_torque(ctx)

    def _max_torque(self, ctx) -> float:
        return ctx.params.max_torque_nm

    def _input_angle(self) -> float:
        value = self.motion_drive.latest().get("position_rad")
        if value is None:
            raise BenchError(f"{self.name}: drive_in streams no position_rad: cannot see the shaft turn")
        return float(value)

    def _at_rest(self, ctx) -> None:
        def still() -> bool:
            speed = self.motion_drive.latest().get("velocity_rad_s")
            self.collector.drain()
            return speed is not None and abs(speed) < REST_SPEED_RAD_S
        ctx.wait_until(still, ctx.params.rest_timeout_s, what=f"{self.name}: input shaft at rest "
                                                              f"(|drive_in.velocity_rad_s| < {REST_SPEED_RAD_S} rad/s)")
        wait_for(ctx, ctx.params.settle_s, self.collector)

    def _ramp(self, ctx, sign: float, progress: tuple[float, float]) -> BreakawayRamp:
        """Ramp the torque at ``torque_rate_nm_s`` until the input has moved, or to ``max_torque_nm``."""
        p = ctx.params
        self._at_rest(ctx)
        start = ctx.now()
        angle0 = self._input_angle()
        rate = p.torque_rate_nm_s  # as given, also where max_torque_nm was capped
        last = time.monotonic()
        moved = False
        magnitude = 0.0
        while True:
            # advance by the time elapsed, but never by more than two set-point periods: a stalled host
            # slows the ramp down instead of stepping the torque (a step would overshoot the breakaway)
            now = time.monotonic()
            magnitude = min(self.max_torque_nm, magnitude + rate * min(now - last, 2 * SETPOINT_PERIOD_S))
            last = now
            frac = magnitude / self.max_torque_nm
            applied = sign * magnitude
            self.ramp_drive.set_torque_nm(applied)
            ctx.wait(SETPOINT_PERIOD_S)
            self.collector.drain()
            if abs(self._input_angle() - angle0) > p.motion_threshold_rad:
                moved = True
                break
            if frac >= 1.0:
                break
            ctx.progress(progress[0] + frac * (progress[1] - progress[0]))
        self.ramp_drive.set_torque_nm(0.0)  # friction stops the shaft
        detected = ctx.now()
        if not moved:
            window = (start, detected)
            ctx.log(f"{_direction_name(sign)}: no motion beyond {p.motion_threshold_rad:g} rad up to "
                    f"{applied:+.4g} N·m (max_torque_nm)")
            self.collector.drain()  # the trace as far as delivered: no wait, nothing decided on it
            t_q, torque, angle_at_q = self._trace(window, p.smoothing_s)
            trace = BreakawayTrace(t_q, torque, angle_at_q - angle_at_q[0] if angle_at_q.size else angle_at_q)
            return BreakawayRamp(sign, sign * math.inf, False, applied, window, trace)
        # the breakaway lies before the detection: wait until both channels have delivered past it
        # (a busy host delivers the flange's samples in bursts, later than the drive's)
        def delivered() -> bool:
            return all(len(t) and t[-1] >= detected for t in (self.collector.arrays(c)[0]
                                                             for c in (self.torque_channel, ANGLE_IN)))
        ctx.wait_until(delivered, DELIVERY_TIMEOUT_S,
                       what=f"{self.torque_channel} and {ANGLE_IN} samples up to the motion at {detected:.3f} s")
        window = (start, ctx.now())
        t_q, torque, angle_at_q = self._trace(window, p.smoothing_s)
        try:
            result = breakaway_torque(torque, angle_at_q, motion_threshold_rad=p.motion_threshold_rad)
        except ValueError as exc:
            raise BenchError(f"{self.name}, {_direction_name(sign)}: {exc}") from None
        ctx.log(f"{_direction_name(sign)}: breakaway {result.breakaway_torque_nm:+.5g} N·m on "
                f"{self.torque_channel}, set point {applied:+.4g} N·m at detection")
        k = result.motion_index
        peak = int(np.argmax(np.abs(torque[:k + 1])))  # where breakaway_torque took its value
        trace = BreakawayTrace(t_q, torque, angle_at_q - angle_at_q[0], float(t_q[peak]), float(t_q[k]))
        return BreakawayRamp(sign, result.breakaway_torque_nm, True, applied, (start, detected), trace)

    def _trace(self, window: tuple[float, float], smoothing_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flange sample instants, the flange torque smoothed over ``smoothing_s`` and the input angle
        at those instants (held at the ends), over ``window``: what :func:`breakaway_torque` decides on."""
        t_q, torque = _channel_window(self.collector, self.torque_channel, window)
        t_a, angle = _channel_window(self.collector, ANGLE_IN, window)
        rate_hz = (len(t_q) - 1) / (t_q[-1] - t_q[0]) if len(t_q) > 1 and t_q[-1] > t_q[0] else 0.0
        torque = _moving_average(torque, max(1, int(round(smoothing_s * rate_hz))))
        angle_at_q = np.interp(t_q, t_a, angle) if t_a.size else np.full(t_q.size, np.nan)
        return t_q, torque, angle_at_q

    def run(self, ctx):
        p = ctx.params
        signs = _signs(p.directions)
        ramps = []
        for i, sign in enumerate(signs):
            ctx.phase(f"{_direction_name(sign)} torque ramp on {self.ramp_role} at {p.torque_rate_nm_s:g} N·m/s")
            span = (0.95 * i / len(signs), 0.95 * (i + 1) / len(signs))
            ramps.append(self._ramp(ctx, sign, span))
        wait_for(ctx, 0.1, self.collector)
        worst = max(ramps, key=lambda r: abs(r.torque_nm))
        ctx.measure(self.measurement_name, abs(worst.torque_nm), direction=_direction_name(worst.sign),
                    torque_channel=self.torque_channel, torque_rate_nm_s=p.torque_rate_nm_s,
                    motion_threshold_rad=p.motion_threshold_rad,
                    ramps=[{"direction": _direction_name(r.sign), "torque_nm": r.torque_nm, "moved": r.moved,
                            "set_point_at_end_nm": r.peak_applied_nm, "window_s": list(r.window_s),
                            "mean_rate_nm_s": r.mean_rate_nm_s}
                           for r in ramps])
        if any(r.trace is not None and r.trace.time_s.size for r in ramps):
            ctx.attach_plot_data("breakaway", label=self.plot_label, **plotdata.from_breakaway(
                ramps, motion_threshold_rad=p.motion_threshold_rad, torque_channel=self.torque_channel,
                angle_channel=ANGLE_IN))
        else:
            ctx.log(f"no {self.torque_channel} samples in any ramp: no breakaway plot")
        ctx.progress(1.0, "done")

    def teardown(self, ctx):
        stop_drives(ctx, getattr(self, "ramp_drive", None), getattr(self, "free_drive", None))


class StartingTorque(_Breakaway, Sequence):
    name = "starting_torque"
    title = "Starting torque: quasi-static torque ramp on the input, output free"
    version = "1"
    Parameters = StartingTorqueParameters
    measurements = (
        Measurement("starting_torque", unit="N·m", display_unit="N·cm",
                    description="input torque at which the input starts to turn, output free; larger of the "
                                "directions (DOMAIN.md §1.1)"),
    )
    ramp_role, free_role, torque_channel, measurement_name = "drive_in", "drive_load", TORQUE_IN, "starting_torque"
    plot_label = "starting"


class BackDrivingTorque(_Breakaway, Sequence):
    name = "back_driving_torque"
    title = "Back-driving torque: torque ramp on the output, input free"
    version = "1"
    Parameters = BackDrivingTorqueParameters
    measurements = (
        Measurement("back_driving_torque", unit="N·m", display_unit="N·m",
                    description="output torque at which the output starts to turn, input free; larger of the "
                                "directions; never a holding margin (DOMAIN.md §1.1)"),
    )
    ramp_role, free_role, torque_channel, measurement_name = "drive_load", "drive_in", TORQUE_OUT, \
        "back_driving_torque"
    plot_label = "back-driving"

    def _max_torque(self, ctx) -> float:
        limit = LIMIT_SHARE * ctx.config.limits.torque_nm
        if ctx.params.max_torque_nm > limit:
            ctx.log(f"max_torque_nm limited to {LIMIT_SHARE:.0%} of the bench torque limit: {limit:.4g} N·m")
            return limit
        return ctx.params.max_torque_nm
