"""Live forms of the analysis functions: feed sample blocks as they arrive, read the estimate.

Each tracker's ``update`` costs O(block) (the hysteresis tracker also re-reads the few samples
since the current torque extreme), so the GUI and the sequences can call it from a stream
callback or a poll loop. ``result()`` returns the same frozen result as the batch function; its
cost is O(grid or bins), except :class:`TransmissionErrorTracker`, whose spectrum is O(record).
Trackers are not thread-safe: feed and read from one thread, or guard with a lock.
"""

from __future__ import annotations

import math

import numpy as np

from . import _angle_grid, _validate
from ._loop_core import LoopCore
from .breakaway import BreakawayResult
from .cogging import CoggingResult, cogging_from_averages
from .efficiency import EfficiencyResult, ratio_of_powers
from .hysteresis import (
    BIN_FRACTION_OF_RATED,
    HysteresisResult,
    check_loop_parameters,
    evaluate_loop,
)
from .motor import MotorConstantsResult, line_from_moments
from .ripple import TorqueRippleResult, ripple_from_average
from .transmission_error import TransmissionErrorResult

DEFAULT_POINTS_PER_REV = 1024


class HysteresisTracker:
    """Live :func:`~bench.analysis.hysteresis_loop`; same parameters, same result."""

    def __init__(self, rated_torque_nm, *, lost_motion_window=0.03, breaks_nm=None,
                 stiffness_window=(0.5, 1.0), reversal_threshold_nm=None):
        tn, w, breaks, window, thr = check_loop_parameters(rated_torque_nm, lost_motion_window, breaks_nm,
                                                           stiffness_window, reversal_threshold_nm)
        self._params = dict(rated_torque_nm=tn, lost_motion_window=w, breaks_nm=breaks, stiffness_window=window)
        self._core = LoopCore(bin_nm=tn * BIN_FRACTION_OF_RATED, threshold_nm=thr)

    def update(self, torque_nm, angle_rad) -> None:
        t, a = _validate.as_signals(min_samples=1, torque_nm=torque_nm, angle_rad=angle_rad)
        self._core.update(t, a)

    @property
    def n_reversals(self) -> int:
        return self._core.n_reversals

    def result(self) -> HysteresisResult:
        """Figures of the loop so far; ``ValueError`` while a branch or window is still missing."""
        if self._core.direction == 0:
            raise ValueError("hysteresis loop: torque has not yet moved by more than the reversal threshold")
        return evaluate_loop(self._core.snapshot_bins(), n_reversals=self._core.n_reversals,
                             n_samples=self._core.n_samples, **self._params)


