"""Breakaway torque: starting torque (input side, output free) or back-driving torque (output
side, input free), from a slow torque ramp (DOMAIN.md §1.1, §2.4).

Motion starts at the first sample whose angle has moved more than ``motion_threshold_rad`` from
the first sample; the breakaway torque is the torque of largest magnitude up to that sample (the
torque usually drops once the shaft slips, so the peak before motion is the static friction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate


@dataclass(frozen=True)
class BreakawayResult:
    """Breakaway torque (signed), where motion was detected, and the threshold used."""

    breakaway_torque_nm: float
    torque_at_motion_nm: float
    motion_index: int
    motion_threshold_rad: float


def breakaway_torque(torque_nm, angle_rad, *, motion_threshold_rad):
    """Torque needed to start rotation.

    Parameters
    ----------
    torque_nm, angle_rad : array_like
        Applied torque (N·m) and shaft angle (rad) during a slow ramp, in time order.
    motion_threshold_rad : float
        Movement from the first sample that counts as rotation (above encoder noise).

    Returns
    -------
    BreakawayResult
        ``breakaway_torque_nm``: signed torque of largest magnitude up to ``motion_index``.

    Raises
    ------
    ValueError
        Mismatched lengths, NaN, or no movement beyond the threshold in the record.
    """
    thr = _validate.positive("motion_threshold_rad", motion_threshold_rad)
    t, a = _validate.as_signals(min_samples=2, torque_nm=torque_nm, angle_rad=angle_rad)
    moved = np.flatnonzero(np.abs(a - a[0]) > thr)
    if moved.size == 0:
        raise ValueError(f"breakaway: the angle never moved by more than {thr:.6g} rad "
                         f"(largest torque {float(np.abs(t).max()):.6g} N·m); no breakaway in the record")
    k = int(moved[0])
    j = int(np.argmax(np.abs(t[:k + 1])))
    return BreakawayResult(float(t[j]), float(t[k]), k, thr)
