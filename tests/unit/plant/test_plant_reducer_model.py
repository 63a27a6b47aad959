"""The reducer model's true-value functions against DOMAIN.md worked cases and hand formulas."""

from __future__ import annotations

import math

import pytest
from plant_helpers import ARCMIN_RAD

from bench.simconfig import ReducerConfig
from hil_mocks.plant import reducer

# CSF-25-50 (DOMAIN.md Table A size 25 ratio 50; worked case G4): K 25/34/44 e3 N·m/rad, T1 14, T2 48
CSF25 = ReducerConfig(k1_nm_rad=25e3, k2_nm_rad=34e3, k3_nm_rad=44e3, t1_nm=14.0, t2_nm=48.0)


@pytest.mark.parametrize("torque_nm, arcmin", [(14.0, 1.925), (39.0, 4.453), (48.0, 5.363)])
def test_static_twist_matches_worked_case_g4(torque_nm, arcmin):
    # DOMAIN.md G4 prints 4 significant figures: agree to 0.05 %
    assert reducer.static_twist_rad(CSF25, torque_nm) / ARCMIN_RAD == pytest.approx(arcmin, rel=5e-4)
    assert reducer.static_twist_rad(CSF25, -torque_nm) == -reducer.static_twist_rad(CSF25, torque_nm)


def test_static_twist_matches_worked_case_g1():
    # DOMAIN.md G1: HFUC-32-100 at 60 N·m → 7.1465e-4 rad
    hfuc = ReducerConfig(k1_nm_rad=6.7e4, k2_nm_rad=1.1e5, k3_nm_rad=1.2e5, t1_nm=29.0, t2_nm=108.0)
    assert reducer.static_twist_rad(hfuc, 60.0) == pytest.approx(7.1465e-4, rel=1e-4)


def test_spring_torque_inverts_static_twist():
    for torque in (0.5, 14.0, 20.0, 48.0, 70.0):
        phi = reducer.static_twist_rad(CSF25, torque)
        assert reducer.spring_torque_nm(CSF25, phi) == pytest.approx(torque, rel=1e-12)


def test_zero_torque_width_is_backlash_plus_twice_the_hysteresis_twist():
    cfg = ReducerConfig(backlash_rad=1.5e-4, hysteresis_nm=0.6)
    # hand formula: b + 2·H/K1 (H below T1) = 1.5e-4 + 1.2/2.5e4
    assert reducer.expected_zero_torque_width_rad(cfg) == pytest.approx(1.5e-4 + 4.8e-5, rel=1e-12)


def test_lost_motion_true_value():
    cfg = ReducerConfig(backlash_rad=1.5e-4, hysteresis_nm=0.6)
    # window above H and W + H below T1: b + 2·W/K1
    assert reducer.expected_lost_motion_rad(cfg, 1.17) == pytest.approx(1.5e-4 + 2 * 1.17 / 2.5e4, rel=1e-12)
    # window below H: the loading branch at +W is still on the negative side of the band:
    # ½[(−b/2 − (H−W)/K1) + (b/2 + (W+H)/K1)]·2 = 2W/K1
    assert reducer.expected_lost_motion_rad(cfg, 0.3) == pytest.approx(2 * 0.3 / 2.5e4, rel=1e-12)


def test_true_efficiency_formula():
    cfg = ReducerConfig(coulomb_friction_nm=0.05, viscous_friction_nm_s_rad=1e-4, load_loss_fraction=0.15)
    # driving: T_in = 0.05 + 0.01 + 20/(50·0.85) = 0.530588…; η = 20/(50·T_in)
    t_in = 0.05 + 1e-4 * 100 + 20 / (50 * 0.85)
    assert reducer.true_efficiency(cfg, 50, 20.0, 100.0) == pytest.approx(20 / (50 * t_in), rel=1e-12)
    # back-driving: T_in = 20·0.85/50 − 0.06 = 0.28; η = 50·0.28/20 = 0.7
    assert reducer.true_efficiency(cfg, 50, -20.0, -100.0, driving=False) == pytest.approx(0.7, rel=1e-12)


def test_transmission_error_sum_of_harmonics():
    from bench.simconfig import Harmonic
    cfg = ReducerConfig(transmission_error=[Harmonic(1, 5e-5), Harmonic(2, 3e-5, 0.5)])
    x = 0.3
    assert reducer.transmission_error_rad(cfg, x) == pytest.approx(
        5e-5 * math.sin(0.3) + 3e-5 * math.sin(0.6 + 0.5), rel=1e-12)
