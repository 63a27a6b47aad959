"""Efficiency, efficiency map, motor constants and breakaway torque on known answers."""

import math

import numpy as np
import pytest

from bench.analysis import (
    breakaway_torque,
    efficiency,
    efficiency_map,
    kt_from_ke,
    motor_constants,
    motor_efficiency,
)
from bench.units import rpm_to_rad_s


def _reducer_record(eta=0.8, ratio=50.0, seed=0):
    """Ramp up, 3000 steady samples at 100 rad/s with ripple, ramp down."""
    rng = np.random.default_rng(seed)
    w_in = np.concatenate((np.linspace(0, 100, 500), 100 + 0.3 * rng.standard_normal(3000), np.linspace(100, 0, 500)))
    n = w_in.size
    k = np.arange(n)
    t_in = 2.0 + 0.1 * np.sin(2 * math.pi * k / 37)
    w_out = w_in / ratio
    t_out = -eta * ratio * t_in          # load-side flange counts the other way
    return t_in, w_in, t_out, w_out


def test_reducer_efficiency_over_steady_part():
    t_in, w_in, t_out, w_out = _reducer_record()
    r = efficiency(t_in, w_in, t_out, w_out)
    s, e = r.steady_slice
    # the ramps are left out except their last 2 % (inside the ±2 % band): 98…100 rad/s
    assert 489 <= s <= 500 and 3500 <= e <= 3511
    assert r.efficiency == pytest.approx(0.8, rel=1e-9)
    assert r.power_in_w == pytest.approx(200.0, rel=0.01)   # 2 N·m · 100 rad/s
    assert r.power_out_w == pytest.approx(-160.0, rel=0.01)
    assert r.steady_tolerance == 0.02


def test_g9_motor_power_and_efficiency():
    # DOMAIN.md G9: 3000 min⁻¹ × 10 N·m → Pm = 3141.6 W; analyzer reads 3490.7 W → η = 0.9
    n = 200
    w = np.full(n, rpm_to_rad_s(3000.0))
    t = np.full(n, 10.0)
    p_el = np.full(n, 3141.5927 / 0.9)
    r = motor_efficiency(p_el, t, w)
    assert r.power_out_w == pytest.approx(3141.6, abs=0.05)
    assert r.efficiency == pytest.approx(0.9, rel=1e-6)
    g = motor_efficiency(np.full(n, 2827.4), -t, w, generating=True)   # braking: P_elec / P_mech
    assert g.efficiency == pytest.approx(0.9, rel=1e-4)
    assert g.power_in_w == pytest.approx(-3141.6, abs=0.05)


def test_efficiency_errors():
    t_in, w_in, t_out, w_out = _reducer_record()
    with pytest.raises(ValueError, match="median speed is zero"):
        efficiency(t_in, np.zeros_like(w_in), t_out, w_out)
    with pytest.raises(ValueError, match="input power is zero"):
        efficiency(np.zeros_like(t_in), w_in, t_out, w_out)
    with pytest.raises(ValueError, match="mismatched"):
        efficiency(t_in, w_in, t_out[:-1], w_out)
    noisy = np.random.default_rng(0).uniform(0, 200, w_in.size)
    with pytest.raises(ValueError, match="steady part holds"):
        efficiency(t_in, noisy, t_out, w_out)


def test_efficiency_map_is_exact_on_a_plane_and_refuses_to_extrapolate():
    s, t = np.meshgrid(np.linspace(10, 300, 8), np.linspace(0.5, 20, 6))
    eta = 0.6 + 0.0005 * s + 0.01 * t          # a plane: linear interpolation is exact
    m = efficiency_map(s.ravel(), t.ravel(), eta.ravel(), grid_points=(30, 20))
    assert m.efficiency_grid.shape == (20, 30)
    assert m.at(123.0, 7.7) == pytest.approx(0.6 + 0.0005 * 123 + 0.01 * 7.7, rel=1e-12)
    S, T = np.meshgrid(m.speed_grid_rad_s, m.torque_grid_nm)
    np.testing.assert_allclose(m.efficiency_grid, 0.6 + 0.0005 * S + 0.01 * T, rtol=1e-12)
    assert math.isnan(m.at(400.0, 5.0))
    with pytest.raises(ValueError, match="span no area"):
        efficiency_map([1, 2, 3], [5, 5, 5], [0.8, 0.8, 0.8])


def test_g10_kt_from_ke():
    # DOMAIN.md G10: Ke = 100 V_LL,rms/krpm → Kt = √3·100/104.72 = 1.654 N·m/A_rms
    ke = 100.0 / rpm_to_rad_s(1000.0)
    assert kt_from_ke(ke) == pytest.approx(1.654, abs=5e-4)
    assert kt_from_ke(0.05, phases=1) == 0.05
    with pytest.raises(ValueError):
        kt_from_ke(0.05, phases=2)


def test_motor_constants_slopes_ignore_offsets():
    rng = np.random.default_rng(4)
    i = np.linspace(0.5, 8.0, 50)
    t = 0.82 * i + 0.12 + 0.005 * rng.standard_normal(50)       # friction offset 0.12 N·m
    w = np.linspace(20, 300, 40)
    v = 0.55 * w + 0.3 + 0.05 * rng.standard_normal(40)
    r = motor_constants(torque_nm=t, current_a=i, voltage_v=v, speed_rad_s=w)
    assert r.kt_nm_a == pytest.approx(0.82, rel=0.01)
    assert r.ke_v_s_rad == pytest.approx(0.55, rel=0.01)
    assert r.kt_fit.intercept == pytest.approx(0.12, abs=0.01)
    assert r.kt_fit.r2 > 0.999
    only = motor_constants(voltage_v=v, speed_rad_s=w)
    assert only.kt_nm_a is None and only.ke_v_s_rad == pytest.approx(r.ke_v_s_rad)
    with pytest.raises(ValueError, match="both torque_nm and current_a"):
        motor_constants(torque_nm=t)
    with pytest.raises(ValueError, match="does not vary"):
        motor_constants(torque_nm=t, current_a=np.ones(50))


def test_breakaway_is_the_peak_before_motion():
    # ramp 0 → 4 N·m; the shaft sticks until 3.3 N·m (CSF-17-100 back-driving torque, Table B),
    # then slips and the torque drops to 2.5 N·m while the angle runs away
    n = 5000
    t = np.linspace(0, 4.0, n)
    k = int(np.searchsorted(t, 3.3))
    a = np.zeros(n) + 1e-6 * np.random.default_rng(0).standard_normal(n)
    a[k:] += np.linspace(0, 0.05, n - k)
    t = t.copy()
    t[k + 20:] = 2.5
    r = breakaway_torque(t, a, motion_threshold_rad=2e-5)
    assert r.breakaway_torque_nm == pytest.approx(3.3, abs=0.01)
    assert k < r.motion_index < k + 20
    assert r.motion_threshold_rad == 2e-5
    neg = breakaway_torque(-t, a, motion_threshold_rad=2e-5)
    assert neg.breakaway_torque_nm == pytest.approx(-3.3, abs=0.01)
    with pytest.raises(ValueError, match="never moved"):
        breakaway_torque(t[:k], a[:k], motion_threshold_rad=2e-5)
