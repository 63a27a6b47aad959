"""Motor-bench procedures (DOMAIN.md §4): torque ripple, cogging torque, torque and back-EMF constants.

The bench: the motor under test on ``drive_in``, a torque flange on the shaft to the load motor on
``drive_load`` (velocity mode: it holds or imposes the speed), a power analyzer (``power``) on the
terminals of the motor under test. The mechanical angle is the motor-under-test drive's position
channel (the motor's own encoder), sampled at every SYNC.

Which torque: the procedures work with the torque the motor under test delivers into the shaft.
A ``torque_in`` flange reads exactly that (> 0 when the motor drives forward); a ``torque_out``
flange reads the torque the load side applies to the shaft, the opposite sign at steady state
(DESIGN.md roles, ``hil_mocks.plant`` conventions). :func:`motor_torque_channel` picks the flange the
rig has and the sign that turns it into "delivered by the motor under test".

Timing: the flange is polled while the angle is latched at SYNC, so each torque sample carries the
jitter of its poll (stamped when the answer arrives). At ``speed`` rad/s an order ``k`` sees a phase
jitter of ``k·speed·σ_t``, which lowers its amplitude by about ``exp(−(k·speed·σ_t)²/2)`` and spreads
it into a noise floor: with σ_t = 2 ms order 60 loses 2 % at 15 rpm and 0.2 % at 5 rpm, with
σ_t = 10 ms (a host short of CPU) 36 % and 5 %. That is why ripple (10 rpm) and cogging (5 rpm) run
slowly by default, and why each result carries the flange's sample count and largest gap
(``torque_samples``, ``max_gap_s``) in its extras.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bench.analysis import cogging_torque, kt_from_ke, motor_constants, torque_ripple
from bench.errors import BenchError
from bench.sequences import Measurement, Sequence, plotdata
from bench.sequences.procedures.common import (
    Collector,
    enable_in_mode,
    ramp,
    stop_drives,
    wait_for,
)

ANGLE = "drive_in.position_rad"
SPEED = "drive_in.velocity_rad_s"
#: flange channel → sign that gives the torque delivered by the motor under test
FLANGES = (("torque_in.torque_nm", 1.0), ("torque_out.torque_nm", -1.0))
SQRT3 = math.sqrt(3.0)


def motor_torque_channel(ctx) -> tuple[str, float]:
    """The flange channel of the rig and the sign that makes it the torque the motor under test delivers."""
    for channel, sign in FLANGES:
        if channel in ctx.hub.channels:
            return channel, sign
    raise BenchError(f"{ctx.sequence.name}: the rig has no torque flange on the motor shaft (needs a "
                     f"torque_in or torque_out device; channels: {', '.join(sorted(ctx.hub.channels))})")


def check_bench_limits(ctx, *, speed_rad_s: float | None = None, torque_nm: float | None = None) -> None:
    """Refuse an operating point beyond the rig file's [limits] before anything moves."""
    limits = ctx.config.limits
    name = ctx.sequence.name
    if speed_rad_s is not None and abs(speed_rad_s) >= limits.speed_rad_s:
        raise BenchError(f"{name}: speed {speed_rad_s:.4g} rad/s is not below the bench limit "
                         f"limits.speed_rad_s = {limits.speed_rad_s:.4g} rad/s")
    if torque_nm is not None and abs(torque_nm) >= limits.torque_nm:
        raise BenchError(f"{name}: torque {torque_nm:.4g} N·m is not below the bench limit "
                         f"limits.torque_nm = {limits.torque_nm:.4g} N·m")


def record_for(ctx, seconds: float, collector: Collector, progress: tuple[float, float]) -> tuple[float, float]:
    """Collect for ``seconds`` reporting progress across ``progress``; returns the time window (rig timebase)."""
    start = ctx.now()
    t0 = time.monotonic()
    while (elapsed := time.monotonic() - t0) < seconds:
        wait_for(ctx, min(0.25, seconds - elapsed), collector)
        frac = min(1.0, (time.monotonic() - t0) / seconds)
        ctx.progress(progress[0] + frac * (progress[1] - progress[0]))
    return start, ctx.now()


def revolutions_time_s(revolutions: int, speed_rad_s: float) -> float:
    """Time to turn ``revolutions`` whole revolutions, with a margin so that the record surely covers them."""
    return revolutions * 2.0 * math.pi / abs(speed_rad_s) * 1.03 + 0.2


