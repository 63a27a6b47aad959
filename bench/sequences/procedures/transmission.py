"""Transmission error: whole output revolutions in both directions at a set speed and load.

DOMAIN.md §2.3: TE(t) = θ_out − θ_in / N with both encoders latched at the same instant (here both
answer the same CANopen SYNC: samples are paired, not interpolated); the constant offset (wind-up
under the load) is removed; peak-to-peak over whole output revolutions, one direction, no reversal;
the order spectrum over output angle. Run in both directions: TE_CW − TE_CCW is the bidirectional
(hysteresis) error, reported as the mean difference of the two curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bench.analysis import transmission_error
from bench.sequences import Measurement, Sequence, plotdata
from bench.sequences.procedures.common import (
    Collector,
    enable_in_mode,
    pair_latched,
    ramp,
    revolutions_s,
    stop_drives,
    wait_for,
)

ANGLE_IN = "drive_in.position_rad"
ANGLE_OUT = "encoder_out.angle_rad"


@dataclass(frozen=True)
class TransmissionErrorParameters:
    input_speed_rad_s: float = field(default=1000 * 2 * math.pi / 60, metadata={
        "gt": 0, "doc": "input (drive motor) speed while TE is recorded, both directions; 1000 rpm"})
    load_torque_fraction: float = field(default=0.1, metadata={
        "ge": 0, "le": 1, "doc": "output load torque opposing the motion, as a fraction of TN (0: unloaded)"})
    output_revolutions: int = field(default=1, metadata={
        "ge": 1, "doc": "whole output revolutions recorded per direction (TE p-p is over them)"})
    accel_time_s: float = field(default=0.5, metadata={
        "gt": 0, "doc": "ramp time of input speed and load torque up to the set point and back to 0"})
    settle_s: float = field(default=0.5, metadata={
        "ge": 0, "doc": "wait at steady speed and load before recording each direction"})


class TransmissionError(Sequence):
    name = "transmission_error"
    title = "Transmission error (both directions)"
    version = "1"
    Parameters = TransmissionErrorParameters
    measurements = (
        Measurement("transmission_accuracy", unit="rad", display_unit="arcmin",
                    description="TE peak-to-peak, the larger of the two directions (catalogue: transmission accuracy)"),
        Measurement("te_pp_forward", unit="rad", display_unit="arcmin", description="TE peak-to-peak, forward"),
        Measurement("te_pp_reverse", unit="rad", display_unit="arcmin", description="TE peak-to-peak, reverse"),
        Measurement("te_bidirectional", unit="rad", display_unit="arcmin",
                    description="|mean TE forward − mean TE reverse|: lost motion and wind-up under the load"),
    )

    def setup(self, ctx):
        self.drive_in = ctx.rig.device("drive_in")
        self.drive_load = ctx.rig.device("drive_load")
        self.collector = Collector(ctx, (ANGLE_IN, ANGLE_OUT))
        ctx.phase("drive motor in velocity mode, load motor in torque mode")
        enable_in_mode(self.drive_in, "csv")
        enable_in_mode(self.drive_load, "cst")
        self.sync_period_s = 1.0 / (ctx.config.buses[ctx.config.devices["drive_in"].bus].sync_rate_hz or 1000.0)

    def _direction(self, ctx, sign: int, progress: tuple[float, float]):
        p = ctx.params
        speed = sign * p.input_speed_rad_s
        load = -sign * p.load_torque_fraction * ctx.rated_torque_nm  # the load opposes the motion
        ctx.phase(f"{'forward' if sign > 0 else 'reverse'}: {speed:.4g} rad/s in, {load:.3g} N·m load")
        ramp(ctx, lambda f: (self.drive_in.set_velocity_rad_s(f * speed), self.drive_load.set_torque_nm(f * load)),
             0.0, 1.0, p.accel_time_s, self.collector)
        wait_for(ctx, p.settle_s, self.collector)
        self.collector.clear()
        duration = revolutions_s(ctx.ratio, p.input_speed_rad_s, p.output_revolutions) * 1.02 + 0.05
        wait_for(ctx, duration, self.collector)
        t_out, a_out = self.collector.arrays(ANGLE_OUT)
        t_in, a_in = self.collector.arrays(ANGLE_IN)
        ramp(ctx, lambda f: (self.drive_in.set_velocity_rad_s(f * speed), self.drive_load.set_torque_nm(f * load)),
             1.0, 0.0, p.accel_time_s, self.collector)
        ctx.progress(progress[1])
        _, out, inp = pair_latched(t_out, a_out, t_in, a_in, 0.6 * self.sync_period_s)
        if len(out) < 0.9 * len(t_out):
            ctx.log(f"only {len(out)} of {len(t_out)} output samples had an input sample of the same SYNC")
        offset = float(np.mean(out - inp / ctx.ratio))  # the constant TE part: wind-up and lost motion
        return transmission_error(inp, out, ctx.ratio), offset

    def run(self, ctx):
        forward, offset_forward = self._direction(ctx, +1, (0.0, 0.45))
        reverse, offset_reverse = self._direction(ctx, -1, (0.45, 0.9))
        for label, result in (("forward", forward), ("reverse", reverse)):
            ctx.measure(f"te_pp_{label}", result.peak_to_peak_rad, revolutions=result.n_revs,
                        dominant_orders=_dominant(result))
            ctx.attach_plot_data("te", label=label, **plotdata.from_transmission_error(result))
        ctx.measure("transmission_accuracy", max(forward.peak_to_peak_rad, reverse.peak_to_peak_rad))
        ctx.measure("te_bidirectional", abs(offset_forward - offset_reverse),
                    forward_minus_reverse_rad=offset_forward - offset_reverse)
        ctx.progress(1.0, "done")

    def teardown(self, ctx):
        stop_drives(ctx, getattr(self, "drive_load", None), getattr(self, "drive_in", None))


def _dominant(result, count: int = 5) -> list[dict]:
    order = np.argsort(result.amplitudes_rad)[::-1][:count]
    return [{"order": float(result.orders[i]), "amplitude_rad": float(result.amplitudes_rad[i])} for i in order]
