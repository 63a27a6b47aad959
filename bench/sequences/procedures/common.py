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
    """Select ``mode`` with zero set points, then enable (the order a careful operator follows)."""
    drive.set_mode(mode)
    if mode in ("cst", "pt"):
        drive.set_torque_nm(0.0)
    elif mode in ("csv", "pv"):
        drive.set_velocity_rad_s(0.0)
    elif mode in ("csp", "pp"):
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

    Each SYNC makes every synchronous node send one sample, in order, so the k-th sample of one
    stream and the (k + offset)-th of the other belong to the same instant. Reception times jitter and
    bunch up (a late receive thread delivers several SYNCs' frames within a fraction of a period), so
    pairing by nearest timestamp mismatches whole periods inside a burst; pairing by sequence does not.
    The offset is the one whose pairs lie closest in time; pairs further apart than ``tolerance_s``
    (a lost frame shifts the sequence) are dropped. No interpolation: interpolating a fast input angle
    between samples would add its speed times the timing error to the result.

    Returns ``(t_s, values_a, values_b)`` of the kept pairs.
    """
    t_a, v_a, t_b, v_b = (np.asarray(x, dtype=float) for x in (t_a, v_a, t_b, v_b))
    if len(t_a) == 0 or len(t_b) == 0:
        raise BenchError("pair_latched: a channel delivered no samples")
    best = None
    for offset in range(-3, 4):
        a0, b0 = max(0, -offset), max(0, offset)
        n = min(len(t_a) - a0, len(t_b) - b0)
        if n <= 0:
            continue
        spread = float(np.median(np.abs(t_a[a0:a0 + n] - t_b[b0:b0 + n])))
        if best is None or spread < best[0]:
            best = (spread, a0, b0, n)
    _, a0, b0, n = best
    ta, va, tb, vb = t_a[a0:a0 + n], v_a[a0:a0 + n], t_b[b0:b0 + n], v_b[b0:b0 + n]
    keep = np.abs(ta - tb) <= tolerance_s
    return ta[keep], va[keep], vb[keep]
