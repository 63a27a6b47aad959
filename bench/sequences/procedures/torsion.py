"""Static torsion loop with the input locked: hysteresis loss, lost motion, stiffness, K1–K3.

DOMAIN.md §2.1–2.2. The drive motor holds the input in cyclic synchronous position; the load motor
applies output torque in cyclic synchronous torque, ramped uniformly (uniform-speed loading, §2.1.3).
Torque comes from the output flange, angle from the output encoder, corrected for the residual motion
of the held input (θ_out − θ_in / N), so the twist is that of the reducer alone.

Phases: a preload (0 → +TN → −TN → 0) puts the unit on its steady loop; one loop to ±TN gives the
hysteresis loss (loop width at T = 0) and the lost motion (mid-line at ±w·TN); a second loop to
±k·TN (beyond T2 where the catalogue's K3 applies) gives the stiffness and the three-slope K1–K3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bench.analysis import hysteresis_loop
from bench.sequences import Measurement, Sequence, plotdata
from bench.sequences.procedures.common import (
    Collector,
    enable_in_mode,
    estimate_lag_s,
    ramp,
    stop_drives,
    wait_for,
)

TORQUE = "torque_out.torque_nm"
ANGLE_OUT = "encoder_out.angle_rad"
ANGLE_IN = "drive_in.position_rad"
DRIVE_TORQUE = "drive_load.torque_nm"  # SYNC-latched like the encoders: the timing reference of the flange


@dataclass(frozen=True)
class HysteresisParameters:
    lost_motion_window_fraction: float = field(default=0.03, metadata={
        "gt": 0, "lt": 0.5, "doc": "w: lost motion at ±w·TN (0.03 Nabtesco/Spinea, 0.04 HD, 0.05 Yaskawa)"})
    stiffness_low_fraction: float = field(default=0.5, metadata={
        "ge": 0, "doc": "lower end of the stiffness fit on |T|, as a fraction of TN"})
    stiffness_high_fraction: float = field(default=1.0, metadata={
        "gt": 0, "doc": "upper end of the stiffness fit on |T|, fraction of TN (at most the loop peak)"})
    stiffness_peak_fraction: float = field(default=1.5, metadata={
        "gt": 0, "le": 3.0, "doc": "peak of the stiffness/K1–K3 loop, fraction of TN (≤ 95 % of bench limit)"})
    quarter_time_s: float = field(default=4.0, metadata={
        "gt": 0, "doc": "time of each 0 → ±peak torque ramp (uniform-speed loading); +peak → −peak takes 2×"})
    t1_nm: float = field(default=0.0, metadata={
        "ge": 0, "doc": "HD limit torque T1 (K1/K2 break); 0: from the product spec; none there: no K1–K3"})
    t2_nm: float = field(default=0.0, metadata={
        "ge": 0, "doc": "HD limit torque T2 (K2/K3 break); 0: from the product spec; none there: no K1–K3"})
    settle_s: float = field(default=0.3, metadata={
        "ge": 0, "doc": "hold at zero torque after enabling the drives and after each loop"})


class Hysteresis(Sequence):
    name = "hysteresis"
    title = "Static torsion loop (input locked)"
    version = "1"
    Parameters = HysteresisParameters
    measurements = (
        Measurement("hysteresis_loss", unit="rad", display_unit="arcmin",
                    description="loop width at T = 0 after loading to ±TN (DOMAIN.md §2.2)"),
        Measurement("lost_motion", unit="rad", display_unit="arcmin",
                    description="mid-line angle at +w·TN minus at −w·TN"),
        Measurement("stiffness", unit="N·m/rad", display_unit="Nm/arcmin",
                    description="least-squares slope of T on the mid-line over the stiffness window"),
        Measurement("stiffness_k1", unit="N·m/rad", display_unit="Nm/arcmin", description="K1 on [w·TN, T1]"),
        Measurement("stiffness_k2", unit="N·m/rad", display_unit="Nm/arcmin", description="K2 on [T1, T2]"),
        Measurement("stiffness_k3", unit="N·m/rad", display_unit="Nm/arcmin", description="K3 above T2"),
    )

    def setup(self, ctx):
        self.drive_in = ctx.rig.device("drive_in")
        self.drive_load = ctx.rig.device("drive_load")
        self.collector = Collector(ctx, (TORQUE, ANGLE_OUT, ANGLE_IN, DRIVE_TORQUE))
        ctx.phase("locking the input, load motor in torque mode")
        enable_in_mode(self.drive_in, "csp")
        enable_in_mode(self.drive_load, "cst")
        wait_for(ctx, ctx.params.settle_s, self.collector)

    def _loop(self, ctx, peak_nm: float, progress: tuple[float, float]) -> tuple[float, float]:
        """0 → +peak → 0 → −peak → 0; returns the time window (t_s) it covered."""
        p = ctx.params
        set_torque = self.drive_load.set_torque_nm
        legs = ((0.0, peak_nm), (peak_nm, -peak_nm), (-peak_nm, 0.0))
        durations = (p.quarter_time_s, 2 * p.quarter_time_s, p.quarter_time_s)
        start = ctx.now()
        done = 0.0
        for (a, b), d in zip(legs, durations):
            ramp(ctx, set_torque, a, b, d, self.collector)
            done += d / sum(durations)
            ctx.progress(progress[0] + done * (progress[1] - progress[0]))
        wait_for(ctx, p.settle_s, self.collector)
        return start, ctx.now()

    def _twist(self, ctx, window):
        """Torque at the flange and twist θ_out − θ_in/N at the same instants, within ``window``.

        The polled flange's samples are put on the encoders' (SYNC) time first: their delay behind the
        load drive's torque, which the drive latches at SYNC like the encoders, is estimated and removed
        (a delay between torque and angle would open or close the loop by the angle rate times it).
        """
        t_f, torque = self.collector.arrays(TORQUE)
        t_d, drive_torque = self.collector.arrays(DRIVE_TORQUE)
        lag = estimate_lag_s(t_f, torque, t_d, drive_torque)
        ctx.log(f"flange delay behind the drive's torque: {1e3 * lag:.2f} ms (removed)")
        self.lags_s.append(lag)
        t_f = t_f - lag
        keep = (t_f >= window[0]) & (t_f <= window[1])
        t_f, torque = t_f[keep], torque[keep]
        t_o, a_o = self.collector.arrays(ANGLE_OUT)
        t_i, a_i = self.collector.arrays(ANGLE_IN)
        inside = (t_f >= max(t_o[0], t_i[0])) & (t_f <= min(t_o[-1], t_i[-1]))
        t_f, torque = t_f[inside], torque[inside]
        return torque, np.interp(t_f, t_o, a_o) - np.interp(t_f, t_i, a_i) / self.ratio

    def run(self, ctx):
        p = ctx.params
        tn = ctx.rated_torque_nm
        self.ratio = ctx.ratio
        self.lags_s = []
        t1, t2 = p.t1_nm, p.t2_nm
        if (not t1 or not t2) and ctx.spec is not None:
            t1, t2 = t1 or (ctx.spec.unit.t1_nm or 0.0), t2 or (ctx.spec.unit.t2_nm or 0.0)
        peak_s = p.stiffness_peak_fraction * tn
        bench_limit = ctx.config.limits.torque_nm
        if peak_s >= 0.95 * bench_limit:
            peak_s = 0.95 * bench_limit
            ctx.log(f"stiffness loop peak limited to 95 % of the bench torque limit: {peak_s:.3g} N·m")
        top_fraction = min(p.stiffness_high_fraction, peak_s / tn)

        ctx.phase("preload: 0 → +TN → −TN → 0")
        ramp(ctx, self.drive_load.set_torque_nm, 0.0, tn, p.quarter_time_s, self.collector)
        ramp(ctx, self.drive_load.set_torque_nm, tn, -tn, 2 * p.quarter_time_s, self.collector)
        ramp(ctx, self.drive_load.set_torque_nm, -tn, 0.0, p.quarter_time_s, self.collector)
        ctx.progress(0.25)
        self.collector.clear()

        ctx.phase("loop to ±TN: hysteresis loss and lost motion")
        window = self._loop(ctx, tn, (0.25, 0.6))
        torque, angle = self._twist(ctx, window)
        main = hysteresis_loop(torque, angle, rated_torque_nm=tn, lost_motion_window=p.lost_motion_window_fraction,
                               stiffness_window=(p.stiffness_low_fraction, min(1.0, top_fraction)))
        ctx.measure("hysteresis_loss", main.hysteresis_loss_rad, loop_peak_nm=tn, flange_delay_s=self.lags_s[-1])
        ctx.measure("lost_motion", main.lost_motion_rad, window_fraction=p.lost_motion_window_fraction,
                    window_nm=p.lost_motion_window_fraction * tn)
        ctx.attach_plot_data("hysteresis", label="TN-loop", **plotdata.from_hysteresis(main, torque, angle))

        ctx.phase(f"loop to ±{peak_s:.3g} N·m: stiffness and K1–K3")
        self.collector.clear()
        window = self._loop(ctx, peak_s, (0.6, 0.95))
        torque, angle = self._twist(ctx, window)
        w = p.lost_motion_window_fraction
        stiff = hysteresis_loop(torque, angle, rated_torque_nm=tn, lost_motion_window=w,
                                stiffness_window=(p.stiffness_low_fraction, top_fraction))
        ctx.measure("stiffness", stiff.stiffness_nm_rad, interval_nm=list(stiff.stiffness_interval_nm))
        peak_fraction = peak_s / tn
        if t1 and t2 and w * tn < t1 < t2 < peak_s:
            slopes = hysteresis_loop(torque, angle, rated_torque_nm=tn, lost_motion_window=w, breaks_nm=(t1, t2),
                                     stiffness_window=(p.stiffness_low_fraction, peak_fraction))
            values = (slopes.k1_nm_rad, slopes.k2_nm_rad, slopes.k3_nm_rad)
            intervals = [list(i) for i in slopes.k_intervals_nm]
        else:
            slopes = stiff
            values, intervals = (math.nan,) * 3, [None] * 3
            ctx.log(f"no K1–K3: T1, T2 = {t1:g}, {t2:g} N·m must lie between ±w·TN and the loop peak "
                    f"{peak_s:.3g} N·m (give t1_nm / t2_nm or a spec with them)")
        for name, value, interval in zip(("stiffness_k1", "stiffness_k2", "stiffness_k3"), values, intervals):
            ctx.measure(name, value, interval_nm=interval)
        ctx.attach_plot_data("hysteresis", label="stiffness-loop", **plotdata.from_hysteresis(slopes, torque, angle))
        ctx.progress(1.0, "done")

    def teardown(self, ctx):
        stop_drives(ctx, getattr(self, "drive_load", None), getattr(self, "drive_in", None))
