"""Resampling of a record on a uniform grid of (mechanical) angle over whole revolutions.

TE, ripple and cogging are periodic in angle, not in time: a record is resampled at uniform
angle steps (linear interpolation between samples), cut to whole revolutions so that the
spectrum has no leakage at integer orders, and analysed per revolution.
"""

from __future__ import annotations

import math

import numpy as np

TWO_PI = 2.0 * math.pi
MAX_POINTS_PER_REV = 1 << 16
MIN_POINTS_PER_REV = 16
# a backward step of the angle larger than this is a reversal, not encoder jitter
JITTER_RAD = 1e-4


def increasing(name: str, angle_rad: np.ndarray, *others: np.ndarray):
    """Return the record oriented so that the angle increases, and the sign of the motion.

    Small backward steps (jitter below :data:`JITTER_RAD`) are tolerated; a real reversal raises.
    """
    span = float(angle_rad[-1] - angle_rad[0])
    if span == 0.0:
        raise ValueError(f"{name}: the angle does not move")
    sign = 1.0 if span > 0 else -1.0
    x = angle_rad if sign > 0 else -angle_rad
    step = np.diff(x)
    if step.size and float(step.min()) < 0.0:
        if float(step.min()) < -JITTER_RAD or float((np.maximum.accumulate(x) - x).max()) > JITTER_RAD:
            raise ValueError(f"{name}: the angle reverses; the record must turn in one direction")
        x = np.maximum.accumulate(x)
    return (x, sign) + others


def points_per_rev(n_samples: int, span_rad: float, requested: int | None) -> int:
    """Grid density: the requested one, else the largest power of two not above the sample
    density, capped at :data:`MAX_POINTS_PER_REV`."""
    if requested is not None:
        m = int(requested)
        if m < MIN_POINTS_PER_REV:
            raise ValueError(f"points_per_rev must be >= {MIN_POINTS_PER_REV}, got {requested!r}")
        return m
    density = n_samples / (span_rad / TWO_PI)
    m = 1 << max(int(math.floor(math.log2(max(density, 1.0)))), 0)
    return int(min(max(m, MIN_POINTS_PER_REV), MAX_POINTS_PER_REV))


def whole_revs(name: str, x: np.ndarray, m: int, *, absolute: bool):
    """Grid over the whole revolutions covered by increasing angle ``x``.

    Returns ``(grid, n_revs, phase_index)``: ``grid`` has ``n_revs * m`` points; with ``absolute``
    the points sit at multiples of 2π/m (so revolutions of different runs line up) and
    ``phase_index`` is the index of the first point modulo ``m``; otherwise the grid starts at x[0].
    """
    step = TWO_PI / m
    if absolute:
        k0 = math.ceil(x[0] / step - 1e-9)
        start = k0 * step
        phase = k0 % m
    else:
        start, phase = float(x[0]), 0
    n_revs = int(math.floor((float(x[-1]) - start) / TWO_PI + 1e-9))
    if n_revs < 1:
        covered = (float(x[-1]) - float(x[0])) / TWO_PI
        raise ValueError(f"{name}: the record covers {covered:.4g} revolutions; at least one whole "
                         f"revolution is needed")
    grid = start + step * np.arange(n_revs * m)
    return grid, n_revs, phase


def synchronous_average(values_on_grid: np.ndarray, n_revs: int, m: int, phase: int) -> np.ndarray:
    """Mean over revolutions, rotated so that index 0 is angle 0 (mod 2π) when ``phase`` is set."""
    avg = values_on_grid.reshape(n_revs, m).mean(axis=0)
    return np.roll(avg, phase) if phase else avg


def order_spectrum(values: np.ndarray, n_revs: int):
    """Single-sided amplitude spectrum over angle: orders (cycles/rev) and amplitudes (peak)."""
    n = values.size
    spec = np.fft.rfft(values)
    amp = np.abs(spec) * (2.0 / n)
    amp[0] *= 0.5
    if n % 2 == 0:
        amp[-1] *= 0.5
    orders = np.arange(spec.size) / n_revs
    return orders, amp
