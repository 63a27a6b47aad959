"""The Harmonic Drive three-slope torsion model and the HD partial-load efficiency correction.

DOMAIN.md §1.1: output torsion φ under output torque T with the wave generator blocked is
piecewise linear with stiffness K1 on 0…T1, K2 on T1…T2, K3 above T2::

    φ = T/K1                                      T <= T1
    φ = T1/K1 + (T − T1)/K2                        T1 < T <= T2
    φ = T1/K1 + (T2 − T1)/K2 + (T − T2)/K3         T > T2

and symmetric for negative torque (φ(−T) = −φ(T)). The catalogue example G1 (HFUC-32-100 at
60 N·m) gives 7.1465e-4 rad = 2.457 arcmin.
"""

from __future__ import annotations

import numpy as np


def _check_model(k1, k2, k3, t1, t2):
    for name, v in (("k1", k1), ("k2", k2), ("k3", k3), ("t1", t1), ("t2", t2)):
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f"three-slope model: {name} must be finite and > 0, got {v!r}")
    if not t1 < t2:
        raise ValueError(f"three-slope model: need t1 < t2, got t1={t1!r}, t2={t2!r}")


def torsion_angle_rad(torque_nm, k1, k2, k3, t1, t2):
    """Torsion angle of the three-slope model, symmetric in torque.

    Parameters
    ----------
    torque_nm : float or array_like
        Output torque, N·m (either sign).
    k1, k2, k3 : float
        Stiffness on [0, t1], [t1, t2] and above t2, N·m/rad.
    t1, t2 : float
        Limit torques, N·m, ``0 < t1 < t2``.

    Returns
    -------
    float or ndarray
        Torsion angle, rad, with the sign of the torque.
    """
    _check_model(k1, k2, k3, t1, t2)
    t = np.asarray(torque_nm, dtype=np.float64)
    a = np.abs(t)
    phi = np.where(a <= t1, a / k1,
                   np.where(a <= t2, t1 / k1 + (a - t1) / k2,
                            t1 / k1 + (t2 - t1) / k2 + (a - t2) / k3))
    out = np.sign(t) * phi
    return float(out) if out.ndim == 0 else out


def torsion_torque_nm(angle_rad, k1, k2, k3, t1, t2):
    """Inverse of :func:`torsion_angle_rad`: the torque that twists the model by ``angle_rad``.

    Parameters
    ----------
    angle_rad : float or array_like
        Torsion angle, rad (either sign).
    k1, k2, k3, t1, t2 : float
        As in :func:`torsion_angle_rad`.

    Returns
    -------
    float or ndarray
        Torque, N·m, with the sign of the angle.
    """
    _check_model(k1, k2, k3, t1, t2)
    p = np.asarray(angle_rad, dtype=np.float64)
    a = np.abs(p)
    phi1 = t1 / k1
    phi2 = phi1 + (t2 - t1) / k2
    t = np.where(a <= phi1, a * k1,
                 np.where(a <= phi2, t1 + (a - phi1) * k2, t2 + (a - phi2) * k3))
    out = np.sign(p) * t
    return float(out) if out.ndim == 0 else out


def partial_load_efficiency(efficiency_rated, torque_nm, rated_torque_nm, k_curve, *,
                            efficiency_extra=0.0):
    """HD efficiency below rated torque: ``ηL = K(V)·(η + ηe)`` with ``V = T_av / TN``.

    DOMAIN.md §1.1 and cases G5/G6: η is the catalogue efficiency at rated torque (for the
    speed, temperature and ratio of interest), K(V) the compensation coefficient read from the
    catalogue curve of the series, ηe the SHG-2UH additive term (0 for other series).

    Parameters
    ----------
    efficiency_rated : float
        η at rated torque, as a fraction (0.78 for 78 %).
    torque_nm : float
        Average output torque T_av, N·m.
    rated_torque_nm : float
        Rated torque TN, N·m.
    k_curve : tuple of array_like
        ``(v_points, k_points)``: the catalogue curve K(V), sampled; linearly interpolated.
        V outside the sampled range raises ``ValueError`` (no extrapolation).
    efficiency_extra : float, optional
        ηe as a fraction (G6: −0.066).

    Returns
    -------
    float
        ηL as a fraction.
    """
    v_points, k_points = (np.asarray(a, dtype=np.float64) for a in k_curve)
    if v_points.shape != k_points.shape or v_points.ndim != 1 or v_points.size < 1:
        raise ValueError("k_curve: need two 1-D arrays (v_points, k_points) of one length")
    if v_points.size > 1 and np.any(np.diff(v_points) <= 0):
        raise ValueError("k_curve: v_points must be strictly increasing")
    if not rated_torque_nm > 0:
        raise ValueError(f"rated_torque_nm must be > 0, got {rated_torque_nm!r}")
    v = abs(float(torque_nm)) / float(rated_torque_nm)
    if not (v_points[0] - 1e-12 <= v <= v_points[-1] + 1e-12):
        raise ValueError(f"load factor V={v:.4g} outside the K(V) curve [{v_points[0]}, {v_points[-1]}]")
    k = float(np.interp(v, v_points, k_points))
    return k * (float(efficiency_rated) + float(efficiency_extra))