def top_orders(orders, amplitudes, count: int = 6) -> list[list[float]]:
    """The ``count`` largest lines of a spectrum above order 0, as [order, amplitude] (JSON extras)."""
    orders, amplitudes = np.asarray(orders), np.asarray(amplitudes)
    if orders.size < 2:
        return []
    idx = np.argsort(amplitudes[1:])[::-1][:count] + 1
    return [[float(orders[i]), float(amplitudes[i])] for i in idx]


def sampling(t_s) -> dict:
    """Sample count and largest gap of a channel over the analysed window (the timing behind a result)."""
    t_s = np.asarray(t_s, float)
    gap = float(np.max(np.diff(t_s))) if t_s.size > 1 else math.nan
    return {"torque_samples": int(t_s.size), "max_gap_s": gap}


#: automatic angle grid: at least this many samples per cell, within these bounds (cells per revolution)
SAMPLES_PER_CELL = 8
AUTO_POINTS_PER_REV = (128, 1024)


def points_per_rev(requested: int, *angle_runs) -> int:
    """The angle grid: ``requested`` if given, else a power of two with at least 8 samples per cell.

    Cell means average the flange noise; a grid as fine as the samples would interpolate single noisy
    samples and the peak-to-peak of the mean revolution would grow with the noise (extreme values).
    1024 cells resolve orders up to 512 (4Q-CTS reports harmonics 1–150). The cell means low-pass the
    mean revolution a little (order k keeps sinc(k/m) of its amplitude: 98 % for order 60 at 512
    cells); the order spectrum has that divided out.
    """
    if requested:
        return requested
    density = min(len(a) / max(abs(float(a[-1]) - float(a[0])) / (2.0 * math.pi), 1e-9) for a in angle_runs)
    cells = 2 ** int(math.floor(math.log2(max(density / SAMPLES_PER_CELL, 1.0))))
    return int(min(max(cells, AUTO_POINTS_PER_REV[0]), AUTO_POINTS_PER_REV[1]))


def orders_csv(orders, amplitudes, max_order: int = 150) -> bytes:
    """Order table 1…max_order (cycles per revolution, N·m peak) for a spreadsheet (4Q-CTS: harmonics 1–150)."""
    out = io.StringIO()
    out.write("order,amplitude_nm\n")
    for order, amplitude in zip(np.asarray(orders), np.asarray(amplitudes)):
        if 1 <= order <= max_order:
            out.write(f"{int(order)},{float(amplitude):.6g}\n")
    return out.getvalue().encode()


def _analysis(ctx, what: str, fn, *args, **kwargs):
    """Run an analysis function; its ValueError becomes a BenchError naming the procedure."""
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        raise BenchError(f"{ctx.sequence.name}: {what}: {exc}") from exc


# ------------------------------------------------------------------------------------------------ ripple
@dataclass(frozen=True)
class TorqueRippleParameters:
    torque_fraction: float = field(default=1.0, metadata={
        "gt": 0, "le": 3.0, "doc": "torque set point of the motor under test, as a fraction of its rated TN"})
    speed_rad_s: float = field(default=10.0 * 2.0 * math.pi / 60.0, metadata={
        "gt": 0, "doc": "shaft speed the load motor holds; 10 rpm (slow keeps flange jitter small)"})
    revolutions: int = field(default=2, metadata={
        "ge": 1, "le": 100, "doc": "whole mechanical revolutions recorded and averaged on angle"})
    ramp_s: float = field(default=0.5, metadata={
        "gt": 0, "doc": "ramp time of speed and torque to the operating point and back to rest"})
    settle_s: float = field(default=0.5, metadata={
        "ge": 0, "doc": "wait at the operating point before recording"})
    points_per_rev: int = field(default=0, metadata={
        "ge": 0, "doc": "angle grid cells per revolution; 0: auto, ≥ 8 samples per cell, 128…1024"})