class TransmissionErrorTracker:
    """Live :func:`~bench.analysis.transmission_error` on a fixed grid of ``points_per_rev``.

    ``peak_to_peak_rad`` is kept up to date at O(block); ``result()`` computes the spectrum over
    the whole output revolutions received so far and equals the batch function called with the
    same ``points_per_rev`` on the concatenated record.
    """

    def __init__(self, ratio, *, points_per_rev=DEFAULT_POINTS_PER_REV):
        self._ratio = _validate.nonzero("ratio", ratio)
        self._m = _angle_grid.points_per_rev(0, 1.0, points_per_rev)
        self._step = _angle_grid.TWO_PI / self._m
        self._sign = 0.0
        self._x0 = None
        self._prev_x = np.zeros(0)     # oriented (increasing) output angle of held samples
        self._prev_raw = np.zeros(0)   # raw output angle while the direction is unknown
        self._prev_te = np.zeros(0)
        self._next_k = 0
        self._chunks: list[np.ndarray] = []
        self._lo = math.inf
        self._hi = -math.inf
        self._count = 0

    def update(self, angle_in_rad, angle_out_rad) -> None:
        a_in, a_out = _validate.as_signals(min_samples=1, angle_in_rad=angle_in_rad, angle_out_rad=angle_out_rad)
        te = a_out - a_in / self._ratio
        if self._x0 is None:
            self._x0 = float(a_out[0])
        if self._sign == 0.0:
            raw = np.concatenate((self._prev_raw, a_out))
            te = np.concatenate((self._prev_te, te))
            span = float(raw[-1] - raw[0])
            if span == 0.0:
                self._prev_raw, self._prev_te = raw, te
                return
            self._sign = 1.0 if span > 0 else -1.0
            x = self._sign * raw
        else:
            x = np.concatenate((self._prev_x, self._sign * a_out))
            te = np.concatenate((self._prev_te, te))
        if x.size > 1:
            step = np.diff(x)
            if float(step.min()) < 0.0:
                back = float((np.maximum.accumulate(x) - x).max())
                if back > _angle_grid.JITTER_RAD:
                    raise ValueError("angle_out_rad: the angle reverses; the record must turn in one direction")
                x = np.maximum.accumulate(x)
        sx0 = self._sign * self._x0
        kmax = int(math.floor((float(x[-1]) - sx0) / self._step + 1e-9))
        if kmax >= self._next_k:
            ks = np.arange(self._next_k, kmax + 1)
            vals = np.interp(sx0 + ks * self._step, x, te)
            self._chunks.append(vals)
            self._count += vals.size
            self._lo = min(self._lo, float(vals.min()))
            self._hi = max(self._hi, float(vals.max()))
            self._next_k = kmax + 1
        self._prev_x, self._prev_te = x[-1:].copy(), te[-1:].copy()

    @property
    def peak_to_peak_rad(self) -> float:
        """p-p of TE on the grid so far (0 before two grid points)."""
        return 0.0 if self._count < 2 else self._hi - self._lo

    @property
    def revolutions(self) -> float:
        """Output revolutions covered so far."""
        return max(self._count - 1, 0) / self._m

    def result(self) -> TransmissionErrorResult:
        n_revs = (self._count - 1) // self._m if self._count else 0
        if n_revs < 1:
            raise ValueError(f"angle_out_rad: the record covers {self.revolutions:.4g} revolutions; at least "
                             f"one whole revolution is needed")
        te = np.concatenate(self._chunks)[: n_revs * self._m]
        te = te - te.mean()
        orders, amps = _angle_grid.order_spectrum(te, n_revs, self._m, False)
        grid = self._sign * (self._sign * self._x0 + self._step * np.arange(te.size))
        return TransmissionErrorResult(
            output_angle_rad=grid, te_rad=te, peak_to_peak_rad=float(te.max() - te.min()), orders=orders,
            amplitudes_rad=amps, ratio=self._ratio, n_revs=n_revs, points_per_rev=self._m,
            direction=int(self._sign), cell_averaged=False)


class _PhaseAccumulator:
    """Per-phase sums of a signal interpolated at absolute angles 2πk/m, for synchronous averages."""

    def __init__(self, name: str, m: int) -> None:
        self.name = name
        self.m = m
        self.step = _angle_grid.TWO_PI / m
        self.sums = np.zeros(m)
        self.counts = np.zeros(m)
        self.prev: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, angle_rad, values) -> None:
        x, y = _validate.as_signals(min_samples=1, **{self.name: angle_rad, "values": values})
        if self.prev is not None:
            x = np.concatenate((self.prev[0], x))
            y = np.concatenate((self.prev[1], y))
        self.prev = (x[-1:].copy(), y[-1:].copy())
        if x.size < 2 or x[-1] == x[0]:
            return
        forward = x[-1] > x[0]
        if not forward:
            x, y = x[::-1], y[::-1]
        step = np.diff(x)
        if float(step.min()) < -_angle_grid.JITTER_RAD:
            raise ValueError(f"{self.name}: the angle reverses within a block; one direction per run")
        x = np.maximum.accumulate(x)
        lo, hi = float(x[0]) / self.step, float(x[-1]) / self.step
        # half-open on the side of the previous block, so no grid point is counted twice
        if forward:
            ks = np.arange(math.floor(lo) + 1, math.floor(hi) + 1)
        else:
            ks = np.arange(math.ceil(lo), math.ceil(hi))
        if ks.size == 0:
            return
        vals = np.interp(ks * self.step, x, y)
        phase = np.mod(ks, self.m)
        self.sums += np.bincount(phase, weights=vals, minlength=self.m)
        self.counts += np.bincount(phase, minlength=self.m)

    def average(self) -> tuple[np.ndarray, int]:
        if not np.all(self.counts > 0):
            covered = float(np.count_nonzero(self.counts)) / self.m
            raise ValueError(f"{self.name}: {covered:.3g} of a revolution covered so far; one whole "
                             f"revolution is needed")
        return self.sums / self.counts, int(self.counts.min())


