"""Efficiency at a steady operating point, and the efficiency map (DOMAIN.md §2.4, §4).

Reducer (shaft power both sides): η = |P_out| / |P_in| with P = mean(T·ω) over the steady part
of the record; magnitudes, since the two torque sensors may use opposite sign conventions.
Motor (IEC 60034-2-1 direct method): P_in is the electrical power from the power analyzer and
P_out = T·ω at the shaft when motoring; reversed when generating.

The steady part is the longest run of samples whose reference speed stays within
``steady_tolerance`` (fraction) of the record's median speed; the result states it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _validate

MIN_STEADY_SAMPLES = 8


@dataclass(frozen=True)
class EfficiencyResult:
    """Mean powers over ``steady_slice`` (sample indices ``[start, stop)``) and their ratio."""

    power_in_w: float
    power_out_w: float
    efficiency: float
    steady_slice: tuple[int, int]
    steady_tolerance: float | None


def steady_slice(speed_rad_s: np.ndarray, tolerance: float) -> tuple[int, int]:
    """Longest run of samples within ``tolerance``·|median| of the median speed."""
    med = float(np.median(speed_rad_s))
    if med == 0.0:
        raise ValueError("efficiency: the median speed is zero; no steady running in the record")
    ok = np.abs(speed_rad_s - med) <= tolerance * abs(med)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.view(np.int8), [0]))))
    starts, stops = edges[::2], edges[1::2]
    if starts.size == 0:
        raise ValueError("efficiency: no sample within the steady tolerance of the median speed")
    i = int(np.argmax(stops - starts))
    s, e = int(starts[i]), int(stops[i])
    if e - s < MIN_STEADY_SAMPLES:
        raise ValueError(f"efficiency: the steady part holds {e - s} samples, at least "
                         f"{MIN_STEADY_SAMPLES} needed (speed within ±{tolerance:.1%} of the median)")
    return s, e


def ratio_of_powers(p_in: float, p_out: float, where: str) -> float:
    if p_in == 0.0:
        raise ValueError(f"{where}: input power is zero; efficiency undefined")
    return abs(p_out) / abs(p_in)


def efficiency(torque_in_nm, speed_in_rad_s, torque_out_nm, speed_out_rad_s, *, steady_tolerance=0.02):
    """Efficiency of a reducer (or any shaft-to-shaft unit) at one steady operating point.

    Parameters
    ----------
    torque_in_nm, speed_in_rad_s : array_like
        Input (drive side) torque, N·m, and speed, rad/s.
    torque_out_nm, speed_out_rad_s : array_like
        Output (load side) torque and speed, same instants.
    steady_tolerance : float, optional
        The steady part is the longest run with input speed within this fraction of its median.

    Returns
    -------
    EfficiencyResult
        ``power_in_w`` = mean(T_in·ω_in), ``power_out_w`` = mean(T_out·ω_out) over the steady part,
        ``efficiency`` = |P_out| / |P_in|. For back-driving, pass the output side as input.

    Raises
    ------
    ValueError
        Mismatched lengths, NaN, no steady part, zero input power.
    """
    tol = _validate.positive("steady_tolerance", steady_tolerance)
    t_in, w_in, t_out, w_out = _validate.as_signals(
        min_samples=MIN_STEADY_SAMPLES, torque_in_nm=torque_in_nm, speed_in_rad_s=speed_in_rad_s,
        torque_out_nm=torque_out_nm, speed_out_rad_s=speed_out_rad_s)
    s, e = steady_slice(w_in, tol)
    p_in = float(np.mean(t_in[s:e] * w_in[s:e]))
    p_out = float(np.mean(t_out[s:e] * w_out[s:e]))
    return EfficiencyResult(p_in, p_out, ratio_of_powers(p_in, p_out, "efficiency"), (s, e), tol)


def motor_efficiency(power_electrical_w, torque_nm, speed_rad_s, *, generating=False, steady_tolerance=0.02):
    """Efficiency of a motor from the power analyzer and the shaft (direct method).

    Parameters
    ----------
    power_electrical_w : array_like
        Electrical power at the terminals, W (power analyzer, same instants as the shaft signals).
    torque_nm, speed_rad_s : array_like
        Shaft torque and speed; P_mech = T·ω (Pm = 2π·n·T/60 in rpm).
    generating : bool, optional
        False: η = |P_mech| / |P_elec| (motoring); True: η = |P_elec| / |P_mech|.
    steady_tolerance : float, optional
        As in :func:`efficiency`, on the shaft speed.

    Returns
    -------
    EfficiencyResult
        ``power_in_w`` is P_elec when motoring, P_mech when generating.
    """
    tol = _validate.positive("steady_tolerance", steady_tolerance)
    p_el, t, w = _validate.as_signals(min_samples=MIN_STEADY_SAMPLES, power_electrical_w=power_electrical_w,
                                      torque_nm=torque_nm, speed_rad_s=speed_rad_s)
    s, e = steady_slice(w, tol)
    p_elec = float(np.mean(p_el[s:e]))
    p_mech = float(np.mean(t[s:e] * w[s:e]))
    p_in, p_out = (p_mech, p_elec) if generating else (p_elec, p_mech)
    return EfficiencyResult(p_in, p_out, ratio_of_powers(p_in, p_out, "motor efficiency"), (s, e), tol)


@dataclass(frozen=True)
class EfficiencyMap:
    """Efficiency over (speed, torque): measured points, a regular grid for plotting, queries.

    ``efficiency_grid[i, j]`` is at ``torque_grid_nm[i]``, ``speed_grid_rad_s[j]``; NaN outside
    the convex hull of the measured points (no extrapolation). :meth:`at` interpolates linearly
    (Delaunay triangles in coordinates scaled to the measured ranges).
    """

    speed_rad_s: np.ndarray
    torque_nm: np.ndarray
    efficiency: np.ndarray
    speed_grid_rad_s: np.ndarray
    torque_grid_nm: np.ndarray
    efficiency_grid: np.ndarray
    _interp: object = field(repr=False, compare=False)

    def at(self, speed_rad_s, torque_nm):
        """Interpolated efficiency at the given point(s); NaN outside the measured hull."""
        s = np.asarray(speed_rad_s, dtype=np.float64)
        t = np.asarray(torque_nm, dtype=np.float64)
        out = self._interp(s, t)
        return float(out) if np.ndim(out) == 0 else out


class _ScaledInterpolator:
    def __init__(self, speed, torque, values):
        from scipy.interpolate import LinearNDInterpolator
        from scipy.spatial import QhullError

        self.s0, self.ss = speed.min(), np.ptp(speed)
        self.t0, self.ts = torque.min(), np.ptp(torque)
        if self.ss == 0 or self.ts == 0:
            raise ValueError("efficiency_map: the points span no area (one speed or one torque only)")
        try:
            self.f = LinearNDInterpolator(np.column_stack(self._scale(speed, torque)), values)
        except QhullError as exc:
            raise ValueError(f"efficiency_map: the points span no area ({exc.__class__.__name__})") from None

    def _scale(self, s, t):
        return (s - self.s0) / self.ss, (t - self.t0) / self.ts

    def __call__(self, s, t):
        u, v = self._scale(s, t)
        return self.f(u, v)


def efficiency_map(speed_rad_s, torque_nm, efficiency, *, grid_points=(41, 41)):
    """Grid measured operating points (speed, torque, η) into a map that can be queried and plotted.

    Parameters
    ----------
    speed_rad_s, torque_nm, efficiency : array_like
        One entry per measured operating point (e.g. the ``efficiency`` of each
        :class:`EfficiencyResult`); at least 3 points spanning an area.
    grid_points : (int, int), optional
        Grid size (speed, torque) for plotting.

    Returns
    -------
    EfficiencyMap
    """
    s, t, e = _validate.as_signals(min_samples=3, speed_rad_s=speed_rad_s, torque_nm=torque_nm,
                                   efficiency=efficiency)
    interp = _ScaledInterpolator(s, t, e)
    ns, nt = (int(g) for g in grid_points)
    if ns < 2 or nt < 2:
        raise ValueError(f"grid_points must be at least (2, 2), got {grid_points!r}")
    sg = np.linspace(s.min(), s.max(), ns)
    tg = np.linspace(t.min(), t.max(), nt)
    S, T = np.meshgrid(sg, tg)
    return EfficiencyMap(s, t, e, sg, tg, interp(S, T), interp)