class TorqueRipple(Sequence):
    """Motor under test in torque mode at a set torque, the load motor holding a set speed; the ripple
    over whole mechanical revolutions (synchronous average on angle, DOMAIN.md §4)."""

    name = "torque_ripple"
    title = "Torque ripple at an operating point (motor in torque mode, load motor holding speed)"
    version = "1"
    Parameters = TorqueRippleParameters
    measurements = (
        Measurement("torque_ripple", unit="1", display_unit="%",
                    description="(T_max − T_min) / T_mean over the averaged mechanical revolution"),
        Measurement("torque_ripple_rms", unit="1", display_unit="%",
                    description="RMS(T − T_mean) / T_mean over the averaged revolution"),
        Measurement("ripple_peak_to_peak", unit="N·m", display_unit="mNm", description="T_max − T_min of the averaged revolution"),
        Measurement("mean_torque", unit="N·m", description="mean shaft torque at the operating point"),
    )

    def setup(self, ctx):
        self.drive_in = ctx.rig.device("drive_in")
        self.drive_load = ctx.rig.device("drive_load")
        self.torque_channel, self.sign = motor_torque_channel(ctx)
        self.collector = Collector(ctx, (self.torque_channel, ANGLE))
        check_bench_limits(ctx, speed_rad_s=ctx.params.speed_rad_s,
                           torque_nm=ctx.params.torque_fraction * ctx.rated_torque_nm)
        ctx.phase("load motor in velocity mode, motor under test in torque mode")
        enable_in_mode(self.drive_load, "csv")
        enable_in_mode(self.drive_in, "cst")

    def run(self, ctx):
        p = ctx.params
        torque_nm = p.torque_fraction * ctx.rated_torque_nm
        c = self.collector
        ctx.phase(f"load motor to {p.speed_rad_s:.4g} rad/s")
        ramp(ctx, self.drive_load.set_velocity_rad_s, 0.0, p.speed_rad_s, p.ramp_s, c)
        ctx.phase(f"motor under test to {torque_nm:.4g} N·m")
        ramp(ctx, self.drive_in.set_torque_nm, 0.0, torque_nm, p.ramp_s, c)
        wait_for(ctx, p.settle_s, c)
        ctx.progress(0.1, f"recording {p.revolutions} revolution(s)")
        c.clear()
        window = record_for(ctx, revolutions_time_s(p.revolutions, p.speed_rad_s), c, (0.1, 0.85))
        ctx.phase("back to rest")
        ramp(ctx, self.drive_in.set_torque_nm, torque_nm, 0.0, p.ramp_s, c)
        ramp(ctx, self.drive_load.set_velocity_rad_s, p.speed_rad_s, 0.0, p.ramp_s, c)
        ctx.progress(0.95, "analysis")

        t, v = c.aligned(reference=self.torque_channel, window_s=window)
        result = _analysis(ctx, "torque ripple", torque_ripple, self.sign * v[self.torque_channel], v[ANGLE],
                           points_per_rev=points_per_rev(p.points_per_rev, v[ANGLE]))
        point = dict(speed_rad_s=p.speed_rad_s, torque_setpoint_nm=torque_nm, n_revs=result.n_revs,
                     torque_channel=self.torque_channel, **sampling(t))
        ctx.measure("torque_ripple", result.ripple_pct / 100.0, **point,
                    orders=top_orders(result.orders, result.amplitudes_nm))
        ctx.measure("torque_ripple_rms", result.rms_ripple_pct / 100.0, **point)
        ctx.measure("ripple_peak_to_peak", result.peak_to_peak_nm, **point)
        ctx.measure("mean_torque", result.mean_nm, **point)
        ctx.attach_plot_data("ripple", **plotdata.from_torque_ripple(result))
        ctx.attach("ripple_orders.csv", orders_csv(result.orders, result.amplitudes_nm))
        ctx.progress(1.0, "done")

    def teardown(self, ctx):
        stop_drives(ctx, getattr(self, "drive_in", None), getattr(self, "drive_load", None))


# ------------------------------------------------------------------------------------------------ cogging
@dataclass(frozen=True)
class CoggingParameters:
    speed_rad_s: float = field(default=5.0 * 2.0 * math.pi / 60.0, metadata={
        "gt": 0, "doc": "constant speed the load motor turns the unpowered motor at; 5 rpm (4Q-CTS: 0.5–30)"})
    revolutions: int = field(default=2, metadata={
        "ge": 1, "le": 100, "doc": "whole mechanical revolutions recorded per direction"})
    ramp_s: float = field(default=0.5, metadata={
        "gt": 0, "doc": "ramp time of the load motor's speed: to forward, to reverse, to rest"})
    settle_s: float = field(default=0.5, metadata={
        "ge": 0, "doc": "wait at constant speed before recording each direction"})
    points_per_rev: int = field(default=0, metadata={
        "ge": 0, "doc": "angle grid cells per revolution; 0: auto, ≥ 8 samples per cell, 128…1024"})


