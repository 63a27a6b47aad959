"""Cogging torque from two slow unpowered runs, one per direction (DOMAIN.md §4).

Turning the unpowered motor slowly, the measured torque is cogging + friction in one direction
and cogging − friction in the other (one sign convention for both runs). Each run is resampled on
the same grid of absolute mechanical angle and averaged synchronously over its whole revolutions;
then T_cog(θ) = ½[T_cw(θ) + T_ccw(θ)] and T_fric(θ) = ½[T_cw(θ) − T_ccw(θ)]. Cycles per
revolution are expected at LCM(slots, poles) and its multiples (G8).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _angle_grid, _validate


@dataclass(frozen=True)
class CoggingResult:
    """Cogging profile on ``angle_rad`` (absolute angle mod 2π), its p-p, spectrum, friction."""

    angle_rad: np.ndarray
    cogging_nm: np.ndarray
    friction_nm: float
    friction_profile_nm: np.ndarray
    peak_to_peak_nm: float
    orders: np.ndarray
    amplitudes_nm: np.ndarray
    dominant_order: int
    n_revs_cw: int
    n_revs_ccw: int
    points_per_rev: int
    cell_averaged: bool


MAX_POINTS_PER_REV = 4096


def cogging_from_averages(avg_cw, avg_ccw, n_cw, n_ccw, m, averaged) -> CoggingResult:
    """Figures from the two mean revolutions (shared with the live form)."""
    cog = 0.5 * (avg_cw + avg_ccw)
    fric = 0.5 * (avg_cw - avg_ccw)
    orders, amps = _angle_grid.order_spectrum(cog, 1, m, averaged)
    dominant = int(orders[1 + int(np.argmax(amps[1:]))]) if amps.size > 1 else 0
    return CoggingResult(
        angle_rad=np.arange(m) * (_angle_grid.TWO_PI / m), cogging_nm=cog, friction_nm=float(fric.mean()),
        friction_profile_nm=fric, peak_to_peak_nm=float(cog.max() - cog.min()), orders=orders,
        amplitudes_nm=amps, dominant_order=dominant, n_revs_cw=n_cw, n_revs_ccw=n_ccw, points_per_rev=m,
        cell_averaged=averaged)


def cogging_torque(angle_cw_rad, torque_cw_nm, angle_ccw_rad, torque_ccw_nm, *, points_per_rev=None):
    """Cogging torque and friction from one run in each direction.

    Parameters
    ----------
    angle_cw_rad, torque_cw_nm : array_like
        Run turning one way: mechanical angle (rad, unwrapped, absolute frame shared with the other
        run) and shaft torque (N·m).
    angle_ccw_rad, torque_ccw_nm : array_like
        Run turning the other way, same angle frame and torque sign convention.
    points_per_rev : int, optional
        Angle grid per revolution; default from the sparser run's sample density (power of two,
        at most 4096, i.e. 0.088°, orders up to 2048). Dense runs are averaged per cell
        (``cell_averaged``; sinc divided out of the spectrum), sparse ones interpolated.

    Returns
    -------
    CoggingResult
        ``cogging_nm`` (half-sum), ``friction_nm`` (mean half-difference) and its profile,
        ``peak_to_peak_nm``, ``orders`` / ``amplitudes_nm`` (N·m peak) and ``dominant_order``
        (largest amplitude at order >= 1).

    Raises
    ------
    ValueError
        Mismatched lengths, NaN, a reversal within a run, less than one whole revolution in a run.
    """
    a_cw, t_cw = _validate.as_signals(min_samples=4, angle_cw_rad=angle_cw_rad, torque_cw_nm=torque_cw_nm)
    a_ccw, t_ccw = _validate.as_signals(min_samples=4, angle_ccw_rad=angle_ccw_rad, torque_ccw_nm=torque_ccw_nm)
    x_cw, d_cw, t_cw = _angle_grid.ascending("angle_cw_rad", a_cw, t_cw)
    x_ccw, d_ccw, t_ccw = _angle_grid.ascending("angle_ccw_rad", a_ccw, t_ccw)
    if d_cw == d_ccw:
        raise ValueError("cogging: both runs turn the same way; one run per direction is needed")
    m = min(_angle_grid.points_per_rev(x.size, float(x[-1] - x[0]), points_per_rev, MAX_POINTS_PER_REV)
            for x in (x_cw, x_ccw))
    g_cw = _angle_grid.resample("angle_cw_rad", x_cw, t_cw, m, absolute=True)
    g_ccw = _angle_grid.resample("angle_ccw_rad", x_ccw, t_ccw, m, absolute=True)
    # one filter for both runs, so the half-sum and half-difference stay consistent
    averaged = g_cw.averaged and g_ccw.averaged
    if g_cw.averaged != g_ccw.averaged:
        g_cw, g_ccw = (g if not g.averaged else _angle_grid.resample(name, x, t, m, absolute=True, average=False)
                       for g, name, x, t in ((g_cw, "angle_cw_rad", x_cw, t_cw), (g_ccw, "angle_ccw_rad", x_ccw, t_ccw)))
    return cogging_from_averages(_angle_grid.synchronous_average(g_cw), _angle_grid.synchronous_average(g_ccw),
                                 g_cw.n_revs, g_ccw.n_revs, m, averaged)
