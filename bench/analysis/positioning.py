"""Repeated one-direction positioning: repeatability and one-way positioning accuracy (DOMAIN.md §1.1).

Readings are a table, cycles × positions, of commanded and actual output angles. The deviation of a
reading is ``d = (actual − datum) − (commanded − its datum)``, the datum being the first reading of
the first cycle ("from the datum position", HD / JIS B 6201). Repeatability is the largest half
spread of the repeated readings at one position (the "±" value of Table A); one-way positioning
accuracy is the largest |d|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PositioningResult:
    """Statistics of repeated one-direction positioning (angles in rad, arrays cycles × positions)."""

    deviation_rad: np.ndarray  # (actual − datum) − (commanded − commanded datum)
    mean_deviation_rad: np.ndarray  # per position, over the cycles
    half_spread_rad: np.ndarray  # per position: (max − min) / 2 over the cycles
    repeatability_rad: float  # max of half_spread_rad: the "±" value
    positioning_accuracy_rad: float  # max |deviation| over every reading
    mean_deviation_pp_rad: float  # max − min of mean_deviation_rad
    worst_position: int  # index of the position with the largest half spread


def positioning_statistics(commanded_rad, actual_rad) -> PositioningResult:
    """Repeatability and one-way positioning accuracy from repeated one-direction positioning.

    Parameters
    ----------
    commanded_rad : array_like, shape (cycles, positions)
        Commanded output angles (any common zero), rad.
    actual_rad : array_like, shape (cycles, positions)
        Output angles read at those commands (any common zero), rad.

    Returns
    -------
    PositioningResult
        Deviations from the datum (the first reading of the first cycle: its deviation is 0 by
        definition), repeatability ``max_k (max_c d − min_c d) / 2`` and accuracy ``max |d|``.

    Raises
    ------
    ValueError
        If the arrays differ in shape, are not 2-D with at least 2 cycles, or hold a non-finite value.
    """
    commanded = np.asarray(commanded_rad, dtype=float)
    actual = np.asarray(actual_rad, dtype=float)
    if commanded.shape != actual.shape or commanded.ndim != 2:
        raise ValueError(f"commanded {commanded.shape} and actual {actual.shape} must both be (cycles, positions)")
    if commanded.shape[0] < 2 or commanded.shape[1] < 1:
        raise ValueError(f"need at least 2 cycles of at least 1 position, found {commanded.shape}")
    if not (np.all(np.isfinite(commanded)) and np.all(np.isfinite(actual))):
        raise ValueError("commanded and actual angles must be finite")
    deviation = (actual - actual[0, 0]) - (commanded - commanded[0, 0])
    half_spread = 0.5 * (deviation.max(axis=0) - deviation.min(axis=0))
    mean = deviation.mean(axis=0)
    return PositioningResult(
        deviation_rad=deviation, mean_deviation_rad=mean, half_spread_rad=half_spread,
        repeatability_rad=float(half_spread.max()), positioning_accuracy_rad=float(np.abs(deviation).max()),
        mean_deviation_pp_rad=float(np.ptp(mean)), worst_position=int(np.argmax(half_spread)))
