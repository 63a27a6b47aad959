"""Transmission error TE = θ_out − θ_in / N over whole output revolutions (DOMAIN.md §2.3).

TE is resampled on a uniform grid of output angle over the whole output revolutions the record
covers (linear interpolation, one direction of rotation, no reversal), its constant offset is
removed, and its peak-to-peak and order spectrum (cycles per output revolution) are reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _angle_grid, _validate


@dataclass(frozen=True)
class TransmissionErrorResult:
    """TE on the output-angle grid, its p-p and spectrum; ``n_revs`` whole revolutions used."""

    output_angle_rad: np.ndarray
    te_rad: np.ndarray
    peak_to_peak_rad: float
    orders: np.ndarray
    amplitudes_rad: np.ndarray
    ratio: float
    n_revs: int
    points_per_rev: int
    direction: int
    cell_averaged: bool


def transmission_error(angle_in_rad, angle_out_rad, ratio, *, points_per_rev=None):
    """Transmission error of a reducer from two latched encoders.

    Parameters
    ----------
    angle_in_rad, angle_out_rad : array_like
        Input (motor side) and output (load side) angles, rad, sampled at the same instants,
        unwrapped (continuous, not modulo 2π), output turning in one direction.
    ratio : float
        N = ω_in / ω_out, signed.
    points_per_rev : int, optional
        Grid points per output revolution; default the largest power of two not above the
        sample density, at most 65536 (orders up to 32768). With 4 or more samples per grid
        cell, each grid value is the cell mean (``cell_averaged``; the box filter's sinc is
        divided out of the spectrum, and at order k it lowers the waveform by 1 − sinc(k/m),
        e.g. 1.5e-5 at order 200 of 65536); otherwise TE is interpolated linearly.

    Returns
    -------
    TransmissionErrorResult
        ``te_rad`` = θ_out − θ_in/N on ``output_angle_rad`` (uniform, whole revolutions, in the
        sense of rotation), offset removed; ``peak_to_peak_rad`` = max − min of it; ``orders`` /
        ``amplitudes_rad``: single-sided peak amplitude per order (cycles per output revolution;
        order k/n_revs for a record of n_revs revolutions).

    Raises
    ------
    ValueError
        Mismatched lengths, NaN, ratio 0, a reversal of the output, or less than one whole
        output revolution.
    """
    n = _validate.nonzero("ratio", ratio)
    a_in, a_out = _validate.as_signals(min_samples=4, angle_in_rad=angle_in_rad, angle_out_rad=angle_out_rad)
    x, sign = _angle_grid.increasing("angle_out_rad", a_out)
    te = a_out - a_in / n
    m = _angle_grid.points_per_rev(x.size, float(x[-1] - x[0]), points_per_rev)
    g = _angle_grid.resample("angle_out_rad", x, te, m, absolute=False)
    te_grid = g.values - g.values.mean()
    orders, amps = _angle_grid.order_spectrum(te_grid, g.n_revs, m, g.averaged)
    return TransmissionErrorResult(
        output_angle_rad=sign * g.angle_rad, te_rad=te_grid,
        peak_to_peak_rad=float(te_grid.max() - te_grid.min()), orders=orders, amplitudes_rad=amps,
        ratio=n, n_revs=g.n_revs, points_per_rev=m, direction=int(sign), cell_averaged=g.averaged)