class Cogging(Sequence):
    """The unpowered motor turned slowly at constant speed by the load motor, both directions;
    T_cog = ½(T_fwd + T_rev), friction = ½(T_fwd − T_rev), with T the torque needed to turn
    the motor (DOMAIN.md §4, G8)."""

    name = "cogging"
    title = "Cogging torque and friction (motor unpowered, turned by the load motor both ways)"
    version = "1"
    Parameters = CoggingParameters
    measurements = (
        Measurement("cogging_peak_to_peak", unit="N·m", display_unit="mNm", description="p-p of T_cog(θ) = ½(T_fwd + T_rev)"),
        Measurement("cogging_amplitude", unit="N·m", display_unit="mNm", description="amplitude (peak) of the dominant cogging order"),
        Measurement("cogging_order", unit="1", description="dominant cycles per revolution (LCM(slots, poles))"),
        Measurement("friction_torque", unit="N·m", display_unit="mNm",
                    description="drag of the unpowered motor: ½(T_fwd − T_rev) of the torque needed to turn it"),
    )

    def setup(self, ctx):
        self.drive_in = ctx.rig.device("drive_in")
        self.drive_load = ctx.rig.device("drive_load")
        self.torque_channel, self.sign = motor_torque_channel(ctx)
        self.collector = Collector(ctx, (self.torque_channel, ANGLE))
        check_bench_limits(ctx, speed_rad_s=ctx.params.speed_rad_s)
        ctx.phase("motor under test unpowered, load motor in velocity mode")
        self.drive_in.disable()
        enable_in_mode(self.drive_load, "csv")

    def _turn(self, ctx, speed_from: float, speed_to: float, progress: tuple[float, float]):
        p = ctx.params
        c = self.collector
        ramp(ctx, self.drive_load.set_velocity_rad_s, speed_from, speed_to, p.ramp_s, c)
        wait_for(ctx, p.settle_s, c)
        c.clear()
        window = record_for(ctx, revolutions_time_s(p.revolutions, speed_to), c, progress)
        t, v = c.aligned(reference=self.torque_channel, window_s=window)
        self.timing.append(sampling(t))
        # the torque needed to turn the motor = minus the torque it delivers
        return v[ANGLE].copy(), -self.sign * v[self.torque_channel]

    def run(self, ctx):
        p = ctx.params
        w = p.speed_rad_s
        self.timing = []
        ctx.phase(f"turning forward at {w:.4g} rad/s")
        angle_fwd, torque_fwd = self._turn(ctx, 0.0, w, (0.05, 0.45))
        ctx.phase(f"turning backward at {w:.4g} rad/s")
        angle_rev, torque_rev = self._turn(ctx, w, -w, (0.5, 0.9))
        ctx.phase("back to rest")
        ramp(ctx, self.drive_load.set_velocity_rad_s, -w, 0.0, p.ramp_s, self.collector)
        ctx.progress(0.95, "analysis")

        result = _analysis(ctx, "cogging", cogging_torque, angle_fwd, torque_fwd, angle_rev, torque_rev,
                           points_per_rev=points_per_rev(p.points_per_rev, angle_fwd, angle_rev))
        order = result.dominant_order
        amplitude = float(result.amplitudes_nm[np.searchsorted(result.orders, order)])
        extra = dict(speed_rad_s=w, n_revs=[result.n_revs_cw, result.n_revs_ccw], torque_channel=self.torque_channel,
                     torque_samples=[s["torque_samples"] for s in self.timing],
                     max_gap_s=max(s["max_gap_s"] for s in self.timing))
        ctx.measure("cogging_peak_to_peak", result.peak_to_peak_nm, **extra,
                    orders=top_orders(result.orders, result.amplitudes_nm))
        ctx.measure("cogging_amplitude", amplitude, order=order, **extra)
        ctx.measure("cogging_order", float(order), **extra)
        # torques here are those needed to turn the motor: half their difference is the drag
        ctx.measure("friction_torque", result.friction_nm, **extra)
        ctx.attach_plot_data("ripple", label="cogging", angle_rad=result.angle_rad, torque_nm=result.cogging_nm,
                             orders=np.asarray(result.orders, float), amplitude_nm=result.amplitudes_nm)
        ctx.attach("cogging_orders.csv", orders_csv(result.orders, result.amplitudes_nm))
        ctx.progress(1.0, "done")

    def teardown(self, ctx):
        stop_drives(ctx, getattr(self, "drive_load", None), getattr(self, "drive_in", None))


