"""Positioning repeatability and one-way positioning accuracy at the output, one direction.

DOMAIN.md §1.1 and Table A. The drive motor positions the input in profile position (PP: the drive
generates the same trapezoid for every move, so every approach ends the same way); the load motor
holds a small constant torque opposing the motion, so the gear always rests on the same flank. The
output encoder (CiA 406) gives the actual output angle.

Targets: ``positions`` output angles equally spaced over one output revolution (default 12, every
30°, JIS B 6201), the first one a step past the start, so that the first approach is the same move
as every other one. Every target is approached in the forward direction: first to a pre-position
``approach_rad`` before it, then to the target (input angle = start + N × output target), settle,
average the output encoder over ``measure_s``. The whole round is repeated ``cycles`` times, each one
output revolution further (never reversing).

Results (:func:`bench.analysis.positioning_statistics`), deviation ``d = (actual − datum) − (commanded − its datum)``
with the datum the reading at the first target of the first cycle (HD/JIS: "from the datum position"):

* ``repeatability``: max over the positions of half the spread (max − min) of the repeated readings,
  the "±" value of Table A (< ±0.1 arcmin);
* ``positioning_accuracy``: one-way positioning accuracy (JIS B 6201:1987 as HD uses it for its
  actuators): the largest |d| over every reading. The p-p of the per-position mean deviations (the
  same figure as the catalogue's transmission accuracy, sampled at the positions) is kept as an extra.

Run time on the simulated CSF-25-50 bench (default drive profile 10 rev/s, 100 rev/s²): about 1 s
per reading, so 12 positions × 4 cycles ≈ 50 s plus setup. Four cycles give each position's spread
from four readings; more cycles (a longer run) give a less optimistic spread.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass, field

import numpy as np

from bench.analysis import PositioningResult, positioning_statistics
from bench.errors import BenchError, DeviceTimeoutError
from bench.sequences import Measurement, Sequence, plotdata
from bench.sequences.procedures.common import (
    Collector,
    enable_in_mode,
    ramp,
    stop_drives,
    wait_for,
)

ANGLE_IN = "drive_in.position_rad"
ANGLE_OUT = "encoder_out.angle_rad"
LOAD_RAMP_S = 0.3  # ramp of the holding load torque up (setup) and down (end of run)


@dataclass(frozen=True)
class PositioningParameters:
    positions: int = field(default=12, metadata={
        "ge": 2, "doc": "output targets equally spaced over one output revolution (12: every 30°, JIS B 6201)"})
    cycles: int = field(default=4, metadata={
        "ge": 2, "doc": "rounds over all targets, one output revolution each, always forward"})
    approach_rad: float = field(default=math.radians(0.5), metadata={
        "gt": 0, "doc": "output-side pre-position before each target, approached forward (0.5°)"})
    load_torque_fraction: float = field(default=0.02, metadata={
        "ge": 0, "le": 0.5, "doc": "constant output load opposing the motion, fraction of TN (one flank)"})
    settle_s: float = field(default=0.3, metadata={
        "ge": 0, "doc": "wait after the input reached a target, before the output encoder is averaged"})
    measure_s: float = field(default=0.2, metadata={
        "gt": 0, "doc": "averaging window of the output encoder at each target"})
    arrival_window_rad: float = field(default=5e-5, metadata={
        "gt": 0, "doc": "a move ends when |θ_in/N − target| is within this (output side); then settle_s"})
    move_timeout_s: float = field(default=10.0, metadata={
        "gt": 0, "doc": "time allowed for one move to arrive; then the test stops with an error"})
    profile_speed_rad_s: float = field(default=0.0, metadata={
        "ge": 0, "doc": "input speed of each move (0x6081); 0: the drive's own profile"})
    profile_acceleration_rad_s2: float = field(default=0.0, metadata={
        "ge": 0, "doc": "input acceleration and deceleration of each move (0x6083/0x6084); 0: the drive's own"})

    def check(self):
        if (self.profile_speed_rad_s > 0) != (self.profile_acceleration_rad_s2 > 0):
            yield "profile_speed_rad_s", "give profile_speed_rad_s and profile_acceleration_rad_s2 together, or neither"
        step = 2 * math.pi / self.positions
        if self.approach_rad >= step:
            yield "approach_rad", (f"the pre-position must lie between two targets: {self.approach_rad:.4g} rad is "
                                   f"not below the target spacing {step:.4g} rad ({self.positions} positions)")


class Positioning(Sequence):
    name = "positioning"
    title = "Positioning repeatability and one-way positioning accuracy (output, one direction)"
    version = "1"
    Parameters = PositioningParameters
    measurements = (
        Measurement("repeatability", unit="rad", display_unit="arcmin",
                    description="max over the positions of half the spread of the repeated readings (±)"),
        Measurement("positioning_accuracy", unit="rad", display_unit="arcmin",
                    description="one-way (JIS B 6201): largest |actual − commanded| from the datum "
                                "(first target, first cycle), over every reading"),
    )

    def setup(self, ctx):
        p = ctx.params
        self.drive_in = ctx.rig.device("drive_in")
        self.drive_load = ctx.rig.device("drive_load")
        self.collector = Collector(ctx, (ANGLE_IN, ANGLE_OUT))
        ctx.phase("drive motor in profile position, load motor holding a constant torque")
        self.profile_before = None
        if p.profile_speed_rad_s > 0:
            self.profile_before = self.drive_in.read_profile()  # put back in teardown: the rig as found
            self.drive_in.set_profile(p.profile_speed_rad_s, p.profile_acceleration_rad_s2)
        enable_in_mode(self.drive_in, "pp")  # an enabled PP drive without a new set-point holds where it is
        enable_in_mode(self.drive_load, "cst")
        self.load_nm = -p.load_torque_fraction * ctx.rated_torque_nm  # opposes the forward motion
        ramp(ctx, lambda f: self.drive_load.set_torque_nm(f * self.load_nm), 0.0, 1.0, LOAD_RAMP_S, self.collector)
        wait_for(ctx, p.settle_s, self.collector)

    def _move(self, ctx, target_in_rad: float, what: str) -> None:
        """Command a PP move of the input and wait until it is within the arrival window."""
        p = ctx.params
        self.drive_in.set_position_rad(target_in_rad)
        window_in = p.arrival_window_rad * abs(ctx.ratio)
        deadline = time.monotonic() + p.move_timeout_s
        while abs(self.drive_in.read_angle_rad() - target_in_rad) > window_in:
            if time.monotonic() > deadline:
                raise DeviceTimeoutError(getattr(self.drive_in, "device", "drive_in"),
                                         f"{what}: move of the input to within {window_in:.3g} rad of "
                                         f"{target_in_rad:.6g} rad (arrival_window_rad)", p.move_timeout_s)
            wait_for(ctx, 0.005, self.collector)

    def _read(self, ctx) -> tuple[float, float, int]:
        """Mean output and input angle over ``measure_s``, and the output sample count."""
        self.collector.clear()
        wait_for(ctx, ctx.params.measure_s, self.collector)
        _, out = self.collector.arrays(ANGLE_OUT)
        _, inp = self.collector.arrays(ANGLE_IN)
        if len(out) < 2 or len(inp) < 1:
            raise BenchError(f"{self.name}: {ANGLE_OUT} delivered {len(out)} and {ANGLE_IN} {len(inp)} samples "
                             f"in {ctx.params.measure_s:g} s: too few to average")
        return float(np.mean(out)), float(np.mean(inp)), len(out)

    def run(self, ctx):
        p = ctx.params
        n = ctx.ratio
        if n == 0:
            raise BenchError(f"{self.name}: the unit's ratio is 0")
        start_in = self.drive_in.read_angle_rad()
        step = 2 * math.pi / p.positions
        commanded = np.empty((p.cycles, p.positions))
        actual = np.empty_like(commanded)
        actual_in = np.empty_like(commanded)
        total = p.cycles * p.positions
        for c in range(p.cycles):
            ctx.phase(f"cycle {c + 1} of {p.cycles}: {p.positions} targets, forward")
            for k in range(p.positions):
                target = step + c * 2 * math.pi + k * step  # output angle from the start
                where = f"cycle {c + 1} target {k + 1} ({math.degrees(k * step):.1f}°)"
                self._move(ctx, start_in + n * (target - p.approach_rad), f"{where} pre-position")
                self._move(ctx, start_in + n * target, where)
                wait_for(ctx, p.settle_s, self.collector)
                commanded[c, k] = target
                actual[c, k], actual_in[c, k], _ = self._read(ctx)
                ctx.progress(0.98 * (c * p.positions + k + 1) / total)
        ramp(ctx, lambda f: self.drive_load.set_torque_nm(f * self.load_nm), 1.0, 0.0, LOAD_RAMP_S, self.collector)

        result = positioning_statistics(commanded, actual)
        ctx.attach("positioning.csv", readings_csv(commanded, actual, actual_in, result, n, start_in))
        ctx.attach_plot_data("positioning", **plotdata.from_positioning(result, np.arange(p.positions) * step))
        worst = result.worst_position
        ctx.measure("repeatability", result.repeatability_rad, positions=p.positions, cycles=p.cycles,
                    worst_position=worst, worst_target_rad=float(worst * step),
                    half_spread_rad=result.half_spread_rad.tolist())
        ctx.measure("positioning_accuracy", result.positioning_accuracy_rad,
                    datum="first target of the first cycle", approach_rad=p.approach_rad,
                    load_torque_nm=self.load_nm, start_input_rad=start_in,
                    mean_deviation_rad=result.mean_deviation_rad.tolist(),
                    mean_deviation_pp_rad=result.mean_deviation_pp_rad)
        ctx.progress(1.0, "done")

    def teardown(self, ctx):
        stop_drives(ctx, getattr(self, "drive_load", None), getattr(self, "drive_in", None))
        if getattr(self, "profile_before", None) is not None:
            try:
                self.drive_in.set_profile(*self.profile_before)
            except BenchError as exc:
                ctx.log(f"teardown: restoring the profile of {self.drive_in.name}: {exc}")


def readings_csv(commanded, actual, actual_in, result: PositioningResult, ratio: float, start_in_rad: float) -> bytes:
    """One row per reading: cycle, position, commanded and actual output angle, deviation (SI)."""
    out = io.StringIO()
    out.write("cycle,position,target_rad,commanded_output_rad,actual_output_rad,deviation_rad,"
              "commanded_input_rad,actual_input_rad\n")
    cycles, positions = commanded.shape
    for c in range(cycles):
        for k in range(positions):
            target = commanded[c, k] - commanded[0, 0]
            out.write(f"{c + 1},{k + 1},{2 * math.pi * k / positions:.9g},{target:.9g},"
                      f"{actual[c, k] - actual[0, 0]:.9g},{result.deviation_rad[c, k]:.9g},"
                      f"{start_in_rad + ratio * commanded[c, k]:.9g},{actual_in[c, k]:.9g}\n")
    return out.getvalue().encode()