class TorqueRippleTracker:
    """Live :func:`~bench.analysis.torque_ripple`: per-phase synchronous average, fixed grid.

    Values are interpolated at the grid angles (no cell averaging) and every grid angle passed
    counts, including those of an unfinished revolution, so phases may hold one sample more than
    others; ``n_revs`` is the smallest count.
    """

    def __init__(self, *, points_per_rev=DEFAULT_POINTS_PER_REV):
        m = _angle_grid.points_per_rev(0, 1.0, points_per_rev)
        self._acc = _PhaseAccumulator("angle_rad", m)

    def update(self, torque_nm, angle_rad) -> None:
        t = _validate.as_signal("torque_nm", torque_nm, min_samples=1)
        if np.size(angle_rad) != t.size:
            raise ValueError(f"mismatched lengths: torque_nm={t.size}, angle_rad={np.size(angle_rad)}")
        self._acc.add(angle_rad, t)

    def result(self) -> TorqueRippleResult:
        avg, n = self._acc.average()
        return ripple_from_average(avg, n, self._acc.m, False)


class CoggingTracker:
    """Live :func:`~bench.analysis.cogging_torque`: feed each direction's run to its own update."""

    def __init__(self, *, points_per_rev=DEFAULT_POINTS_PER_REV):
        m = _angle_grid.points_per_rev(0, 1.0, points_per_rev)
        self._cw = _PhaseAccumulator("angle_cw_rad", m)
        self._ccw = _PhaseAccumulator("angle_ccw_rad", m)

    @staticmethod
    def _add(acc, angle_rad, torque_nm):
        t = _validate.as_signal("torque_nm", torque_nm, min_samples=1)
        if np.size(angle_rad) != t.size:
            raise ValueError(f"mismatched lengths: torque_nm={t.size}, angle_rad={np.size(angle_rad)}")
        acc.add(angle_rad, t)

    def update_cw(self, angle_rad, torque_nm) -> None:
        self._add(self._cw, angle_rad, torque_nm)

    def update_ccw(self, angle_rad, torque_nm) -> None:
        self._add(self._ccw, angle_rad, torque_nm)

    def result(self) -> CoggingResult:
        cw, n_cw = self._cw.average()
        ccw, n_ccw = self._ccw.average()
        return cogging_from_averages(cw, ccw, n_cw, n_ccw, self._cw.m, False)