# ------------------------------------------------------------------------------------------------ Kt, Ke
@dataclass(frozen=True)
class MotorConstantsParameters:
    kt_speed_rad_s: float = field(default=100.0 * 2.0 * math.pi / 60.0, metadata={
        "gt": 0, "doc": "speed the load motor holds during the Kt torque steps (100 rpm)"})
    kt_max_torque_fraction: float = field(default=1.0, metadata={
        "gt": 0, "le": 3.0, "doc": "highest Kt torque level, as a fraction of the motor's rated torque TN"})
    kt_steps: int = field(default=4, metadata={
        "ge": 2, "le": 50, "doc": "Kt torque levels above 0, evenly up to the highest (0 is one more)"})
    ke_max_speed_rad_s: float = field(default=1500.0 * 2.0 * math.pi / 60.0, metadata={
        "gt": 0, "doc": "highest speed the motor is back-driven at, open-circuit, for Ke (1500 rpm)"})
    ke_steps: int = field(default=4, metadata={
        "ge": 3, "le": 50, "doc": "Ke speeds: k/n of ke_max_speed_rad_s, k = 1…n"})
    step_ramp_s: float = field(default=0.3, metadata={
        "gt": 0, "doc": "ramp time from one torque level or speed to the next"})
    settle_s: float = field(default=0.4, metadata={
        "ge": 0, "doc": "wait at each torque level or speed before averaging"})
    dwell_s: float = field(default=0.6, metadata={
        "gt": 0, "doc": "averaging window at each torque level or speed"})
    current_channel: str = field(default="power.i1_a", metadata={
        "doc": "channel of the phase current of the motor under test, A rms (power analyzer)"})
    voltage_channel: str = field(default="power.u1_v", metadata={
        "doc": "channel of the terminal voltage of the motor under test, V rms (power analyzer)"})
    voltage_measure: Literal["phase", "line"] = field(default="phase", metadata={
        "doc": "what voltage_channel measures: star phase (×√3 to line-to-line) or line-to-line"})


