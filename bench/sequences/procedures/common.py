"""Helpers the standard procedures share: collecting channels, ramping set points, holding axes."""

from __future__ import annotations

import math
import time

import numpy as np

from bench.errors import BenchError
from bench.streams import align

SETPOINT_PERIOD_S = 0.01  # set points are updated at 100 Hz during ramps


class Collector:
    """Everything a hub subscription delivered, per channel, as arrays (drain often, read at the end)."""

    def __init__(self, ctx, channels):
        self.channels = tuple(channels)
        missing = [c for c in self.channels if c not in ctx.hub.channels]
        if missing:
            raise BenchError(f"{ctx.sequence.name}: the rig publishes no {', '.join(missing)} "
                             f"(channels: {', '.join(sorted(ctx.hub.channels))})")
        self._sub = ctx.subscribe(self.channels)
        self._t: dict[str, list] = {c: [] for c in self.channels}
        self._v: dict[str, list] = {c: [] for c in self.channels}

    def drain(self) -> None:
        for block in self._sub.drain():
            self._t[block.channel].append(block.t_s)
            self._v[block.channel].append(block.values)

    def clear(self) -> None:
        self.drain()
        for c in self.channels:
            self._t[c].clear()
            self._v[c].clear()

    def arrays(self, channel: str) -> tuple[np.ndarray, np.ndarray]:
        self.drain()
        t = np.concatenate(self._t[channel]) if self._t[channel] else np.empty(0)
        v = np.concatenate(self._v[channel]).astype(float) if self._v[channel] else np.empty(0)
        return t, v

    def aligned(self, *, reference: str, window_s: tuple[float, float] | None = None):
        """Every channel interpolated at the samples of ``reference`` (optionally within a time window)."""
        data = {c: self.arrays(c) for c in self.channels}
        for c, (t, _) in data.items():
            if len(t) < 2:
                raise BenchError(f"channel {c} delivered {len(t)} samples: too few to analyse")
        t, values = align(data, reference=reference)
        if window_s is not None:
            keep = (t >= window_s[0]) & (t <= window_s[1])
            t = t[keep]
            values = {c: v[keep] for c, v in values.items()}
        return t, values


def ramp(ctx, setter, start: float, stop: float, duration_s: float, collector: Collector | None = None) -> None:
    """Move a set point linearly from ``start`` to ``stop`` over ``duration_s``, updated at 100 Hz."""
    t0 = time.monotonic()
    while True:
        frac = min(1.0, (time.monotonic() - t0) / duration_s) if duration_s > 0 else 1.0
        setter(start + (stop - start) * frac)
        if frac >= 1.0:
            return
        ctx.wait(SETPOINT_PERIOD_S)
        if collector is not None:
            collector.drain()


def wait_for(ctx, seconds: float, collector: Collector | None = None) -> None:
    """Wait, draining the collector so that its queue stays short."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ctx.wait(min(0.05, left))
        if collector is not None:
            collector.drain()


def enable_in_mode(drive, mode: str) -> None:
    """Select ``mode`` with zero set points, then enable (the order a careful operator follows).

    Profile position (``pp``) gets no target before enabling: a PP target is a set-point handshake
    (controlword bit 4, acknowledged in statusword bit 12) that a drive not yet enabled never answers.
    """
    drive.set_mode(mode)
    if mode in ("cst", "pt"):
        drive.set_torque_nm(0.0)
    elif mode in ("csv", "pv"):
        drive.set_velocity_rad_s(0.0)
    elif mode == "csp":
        drive.set_position_rad(drive.read_angle_rad())
    drive.enable()


def stop_drives(ctx, *drives) -> None:
    """Zero the set points and disable (teardowns). A drive already stopped by the safe state refuses
    set points: that is logged, not raised, since the runner's safe state follows in any case."""
    for drive in drives:
        if drive is None:
            continue
        for action in ("release_setpoint", "disable"):
            try:
                getattr(drive, action)()
            except BenchError as exc:
                ctx.log(f"teardown: {action} of {getattr(drive, 'name', drive)}: {exc}")


def revolutions_s(ratio: float, input_speed_rad_s: float, output_revolutions: float) -> float:
    """Time for ``output_revolutions`` at ``input_speed_rad_s`` through ratio N."""
    return output_revolutions * 2.0 * math.pi * abs(ratio) / abs(input_speed_rad_s)


