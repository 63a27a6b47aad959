"""Motor constants (DOMAIN.md §4): Kt from torque vs current, Ke from voltage vs speed.

Kt = slope of shaft torque on current at held speed (the intercept is the friction / drag
torque); Ke = slope of open-circuit voltage on speed with the motor back-driven. Both are
least-squares lines, so a bias (offset) does not enter the constant. The relation for a
3-phase sinusoidal PMSM is Kt[N·m/A_rms] = √3·Ke_LL,rms[V·s/rad] (G10: 100 V/krpm → 1.654 N·m/A).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _validate


@dataclass(frozen=True)
class LineFit:
    """y = slope·x + intercept by least squares; ``r2`` the coefficient of determination."""

    slope: float
    intercept: float
    r2: float
    n: int


@dataclass(frozen=True)
class MotorConstantsResult:
    """Kt (N·m/A, in the current's measure: A_rms or A_pk) and Ke (V·s/rad), each with its line."""

    kt_nm_a: float | None
    ke_v_s_rad: float | None
    kt_fit: LineFit | None
    ke_fit: LineFit | None


def line_from_moments(n, mean_x, mean_y, sxx, sxy, syy, what) -> LineFit:
    if n < 3:
        raise ValueError(f"{what}: {n} points, at least 3 needed")
    if not sxx > 0:
        raise ValueError(f"{what}: the abscissa does not vary; no slope can be fitted")
    slope = sxy / sxx
    r2 = 1.0 if syy == 0 else (sxy * sxy) / (sxx * syy)
    return LineFit(slope=slope, intercept=mean_y - slope * mean_x, r2=r2, n=int(n))


def fit_line(x: np.ndarray, y: np.ndarray, what: str) -> LineFit:
    mx, my = float(x.mean()), float(y.mean())
    dx, dy = x - mx, y - my
    return line_from_moments(x.size, mx, my, float(dx @ dx), float(dx @ dy), float(dy @ dy), what)


def motor_constants(*, torque_nm=None, current_a=None, voltage_v=None, speed_rad_s=None):
    """Torque constant and back-EMF constant from measured pairs.

    Parameters
    ----------
    torque_nm, current_a : array_like, optional
        Shaft torque (N·m) and current (A_rms or A_pk, the unit of Kt follows) at held speed.
    voltage_v, speed_rad_s : array_like, optional
        Open-circuit voltage (V, e.g. line-to-line RMS) and speed (rad/s), motor back-driven.

    Returns
    -------
    MotorConstantsResult
        ``kt_nm_a`` (slope of torque on current) and/or ``ke_v_s_rad`` (slope of voltage on
        speed), with the fitted lines. A pair left out gives None.

    Raises
    ------
    ValueError
        Neither pair given, one half of a pair missing, mismatched lengths, NaN, fewer than
        3 points, or a constant abscissa.
    """
    kt_fit = ke_fit = None
    if (torque_nm is None) != (current_a is None):
        raise ValueError("motor_constants: Kt needs both torque_nm and current_a")
    if (voltage_v is None) != (speed_rad_s is None):
        raise ValueError("motor_constants: Ke needs both voltage_v and speed_rad_s")
    if torque_nm is None and voltage_v is None:
        raise ValueError("motor_constants: give torque_nm + current_a and/or voltage_v + speed_rad_s")
    if torque_nm is not None:
        t, i = _validate.as_signals(min_samples=3, torque_nm=torque_nm, current_a=current_a)
        kt_fit = fit_line(i, t, "Kt (torque on current)")
    if voltage_v is not None:
        v, w = _validate.as_signals(min_samples=3, voltage_v=voltage_v, speed_rad_s=speed_rad_s)
        ke_fit = fit_line(w, v, "Ke (voltage on speed)")
    return MotorConstantsResult(kt_nm_a=None if kt_fit is None else kt_fit.slope,
                                ke_v_s_rad=None if ke_fit is None else ke_fit.slope,
                                kt_fit=kt_fit, ke_fit=ke_fit)


def kt_from_ke(ke_v_s_rad, *, phases=3):
    """Kt expected from Ke (DOMAIN.md §4, G10).

    ``phases=3``: Ke line-to-line RMS (V·s/rad) → Kt in N·m/A_rms = √3·Ke (sinusoidal PMSM).
    ``phases=1``: DC motor, Kt = Ke in SI.
    """
    ke = float(ke_v_s_rad)
    if phases == 3:
        return math.sqrt(3.0) * ke
    if phases == 1:
        return ke
    raise ValueError(f"kt_from_ke: phases must be 1 (DC) or 3, got {phases!r}")