class EfficiencyTracker:
    """Running mean powers and efficiency of a reducer; feed only the steady part (after settling).

    ``result().steady_slice`` is ``(0, samples fed)``; ``steady_tolerance`` is None (the caller
    chose the samples).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._sum_in = self._sum_out = 0.0
        self._n = 0

    def update(self, torque_in_nm, speed_in_rad_s, torque_out_nm, speed_out_rad_s) -> None:
        t_in, w_in, t_out, w_out = _validate.as_signals(
            min_samples=1, torque_in_nm=torque_in_nm, speed_in_rad_s=speed_in_rad_s,
            torque_out_nm=torque_out_nm, speed_out_rad_s=speed_out_rad_s)
        self._sum_in += float(t_in @ w_in)
        self._sum_out += float(t_out @ w_out)
        self._n += t_in.size

    def result(self) -> EfficiencyResult:
        if self._n == 0:
            raise ValueError("efficiency: no samples yet")
        p_in, p_out = self._sum_in / self._n, self._sum_out / self._n
        return EfficiencyResult(p_in, p_out, ratio_of_powers(p_in, p_out, "efficiency"), (0, self._n), None)


class MotorEfficiencyTracker(EfficiencyTracker):
    """Running motor efficiency from the power analyzer and the shaft (motoring or generating)."""

    def __init__(self, *, generating=False) -> None:
        self._generating = bool(generating)
        super().__init__()

    def update(self, power_electrical_w, torque_nm, speed_rad_s) -> None:  # type: ignore[override]
        p, t, w = _validate.as_signals(min_samples=1, power_electrical_w=power_electrical_w,
                                       torque_nm=torque_nm, speed_rad_s=speed_rad_s)
        p_mech = float(t @ w)
        p_elec = float(p.sum())
        if self._generating:
            self._sum_in += p_mech
            self._sum_out += p_elec
        else:
            self._sum_in += p_elec
            self._sum_out += p_mech
        self._n += t.size


class BreakawayTracker:
    """Live :func:`~bench.analysis.breakaway_torque`."""

    def __init__(self, *, motion_threshold_rad):
        self._thr = _validate.positive("motion_threshold_rad", motion_threshold_rad)
        self._a0 = None
        self._peak = 0.0
        self._n = 0
        self._result: BreakawayResult | None = None

    @property
    def detected(self) -> bool:
        return self._result is not None

    def update(self, torque_nm, angle_rad) -> None:
        t, a = _validate.as_signals(min_samples=1, torque_nm=torque_nm, angle_rad=angle_rad)
        if self._result is None:
            if self._a0 is None:
                self._a0 = float(a[0])
            moved = np.flatnonzero(np.abs(a - self._a0) > self._thr)
            upto = t if moved.size == 0 else t[: int(moved[0]) + 1]
            j = int(np.argmax(np.abs(upto)))
            if abs(upto[j]) > abs(self._peak):
                self._peak = float(upto[j])
            if moved.size:
                k = int(moved[0])
                self._result = BreakawayResult(self._peak, float(t[k]), self._n + k, self._thr)
        self._n += t.size

    def result(self) -> BreakawayResult:
        if self._result is None:
            raise ValueError(f"breakaway: no movement beyond {self._thr:.6g} rad yet "
                             f"(largest torque so far {abs(self._peak):.6g} N·m)")
        return self._result


class _Moments:
    """Running means and centred second moments of (x, y), merged per block (Chan et al.)."""

    def __init__(self) -> None:
        self.n = 0
        self.mx = self.my = self.sxx = self.sxy = self.syy = 0.0

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        nb = x.size
        bx, by = float(x.mean()), float(y.mean())
        dx, dy = x - bx, y - by
        bxx, bxy, byy = float(dx @ dx), float(dx @ dy), float(dy @ dy)
        n = self.n + nb
        ex, ey = bx - self.mx, by - self.my
        f = self.n * nb / n
        self.sxx += bxx + ex * ex * f
        self.sxy += bxy + ex * ey * f
        self.syy += byy + ey * ey * f
        self.mx += ex * nb / n
        self.my += ey * nb / n
        self.n = n


class MotorConstantsTracker:
    """Live :func:`~bench.analysis.motor_constants`: running least-squares lines."""

    def __init__(self) -> None:
        self._kt = _Moments()
        self._ke = _Moments()

    def update_kt(self, torque_nm, current_a) -> None:
        t, i = _validate.as_signals(min_samples=1, torque_nm=torque_nm, current_a=current_a)
        self._kt.add(i, t)

    def update_ke(self, voltage_v, speed_rad_s) -> None:
        v, w = _validate.as_signals(min_samples=1, voltage_v=voltage_v, speed_rad_s=speed_rad_s)
        self._ke.add(w, v)

    def result(self) -> MotorConstantsResult:
        if self._kt.n == 0 and self._ke.n == 0:
            raise ValueError("motor_constants: no samples yet")
        fits = []
        for m, what in ((self._kt, "Kt (torque on current)"), (self._ke, "Ke (voltage on speed)")):
            fits.append(None if m.n == 0 else line_from_moments(m.n, m.mx, m.my, m.sxx, m.sxy, m.syy, what))
        kt, ke = fits
        return MotorConstantsResult(kt_nm_a=None if kt is None else kt.slope,
                                    ke_v_s_rad=None if ke is None else ke.slope, kt_fit=kt, ke_fit=ke)