class MotorConstants(Sequence):
    """Kt = slope of shaft torque on current at a held speed (torque steps); Ke = slope of the
    open-circuit line-to-line voltage on speed, motor back-driven (speed steps, DOMAIN.md §4, G10)."""

    name = "motor_constants"
    title = "Torque constant Kt and back-EMF constant Ke"
    version = "1"
    Parameters = MotorConstantsParameters
    measurements = (
        Measurement("torque_constant", unit="N·m/A",
                    description="Kt: slope of shaft torque on phase current (A rms) at held speed"),
        Measurement("back_emf_constant", unit="V·s/rad", display_unit="V/krpm",
                    description="Ke: slope of open-circuit line-to-line voltage (V rms) on speed"),
        Measurement("torque_constant_from_ke", unit="N·m/A",
                    description="√3·Ke: Kt a sinusoidal 3-phase PMSM has with this Ke (G10)"),
    )

    def setup(self, ctx):
        p = ctx.params
        self.drive_in = ctx.rig.device("drive_in")
        self.drive_load = ctx.rig.device("drive_load")
        self.torque_channel, self.sign = motor_torque_channel(ctx)
        self.collector = Collector(ctx, (self.torque_channel, SPEED, p.current_channel, p.voltage_channel))
        check_bench_limits(ctx, speed_rad_s=max(p.kt_speed_rad_s, p.ke_max_speed_rad_s),
                           torque_nm=p.kt_max_torque_fraction * ctx.rated_torque_nm)
        ctx.phase("load motor in velocity mode, motor under test in torque mode")
        enable_in_mode(self.drive_load, "csv")
        enable_in_mode(self.drive_in, "cst")

    def _level(self, ctx, channels) -> list[float]:
        """Settle, then the mean of each channel over the dwell window."""
        p = ctx.params
        c = self.collector
        wait_for(ctx, p.settle_s, c)
        start = ctx.now()
        wait_for(ctx, p.dwell_s, c)
        stop = ctx.now()
        means = []
        for channel in channels:
            t, v = c.arrays(channel)
            inside = v[(t >= start) & (t <= stop) & np.isfinite(v)]
            if inside.size == 0:
                raise BenchError(f"{ctx.sequence.name}: {channel} delivered no valid sample in "
                                 f"{p.dwell_s:g} s of dwell (from t = {start:.3f} s)")
            means.append(float(inside.mean()))
        c.clear()
        return means

    def run(self, ctx):
        p = ctx.params
        c = self.collector
        levels_nm = [k / p.kt_steps * p.kt_max_torque_fraction * ctx.rated_torque_nm for k in range(p.kt_steps + 1)]
        speeds = [k / p.ke_steps * p.ke_max_speed_rad_s for k in range(1, p.ke_steps + 1)]
        n_total = len(levels_nm) + len(speeds)

        ctx.phase(f"Kt: load motor holding {p.kt_speed_rad_s:.4g} rad/s")
        ramp(ctx, self.drive_load.set_velocity_rad_s, 0.0, p.kt_speed_rad_s, p.step_ramp_s, c)
        kt_rows = []
        previous = 0.0
        for i, level in enumerate(levels_nm):
            ctx.phase(f"Kt: {level:.4g} N·m")
            ramp(ctx, self.drive_in.set_torque_nm, previous, level, p.step_ramp_s, c)
            previous = level
            torque, current, speed = self._level(ctx, (self.torque_channel, p.current_channel, SPEED))
            kt_rows.append((level, self.sign * torque, current, speed))
            ctx.progress((i + 1) / (n_total + 1))
        ramp(ctx, self.drive_in.set_torque_nm, previous, 0.0, p.step_ramp_s, c)

        ctx.phase("Ke: motor under test open-circuit (disabled), back-driven")
        self.drive_in.disable()
        ke_rows = []
        previous = p.kt_speed_rad_s
        for i, speed_set in enumerate(speeds):
            ctx.phase(f"Ke: {speed_set:.4g} rad/s")
            ramp(ctx, self.drive_load.set_velocity_rad_s, previous, speed_set, p.step_ramp_s, c)
            previous = speed_set
            voltage, speed = self._level(ctx, (p.voltage_channel, SPEED))
            line_v = voltage * SQRT3 if p.voltage_measure == "phase" else voltage
            ke_rows.append((speed_set, speed, voltage, line_v))
            ctx.progress((len(levels_nm) + i + 1) / (n_total + 1))
        ramp(ctx, self.drive_load.set_velocity_rad_s, previous, 0.0, 2 * p.step_ramp_s, c)

        kt = np.array(kt_rows)
        ke = np.array(ke_rows)
        result = _analysis(ctx, "motor constants", motor_constants, torque_nm=kt[:, 1], current_a=kt[:, 2],
                           voltage_v=ke[:, 3], speed_rad_s=np.abs(ke[:, 1]))
        ctx.measure("torque_constant", result.kt_nm_a, r2=result.kt_fit.r2, intercept_nm=result.kt_fit.intercept,
                    speed_rad_s=p.kt_speed_rad_s, points=kt[:, 1:3].tolist(), current_channel=p.current_channel)
        ctx.measure("back_emf_constant", result.ke_v_s_rad, r2=result.ke_fit.r2, intercept_v=result.ke_fit.intercept,
                    voltage="line-to-line rms" + (" (√3 × phase)" if p.voltage_measure == "phase" else ""),
                    points=ke[:, [1, 3]].tolist(), voltage_channel=p.voltage_channel)
        ctx.measure("torque_constant_from_ke", kt_from_ke(result.ke_v_s_rad, phases=3))
        ctx.attach("motor_constants.csv", _points_csv(kt_rows, ke_rows))
        ctx.attach_plot_data("motor_constants", **plotdata.from_motor_constants(
            result, current_a=kt[:, 2], torque_nm=kt[:, 1], speed_rad_s=np.abs(ke[:, 1]), emf_v=ke[:, 3]))
        ctx.progress(1.0, "done")

    def teardown(self, ctx):
        stop_drives(ctx, getattr(self, "drive_in", None), getattr(self, "drive_load", None))


def _points_csv(kt_rows, ke_rows) -> bytes:
    """The measured points, for a spreadsheet (SI)."""
    out = io.StringIO()
    out.write("test,setpoint,torque_nm,current_a,speed_rad_s,voltage_v,line_voltage_v\n")
    for level, torque, current, speed in kt_rows:
        out.write(f"kt,{level:.6g},{torque:.6g},{current:.6g},{speed:.6g},,\n")
    for speed_set, speed, voltage, line_v in ke_rows:
        out.write(f"ke,{speed_set:.6g},,,{speed:.6g},{voltage:.6g},{line_v:.6g}\n")
    return out.getvalue().encode()
