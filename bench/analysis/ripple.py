"""Torque ripple over one mechanical revolution (DOMAIN.md §4).

The torque is resampled on a uniform grid of absolute mechanical angle and averaged
synchronously over the whole revolutions the record covers (content that does not repeat every
revolution averages out). On that mean revolution:

* ripple % = (T_max − T_min) / |T_mean| · 100 (IEEE-IPM, Wikipedia "torque ripple");
* RMS ripple % = RMS(T − T_mean) / |T_mean| · 100;
* the order spectrum (cycles per mechanical revolution) in N·m peak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _angle_grid, _validate


@dataclass(frozen=True)
class TorqueRippleResult:
    """Ripple figures on the synchronously averaged revolution ``torque_avg_nm(angle_rad)``."""

    mean_nm: float
    peak_to_peak_nm: float
    ripple_pct: float
    rms_ripple_pct: float
    orders: np.ndarray
    amplitudes_nm: np.ndarray
    angle_rad: np.ndarray
    torque_avg_nm: np.ndarray
    n_revs: int
    points_per_rev: int
    cell_averaged: bool


MAX_POINTS_PER_REV = 4096


def ripple_from_average(avg: np.ndarray, n_revs: int, m: int, averaged: bool) -> TorqueRippleResult:
    """Figures of a mean revolution sampled at angles 2πk/m (shared with the live form)."""
    mean = float(avg.mean())
    pp = float(avg.max() - avg.min())
    if not abs(mean) > 1e-6 * pp:
        raise ValueError(f"torque ripple: the mean torque ({mean:.3g} N·m) is zero against a p-p of "
                         f"{pp:.3g} N·m; ripple in % is undefined")
    dev = avg - mean
    orders, amps = _angle_grid.order_spectrum(avg, 1, m, averaged)
    return TorqueRippleResult(
        mean_nm=mean, peak_to_peak_nm=pp, ripple_pct=pp / abs(mean) * 100.0,
        rms_ripple_pct=float(np.sqrt(np.mean(dev * dev))) / abs(mean) * 100.0,
        orders=orders, amplitudes_nm=amps, angle_rad=np.arange(m) * (_angle_grid.TWO_PI / m),
        torque_avg_nm=avg, n_revs=n_revs, points_per_rev=m, cell_averaged=averaged)


def torque_ripple(torque_nm, angle_rad, *, points_per_rev=None):
    """Torque ripple of a motor (or any shaft) at one operating point.

    Parameters
    ----------
    torque_nm : array_like
        Shaft torque, N·m.
    angle_rad : array_like
        Mechanical angle, rad, unwrapped, one direction of rotation (either sign).
    points_per_rev : int, optional
        Angle grid per revolution; default the largest power of two not above the sample density,
        at most 4096 (orders up to 2048). With 4 or more samples per cell the cell means are used
        (``cell_averaged``; sinc divided out of the spectrum), else linear interpolation.

    Returns
    -------
    TorqueRippleResult
        ``mean_nm``, ``peak_to_peak_nm``, ``ripple_pct``, ``rms_ripple_pct`` of the mean
        revolution over ``n_revs`` whole revolutions; ``orders`` (integers) / ``amplitudes_nm``;
        the mean revolution ``torque_avg_nm`` at ``angle_rad`` (absolute angle mod 2π).

    Raises
    ------
    ValueError
        Mismatched lengths, NaN, a reversal, less than one whole revolution, zero mean torque.
    """
    t, a = _validate.as_signals(min_samples=4, torque_nm=torque_nm, angle_rad=angle_rad)
    x, _, t = _angle_grid.ascending("angle_rad", a, t)
    m = _angle_grid.points_per_rev(x.size, float(x[-1] - x[0]), points_per_rev, MAX_POINTS_PER_REV)
    g = _angle_grid.resample("angle_rad", x, t, m, absolute=True)
    return ripple_from_average(_angle_grid.synchronous_average(g), g.n_revs, m, g.averaged)
