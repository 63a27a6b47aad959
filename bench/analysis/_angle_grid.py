"""Resampling of a record on a uniform grid of (mechanical) angle over whole revolutions.

TE, ripple and cogging are periodic in angle, not in time: a record is resampled at uniform
angle steps, cut to whole revolutions so that the spectrum has no leakage at integer orders, and
analysed per revolution. Dense records are averaged per grid cell (noise reduction, a box filter
whose sinc is divided out of the spectrum); sparse ones are interpolated linearly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TWO_PI = 2.0 * math.pi
MAX_POINTS_PER_REV = 1 << 16
CELL_AVERAGE_MIN_SAMPLES = 4
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
            hint = ("; it jumps back by about a turn: pass the unwrapped angle (numpy.unwrap)"
                    if float(step.min()) < -math.pi else "")
            raise ValueError(f"{name}: the angle reverses; the record must turn in one direction{hint}")
        x = np.maximum.accumulate(x)
    return (x, sign) + others


def ascending(name: str, angle_rad: np.ndarray, *others: np.ndarray):
    """Like :func:`increasing` but keeps the absolute angle frame: a record turning backwards is
    reversed in time instead of negated. Returns ``(angle, direction, *others)``."""
    span = float(angle_rad[-1] - angle_rad[0])
    if span < 0:
        angle_rad = angle_rad[::-1]
        others = tuple(o[::-1] for o in others)
    x, _ = increasing(name, angle_rad)[:2]
    return (x, 1 if span > 0 else -1) + tuple(others)


def points_per_rev(n_samples: int, span_rad: float, requested: int | None, cap: int = MAX_POINTS_PER_REV) -> int:
    """Grid density: the requested one, else the largest power of two not above the sample
    density, capped at ``cap``."""
    if requested is not None:
        m = int(requested)
        if m < MIN_POINTS_PER_REV:
            raise ValueError(f"points_per_rev must be >= {MIN_POINTS_PER_REV}, got {requested!r}")
        return m
    density = n_samples / (span_rad / TWO_PI)
    m = 1 << max(int(math.floor(math.log2(max(density, 1.0)))), 0)
    return int(min(max(m, MIN_POINTS_PER_REV), cap))


@dataclass(frozen=True)
class AngleGrid:
    """A signal on a uniform angle grid over whole revolutions.

    ``angle_rad``: grid points (cell centres when averaged); ``values``: the signal there;
    ``phase``: index modulo m of the first point (absolute grids; 0 otherwise); ``averaged``: True
    when each value is the mean of the samples in its cell (then an order k is attenuated by
    sinc(k/m), which :func:`order_spectrum` undoes).
    """

    angle_rad: np.ndarray
    values: np.ndarray
    n_revs: int
    m: int
    phase: int
    averaged: bool


def resample(name: str, x: np.ndarray, y: np.ndarray, m: int, *, absolute: bool,
             average: bool | None = None) -> AngleGrid:
    """Put ``y(x)`` (x increasing) on ``m`` points per revolution over the whole revolutions covered.

    With at least :data:`CELL_AVERAGE_MIN_SAMPLES` samples per cell on average, each grid value is
    the mean of the samples in the cell centred on it (a box filter: it averages noise and keeps
    orders far below m); otherwise the signal is interpolated linearly at the grid points. With
    ``absolute`` the grid points are multiples of 2π/m, so revolutions of separate runs line up;
    otherwise the grid starts at the first sample (half a cell in, when averaged).
    """
    step = TWO_PI / m
    span = float(x[-1] - x[0])
    averaged = x.size >= CELL_AVERAGE_MIN_SAMPLES * span / step if average is None else average
    half = 0.5 * step if averaged else 0.0
    if absolute:
        k0 = math.ceil((float(x[0]) + half) / step - 1e-9)
        start, phase = k0 * step, k0 % m
    else:
        start, phase = float(x[0]) + half, 0
    n_revs = int(math.floor((float(x[-1]) - (start - half)) / TWO_PI + 1e-9))
    if n_revs < 1:
        raise ValueError(f"{name}: the record covers {span / TWO_PI:.4g} revolutions; at least one whole "
                         f"revolution is needed")
    n = n_revs * m
    grid = start + step * np.arange(n)
    if not averaged:
        return AngleGrid(grid, np.interp(grid, x, y), n_revs, m, phase, False)
    lo = start - half
    i0, i1 = np.searchsorted(x, [lo, lo + n_revs * TWO_PI])
    idx = np.floor((x[i0:i1] - lo) * (1.0 / step)).astype(np.int64)
    np.clip(idx, 0, n - 1, out=idx)
    sums = np.bincount(idx, weights=y[i0:i1], minlength=n)
    counts = np.bincount(idx, minlength=n).astype(np.float64)
    empty = counts == 0
    if empty.any():                      # uneven speed: a few empty cells are interpolated
        sums[empty] = np.interp(grid[empty], x, y)
        counts[empty] = 1.0
    return AngleGrid(grid, sums / counts, n_revs, m, phase, True)


def synchronous_average(g: AngleGrid) -> np.ndarray:
    """Mean over revolutions, rotated so that index 0 is angle 0 (mod 2π) for absolute grids."""
    avg = g.values.reshape(g.n_revs, g.m).mean(axis=0)
    return np.roll(avg, g.phase) if g.phase else avg


def order_spectrum(values: np.ndarray, n_revs: int, m: int, averaged: bool):
    """Single-sided amplitude spectrum over angle: orders (cycles/rev) and amplitudes (peak).

    For cell-averaged grids the box filter's sinc(order/m) is divided out.
    """
    n = values.size
    spec = np.fft.rfft(values)
    amp = np.abs(spec) * (2.0 / n)
    amp[0] *= 0.5
    if n % 2 == 0:
        amp[-1] *= 0.5
    orders = np.arange(spec.size) / n_revs
    if averaged:
        amp /= np.sinc(orders / m)
    return orders, amp
