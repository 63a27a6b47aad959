"""Static torsion loop: hysteresis loss, lost motion, torsional stiffness, three-slope fit.

Definitions (DOMAIN.md §2.2), with θ_up(T) the loading branch (torque rising) and θ_down(T) the
unloading branch (torque falling), each a function of torque built from all loops of the record,
and the mid-line θ_mid(T) = ½[θ_up(T) + θ_down(T)]:

* hysteresis loss = θ_down(0) − θ_up(0), the loop width at zero torque (B–B′; Nabtesco's
  backlash / hysteresis loss, gear clearance of the standard-style texts); it is reported signed:
  a negative width means the angle leads the torque, i.e. a time skew between the two channels;
* lost motion LM(w) = θ_mid(+w·TN) − θ_mid(−w·TN);
* torsional stiffness K = least-squares slope of T on θ_mid over |T| ∈ [a·TN, b·TN], sampled
  uniformly in torque on both sides with one common slope and one intercept per side (the two
  sides are offset by the lost motion);
* three-slope model: K1, K2, K3 fitted the same way on [w·TN, T1], [T1, T2], [T2, b·TN]. K1
  starts at the lost-motion torque w·TN, not 0: below it the mid-line holds the backlash
  transition, which is not elastic stiffness. The intervals used are in the result.

Branches: each branch value at a torque is the mean of the samples filed in that torque bin
(bin = TN/2000, see ``_loop_core``); between bins and between the levels of a stepped loading
the branch is linearly interpolated. The record is taken to lie on the steady loop (pre-load the
unit to ±TN first, as the procedures do); any start point and any number of loops are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate
from ._loop_core import LoopBins, LoopCore

BIN_FRACTION_OF_RATED = 1.0 / 2000.0
DEFAULT_REVERSAL_FRACTION = 0.02
MERGE_FRACTION_OF_BIN = 0.25
# a window edge may lie this far (fraction of TN) beyond the torque reached; the edge is then
# moved to the torque reached and the interval actually used is reported
WINDOW_EDGE_TOLERANCE = 0.02
_FIT_POINTS = 201
_PLOT_POINTS = 401


@dataclass(frozen=True)
class HysteresisResult:
    """Loop figures, the windows they were taken over, and the curves to plot (all SI)."""

    hysteresis_loss_rad: float
    lost_motion_rad: float
    lost_motion_window: float
    stiffness_nm_rad: float | None
    stiffness_window: tuple[float, float] | None
    stiffness_interval_nm: tuple[float, float] | None
    rated_torque_nm: float
    k1_nm_rad: float | None
    k2_nm_rad: float | None
    k3_nm_rad: float | None
    breaks_nm: tuple[float, float] | None
    k_intervals_nm: tuple[tuple[float, float], ...] | None
    loop_energy_j: float
    n_reversals: int
    n_samples: int
    torque_nm: np.ndarray
    angle_up_rad: np.ndarray
    angle_down_rad: np.ndarray
    angle_mid_rad: np.ndarray


class _Branch:
    def __init__(self, name: str, t: np.ndarray, a: np.ndarray) -> None:
        if t.size < 2:
            raise ValueError(f"hysteresis loop: no {name} branch in the record "
                             f"(need torque rising and falling through the loop)")
        self.name, self.t, self.a = name, t, a

    def at(self, torque_nm, what: str) -> np.ndarray:
        q = np.asarray(torque_nm, dtype=np.float64)
        lo, hi = self.t[0], self.t[-1]
        if q.size and (q.min() < lo or q.max() > hi):
            raise ValueError(f"hysteresis loop: {what} needs the {self.name} branch at "
                             f"{q.min():.6g}…{q.max():.6g} N·m, the record covers {lo:.6g}…{hi:.6g} N·m")
        return np.interp(q, self.t, self.a)


def _common_slope(grids_t, grids_a) -> float:
    """Least-squares slope of torque on angle, one common slope, one intercept per group."""
    sxy = sxx = 0.0
    for t, a in zip(grids_t, grids_a):
        da = a - a.mean()
        sxy += float(np.dot(da, t - t.mean()))
        sxx += float(np.dot(da, da))
    if sxx <= 0.0:
        raise ValueError("stiffness fit: the mid-line angle does not change over the interval")
    return sxy / sxx


def _fit_interval(up, down, lo_nm, hi_nm, what, clip_to=None):
    """Stiffness on |T| ∈ [lo, hi] on both sides; returns (K, (lo, hi) actually used)."""
    if clip_to is not None:
        hi_nm = min(hi_nm, clip_to)
    if not hi_nm > lo_nm:
        raise ValueError(f"{what}: empty torque interval [{lo_nm:.6g}, {hi_nm:.6g}] N·m")
    grid = np.linspace(lo_nm, hi_nm, _FIT_POINTS)
    ts, As = [], []
    for sign in (+1.0, -1.0):
        g = sign * grid
        mid = 0.5 * (up.at(g, what) + down.at(g, what))
        ts.append(g)
        As.append(mid)
    k = _common_slope(ts, As)
    if k <= 0:
        raise ValueError(f"{what}: negative slope {k:.6g} N·m/rad; torque and angle must share one "
                         f"positive sense (DOMAIN.md, torsion tests)")
    return k, (float(lo_nm), float(hi_nm))


def evaluate_loop(bins: LoopBins, *, rated_torque_nm: float, lost_motion_window: float,
                  breaks_nm, stiffness_window, n_reversals: int, n_samples: int) -> HysteresisResult:
    """Figures of a loop from its filed branches (shared by the batch and the live form)."""
    tn = rated_torque_nm
    (tu, au, _), (td, ad, _) = bins.branches(MERGE_FRACTION_OF_BIN * tn * BIN_FRACTION_OF_RATED)
    up = _Branch("loading (torque rising)", tu, au)
    down = _Branch("unloading (torque falling)", td, ad)
    lo_cov = max(up.t[0], down.t[0])
    hi_cov = min(up.t[-1], down.t[-1])
    if not (lo_cov < 0.0 < hi_cov):
        raise ValueError(f"hysteresis loop: no zero crossing in both directions; the branches "
                         f"cover only {lo_cov:.6g}…{hi_cov:.6g} N·m together")
    width = float(down.at(0.0, "hysteresis loss") - up.at(0.0, "hysteresis loss"))
    w_nm = lost_motion_window * tn
    pm = np.array([w_nm, -w_nm])
    mid_pm = 0.5 * (up.at(pm, f"lost motion at ±{lost_motion_window:g}·TN")
                    + down.at(pm, f"lost motion at ±{lost_motion_window:g}·TN"))
    lost_motion = float(mid_pm[0] - mid_pm[1])
    if lost_motion < 0.0:
        raise ValueError(f"hysteresis loop: the mid-line falls with torque (lost motion {lost_motion:.4g} rad); "
                         f"torque and angle must share one positive sense (DOMAIN.md, torsion tests)")

    # the fit may use the loop up to the torque reached on the weaker side, within tolerance
    reach = min(hi_cov, -lo_cov)
    stiffness = interval = None
    if stiffness_window is not None:
        a, b = stiffness_window
        if b * tn - reach > WINDOW_EDGE_TOLERANCE * tn:
            raise ValueError(f"stiffness window up to {b:g}·TN = {b * tn:.6g} N·m, but the loop reaches "
                             f"only ±{reach:.6g} N·m on both sides")
        stiffness, interval = _fit_interval(up, down, a * tn, b * tn,
                                            f"stiffness on |T| in [{a:g}, {b:g}]·TN", clip_to=reach)
    k1 = k2 = k3 = None
    intervals = None
    if breaks_nm is not None:
        t1, t2 = breaks_nm
        top = (stiffness_window[1] if stiffness_window is not None else 1.0) * tn
        if top - reach > WINDOW_EDGE_TOLERANCE * tn:
            raise ValueError(f"three-slope fit up to {top:.6g} N·m, but the loop reaches only ±{reach:.6g} N·m")
        k1, i1 = _fit_interval(up, down, w_nm, t1, "K1 on [w·TN, T1]")
        k2, i2 = _fit_interval(up, down, t1, t2, "K2 on [T1, T2]")
        k3, i3 = _fit_interval(up, down, t2, top, "K3 on [T2, TN]", clip_to=reach)
        intervals = (i1, i2, i3)

    grid = np.linspace(lo_cov, hi_cov, _PLOT_POINTS)
    a_up = up.at(grid, "plot")
    a_dn = down.at(grid, "plot")
    energy = float(np.trapezoid(a_dn - a_up, grid))
    return HysteresisResult(
        hysteresis_loss_rad=width, lost_motion_rad=lost_motion, lost_motion_window=lost_motion_window,
        stiffness_nm_rad=stiffness, stiffness_window=stiffness_window, stiffness_interval_nm=interval,
        rated_torque_nm=tn, k1_nm_rad=k1, k2_nm_rad=k2, k3_nm_rad=k3,
        breaks_nm=None if breaks_nm is None else (float(breaks_nm[0]), float(breaks_nm[1])),
        k_intervals_nm=intervals, loop_energy_j=energy, n_reversals=n_reversals, n_samples=n_samples,
        torque_nm=grid, angle_up_rad=a_up, angle_down_rad=a_dn, angle_mid_rad=0.5 * (a_up + a_dn))


def check_loop_parameters(rated_torque_nm, lost_motion_window, breaks_nm, stiffness_window,
                          reversal_threshold_nm):
    """Validate the keyword parameters; return them normalised."""
    tn = _validate.positive("rated_torque_nm", rated_torque_nm)
    w = _validate.positive("lost_motion_window", lost_motion_window)
    if w >= 1.0:
        raise ValueError(f"lost_motion_window is a fraction of TN (0.03 for ±3 %), got {w!r}")
    if stiffness_window is not None:
        stiffness_window = _validate.fraction_window("stiffness_window", stiffness_window)
    if breaks_nm is not None:
        try:
            t1, t2 = (float(b) for b in breaks_nm)
        except (TypeError, ValueError):
            raise ValueError(f"breaks_nm must be a pair (T1, T2) in N·m, got {breaks_nm!r}") from None
        if not (w * tn < t1 < t2 <= tn * (stiffness_window[1] if stiffness_window else 1.0)):
            raise ValueError(f"breaks_nm: need w·TN = {w * tn:.6g} < T1 < T2 <= TN, got {breaks_nm!r}")
        breaks_nm = (t1, t2)
    thr = (DEFAULT_REVERSAL_FRACTION * tn if reversal_threshold_nm is None
           else _validate.positive("reversal_threshold_nm", reversal_threshold_nm))
    return tn, w, breaks_nm, stiffness_window, thr


def hysteresis_loop(torque_nm, angle_rad, *, rated_torque_nm, lost_motion_window=0.03,
                    breaks_nm=None, stiffness_window=(0.5, 1.0), reversal_threshold_nm=None):
    """Evaluate a static torsion loop (input locked): hysteresis loss, lost motion, stiffness.

    Parameters
    ----------
    torque_nm, angle_rad : array_like
        Output torque (N·m) and output angle relative to the housing (rad), one sample each, in
        time order; one positive sense for both. Any number of loops, any start point on the loop,
        continuous or stepped loading.
    rated_torque_nm : float
        TN, N·m; windows are fractions of it.
    lost_motion_window : float, optional
        w: lost motion is taken at ±w·TN (0.03 Nabtesco/Spinea, 0.04 HD, 0.05 Yaskawa).
    breaks_nm : (float, float), optional
        (T1, T2) of the HD three-slope model; when given, K1, K2, K3 are fitted on
        [w·TN, T1], [T1, T2], [T2, b·TN].
    stiffness_window : (float, float) or None, optional
        (a, b): stiffness is fitted on |T| ∈ [a·TN, b·TN]; ``None`` skips it (lost-motion loops).
        An upper edge up to 2 % TN beyond the torque reached is moved to the torque reached;
        ``stiffness_interval_nm`` states the interval used.
    reversal_threshold_nm : float, optional
        Torque by which the signal must move back from an extreme for a reversal to count;
        default 2 % TN. Must exceed torque noise and step overshoot, and be below the loop amplitude.

    Returns
    -------
    HysteresisResult
        Figures, the windows used, and the up / down / mid-line curves on a torque grid.

    Raises
    ------
    ValueError
        Mismatched lengths, NaN, a branch missing, no zero crossing in both directions, or a
        window outside the torque range the loop covers.
    """
    tn, w, breaks, window, thr = check_loop_parameters(rated_torque_nm, lost_motion_window, breaks_nm,
                                                       stiffness_window, reversal_threshold_nm)
    t, a = _validate.as_signals(min_samples=8, torque_nm=torque_nm, angle_rad=angle_rad)
    core = LoopCore(bin_nm=tn * BIN_FRACTION_OF_RATED, threshold_nm=thr)
    core.update(t, a)
    if core.direction == 0:
        raise ValueError(f"hysteresis loop: torque never moves by more than the reversal threshold "
                         f"({thr:.6g} N·m); no loop in the record")
    return evaluate_loop(core.snapshot_bins(), rated_torque_nm=tn, lost_motion_window=w, breaks_nm=breaks,
                         stiffness_window=window, n_reversals=core.n_reversals, n_samples=core.n_samples)