def pair_latched(t_a, v_a, t_b, v_b, tolerance_s: float):
    """Pair the samples of two channels latched by the same CANopen SYNC, value to value.

    Every synchronous node answers each SYNC with one frame, and the answers of one SYNC all reach the
    bus before those of the next. Reception times jitter and bunch up (a late receive thread delivers
    several SYNCs' frames within a fraction of a period), so pairing by nearest timestamp mismatches
    whole periods inside a burst. Frame order does not: the answer of the node that speaks second is
    paired with the latest answer of the node that speaks first received before it. Which node speaks
    first (on a real bus: the lower COB-ID) is found from the data: its partner follows closely.
    A pair further apart than ``tolerance_s``, or one that would reuse a sample (a lost frame), is
    dropped. No interpolation: interpolating a fast input angle between samples would add its speed
    times the timing error to the result.

    Returns ``(t_s, values_a, values_b)`` of the kept pairs, on the timestamps of ``a``.
    """
    t_a, v_a, t_b, v_b = (np.asarray(x, dtype=float) for x in (t_a, v_a, t_b, v_b))
    if len(t_a) == 0 or len(t_b) == 0:
        raise BenchError("pair_latched: a channel delivered no samples")

    def follow(t_late, t_early):
        idx = np.searchsorted(t_early, t_late, side="right") - 1
        ok = idx >= 0
        gap = np.where(ok, t_late - t_early[np.maximum(idx, 0)], np.inf)
        return idx, gap

    idx_ab, gap_ab = follow(t_a, t_b)  # a speaks after b
    idx_ba, gap_ba = follow(t_b, t_a)  # b speaks after a
    if np.median(gap_ab) <= np.median(gap_ba):
        ia, ib, gap, early = np.arange(len(t_a)), idx_ab, gap_ab, idx_ab
    else:
        ia, ib, gap, early = idx_ba, np.arange(len(t_b)), gap_ba, idx_ba
    keep = gap <= tolerance_s
    reused = np.zeros(len(early), dtype=bool)  # two late samples on one early one: a frame was lost
    reused[1:] = early[1:] == early[:-1]
    reused[:-1] |= reused[1:]
    keep &= ~reused
    return t_a[ia[keep]], v_a[ia[keep]], v_b[ib[keep]]


def estimate_lag_s(t_s, values, t_ref_s, ref_values, *, max_lag_s: float = 0.03, step_s: float = 2.5e-4) -> float:
    """Delay of a signal behind a reference that measures the same quantity (e.g. a polled torque
    flange behind the drive's SYNC-latched torque), by least squares over candidate shifts.

    For each shift d the reference is read at ``t − d`` and fitted to the signal with a gain and an
    offset (the two may differ in scale and zero); the shift with the smallest residual wins, refined
    by a parabola through its neighbours. Subtract the result from ``t_s`` to put the signal on the
    reference's time.
    """
    t_s, values, t_ref_s, ref_values = (np.asarray(x, dtype=float) for x in (t_s, values, t_ref_s, ref_values))
    inner = (t_s > t_ref_s[0] + max_lag_s) & (t_s < t_ref_s[-1] - max_lag_s)
    if inner.sum() < 10 or np.ptp(values[inner]) == 0:
        return 0.0
    t, y = t_s[inner], values[inner]
    shifts = np.arange(-max_lag_s, max_lag_s + step_s / 2, step_s)
    cost = np.empty(len(shifts))
    for i, d in enumerate(shifts):
        x = np.interp(t - d, t_ref_s, ref_values)
        a = np.vstack([x, np.ones_like(x)]).T
        coef, residual, *_ = np.linalg.lstsq(a, y, rcond=None)
        cost[i] = residual[0] if residual.size else float(np.sum((a @ coef - y) ** 2))
    k = int(np.argmin(cost))
    if 0 < k < len(shifts) - 1:
        c0, c1, c2 = cost[k - 1], cost[k], cost[k + 1]
        denom = c0 - 2 * c1 + c2
        if denom > 0:
            return float(shifts[k] + 0.5 * step_s * (c0 - c2) / denom)
    return float(shifts[k])
