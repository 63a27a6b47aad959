"""Efficiency map of a reducer: a grid of input speeds × output torques, settled and averaged.

DOMAIN.md §2.4: η = T_out·ω_out / (T_in·ω_in) at steady state, in magnitudes. The drive motor holds
each input speed (cyclic synchronous velocity), the load motor brakes the output with each torque
(cyclic synchronous torque, opposing the motion); after a settling time the torques of both flanges and
both speeds are averaged over the steady part. HD publishes efficiency at rated output torque against
input speed (e.g. HFUC-20-80: 78 % at 1000 rpm, DOMAIN.md G5): that point is a measurement of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bench.analysis import efficiency, efficiency_map
from bench.sequences import Measurement, Sequence, plotdata
from bench.sequences.procedures.common import (
    Collector,
    enable_in_mode,
    ramp,
    stop_drives,
    wait_for,
)

RPM = 2 * math.pi / 60
TORQUE_IN = "torque_in.torque_nm"
TORQUE_OUT = "torque_out.torque_nm"
SPEED_IN = "drive_in.velocity_rad_s"
SPEED_OUT = "drive_load.velocity_rad_s"


@dataclass(frozen=True)
class EfficiencyMapParameters:
    input_speeds_rad_s: tuple[float, ...] = field(default=(500 * RPM, 1000 * RPM, 2000 * RPM), metadata={
        "doc": "input speeds of the map grid (> 0); the rated-point speed is added to them"})
    output_torques_fraction: tuple[float, ...] = field(default=(0.25, 0.5, 1.0), metadata={
        "doc": "output load torques of the grid, fractions of TN in (0, 2]; 1.0 (TN) is added"})
    rated_point_speed_rad_s: float = field(default=1000 * RPM, metadata={
        "gt": 0, "doc": "input speed of the rated point: η at TN, as the catalogues give it (HD: 1000 rpm)"})
    settle_s: float = field(default=1.0, metadata={
        "ge": 0, "doc": "wait at each operating point (steady state) before averaging"})
    average_s: float = field(default=1.0, metadata={
        "gt": 0, "doc": "averaging window of both flange torques and both speeds at each point"})
    accel_time_s: float = field(default=0.5, metadata={
        "gt": 0, "doc": "ramp time of the input speed from one grid speed to the next (and to 0)"})

    def check(self):
        if not self.input_speeds_rad_s or any(s <= 0 for s in self.input_speeds_rad_s):
            yield "input_speeds_rad_s", "needs one or more positive speeds"
        if not self.output_torques_fraction or any(not 0 < f <= 2 for f in self.output_torques_fraction):
            yield "output_torques_fraction", "needs fractions of TN in (0, 2]"


class EfficiencyMap(Sequence):
    name = "efficiency_map"
    title = "Efficiency map (input speed × output torque)"
    version = "1"
    Parameters = EfficiencyMapParameters
    measurements = (
        Measurement("efficiency_rated", unit="1", display_unit="%",
                    description="efficiency at rated output torque and the rated-point input speed"),
        Measurement("efficiency_min", unit="1", display_unit="%", description="lowest efficiency of the map"),
        Measurement("efficiency_max", unit="1", display_unit="%", description="highest efficiency of the map"),
    )

    def setup(self, ctx):
        self.drive_in = ctx.rig.device("drive_in")
        self.drive_load = ctx.rig.device("drive_load")
        self.collector = Collector(ctx, (TORQUE_IN, TORQUE_OUT, SPEED_IN, SPEED_OUT))
        ctx.phase("drive motor in velocity mode, load motor in torque mode")
        enable_in_mode(self.drive_in, "csv")
        enable_in_mode(self.drive_load, "cst")

    def _point(self, ctx) -> tuple[float, float, float]:
        """(η, P_in W, P_out W) of the operating point now held."""
        p = ctx.params
        wait_for(ctx, p.settle_s, self.collector)
        self.collector.clear()
        wait_for(ctx, p.average_s, self.collector)
        _, v = self.collector.aligned(reference=TORQUE_IN)
        result = efficiency(v[TORQUE_IN], v[SPEED_IN], v[TORQUE_OUT], v[SPEED_OUT])
        return result.efficiency, result.power_in_w, result.power_out_w

    def run(self, ctx):
        p = ctx.params
        tn = ctx.rated_torque_nm
        speeds = sorted(set(p.input_speeds_rad_s) | {p.rated_point_speed_rad_s})
        fractions = sorted(set(p.output_torques_fraction) | {1.0})
        points = []
        n_points = len(speeds) * len(fractions)
        speed_now = load_now = 0.0
        for speed in speeds:
            ramp(ctx, self.drive_in.set_velocity_rad_s, speed_now, speed, p.accel_time_s, self.collector)
            speed_now = speed
            for fraction in fractions:
                load = -fraction * tn  # the load brakes the forward-turning output
                ctx.phase(f"{speed / RPM:.0f} rpm in, {fraction * tn:.3g} N·m out")
                ramp(ctx, self.drive_load.set_torque_nm, load_now, load, 0.3, self.collector)
                load_now = load
                eta, p_in, p_out = self._point(ctx)
                points.append((speed, fraction * tn, eta, p_in, p_out))
                ctx.log(f"{speed / RPM:.0f} rpm, {fraction * tn:.3g} N·m: η = {100 * eta:.2f} % "
                        f"(P_in {p_in:.1f} W, P_out {p_out:.1f} W)")
                ctx.progress(len(points) / n_points)
            ramp(ctx, self.drive_load.set_torque_nm, load_now, 0.0, 0.3, self.collector)
            load_now = 0.0
        ramp(ctx, self.drive_in.set_velocity_rad_s, speed_now, 0.0, p.accel_time_s, self.collector)

        arr = np.array(points)
        rated = next(eta for s, t, eta, *_ in points if s == p.rated_point_speed_rad_s and t == tn)
        table = [{"input_speed_rad_s": s, "output_torque_nm": t, "efficiency": e, "power_in_w": pi, "power_out_w": po}
                 for s, t, e, pi, po in points]
        ctx.measure("efficiency_rated", rated, input_speed_rad_s=p.rated_point_speed_rad_s, output_torque_nm=tn)
        ctx.measure("efficiency_min", float(arr[:, 2].min()), points=table)
        ctx.measure("efficiency_max", float(arr[:, 2].max()))
        if len(speeds) >= 2 and len(fractions) >= 2:
            emap = efficiency_map(arr[:, 0], arr[:, 1], arr[:, 2])
            ctx.attach_plot_data("efficiency", **plotdata.from_efficiency_map(emap))
        ctx.progress(1.0, "done")

    def teardown(self, ctx):
        stop_drives(ctx, getattr(self, "drive_load", None), getattr(self, "drive_in", None))
