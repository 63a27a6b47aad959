"""hysteresis_loop on synthetic loops with known answers (DOMAIN.md §2.2).

Tolerances from the issue: stiffness within 1 %, lost motion and hysteresis loss within
0.02 arcmin, with sensor noise and a 29-bit output encoder.
"""

import dataclasses
import math

import numpy as np
import pytest
from analysis_synth import LoopModel, triangle_record

from bench.analysis import hysteresis_loop
from bench.units import ARCMIN_RAD

ANGLE_TOL_RAD = 0.02 * ARCMIN_RAD

# CSF-17-50-like: TN 16 N·m, K1/K2/K3 8.1/11/13 e3 N·m/rad, T1 3.9, T2 12 N·m (DOMAIN.md Table B)
TN = 16.0
NOISE_T_NM = 0.0005 * TN        # 0.05 % TN torque noise (1 σ)
NOISE_A_RAD = 1.0 * math.pi / 648000  # 1 arcsec angle noise (1 σ)


def linear_model():
    return LoopModel(TN, 1.1e4, backlash_rad=0.3 * ARCMIN_RAD, hysteresis_rad=0.5 * ARCMIN_RAD)


@pytest.mark.parametrize("phase, n_loops, seed", [(0.0, 2.0, 1), (0.37, 3.0, 2), (0.81, 1.6, 3), (0.5, 5.0, 4)])
def test_continuous_loop_any_start_any_count(phase, n_loops, seed):
    m = linear_model()
    t, a, _, _ = triangle_record(m, 200_000, n_loops=n_loops, phase=phase, noise_t=NOISE_T_NM,
                                 noise_a=NOISE_A_RAD, seed=seed)
    r = hysteresis_loop(t, a, rated_torque_nm=TN)
    assert r.stiffness_nm_rad == pytest.approx(1.1e4, rel=0.01)
    assert abs(r.lost_motion_rad - m.lost_motion(0.03)) < ANGLE_TOL_RAD
    assert abs(r.hysteresis_loss_rad - m.h) < ANGLE_TOL_RAD
    assert r.n_reversals >= 2


@pytest.mark.parametrize("phase, noise_t", [(0.0, NOISE_T_NM), (0.1, NOISE_T_NM), (0.63, NOISE_T_NM),
                                            (0.2, 0.0)])
def test_stepped_loading_in_2_5_percent_steps(phase, noise_t):
    # noise_t = 0: every sample of a held level has the same torque (ties at the extreme); the
    # loop tip must still belong to both branches
    m = linear_model()
    t, a, _, _ = triangle_record(m, 120_000, n_loops=2.0, phase=phase, steps=0.025 * TN,
                                 noise_t=noise_t, noise_a=NOISE_A_RAD, seed=7)
    # ±3 % TN lies between the 2.5 % and 5 % levels: interpolated between the step means
    r = hysteresis_loop(t, a, rated_torque_nm=TN)
    assert r.stiffness_nm_rad == pytest.approx(1.1e4, rel=0.01)
    assert abs(r.lost_motion_rad - m.lost_motion(0.03)) < ANGLE_TOL_RAD
    assert abs(r.hysteresis_loss_rad - m.h) < ANGLE_TOL_RAD


def test_three_slope_fit_recovers_k1_k2_k3():
    m = LoopModel(TN, 8.1e3, 11e3, 13e3, 3.9, 12.0, backlash_rad=0.2 * ARCMIN_RAD,
                  hysteresis_rad=0.4 * ARCMIN_RAD)
    t, a, _, _ = triangle_record(m, 300_000, n_loops=3.0, phase=0.2, noise_t=NOISE_T_NM,
                                 noise_a=NOISE_A_RAD, seed=11)
    r = hysteresis_loop(t, a, rated_torque_nm=TN, breaks_nm=(3.9, 12.0), lost_motion_window=0.04)
    assert r.k1_nm_rad == pytest.approx(8.1e3, rel=0.01)
    assert r.k2_nm_rad == pytest.approx(11e3, rel=0.01)
    assert r.k3_nm_rad == pytest.approx(13e3, rel=0.01)
    assert r.breaks_nm == (3.9, 12.0)
    (lo1, hi1), (lo2, hi2), (lo3, hi3) = r.k_intervals_nm
    assert (lo1, hi1, lo2, hi2, lo3) == pytest.approx((0.04 * TN, 3.9, 3.9, 12.0, 12.0))
    assert hi3 == pytest.approx(TN, abs=0.02 * TN)
    assert r.lost_motion_window == 0.04
    assert abs(r.lost_motion_rad - m.lost_motion(0.04)) < ANGLE_TOL_RAD
    # window [0.5, 1]·TN spans K2 (8…12) and K3 (12…16): the LS slope of the exact mid-line
    g = np.linspace(0.5 * TN, TN, 20001)
    mid = m.mid(g)
    k_expected = np.polyfit(mid, g, 1)[0]
    assert r.stiffness_nm_rad == pytest.approx(k_expected, rel=0.01)


def test_lost_motion_only_loop_without_stiffness():
    m = LoopModel(TN, 8.1e3, backlash_rad=0.25 * ARCMIN_RAD, hysteresis_rad=0.1 * ARCMIN_RAD,
                  backlash_width_nm=0.002 * TN)
    t, a, _, _ = triangle_record(m, 60_000, n_loops=2.0, phase=0.3, amplitude=0.05 * TN,
                                 noise_t=0.0001 * TN, noise_a=NOISE_A_RAD, seed=5)
    r = hysteresis_loop(t, a, rated_torque_nm=TN, lost_motion_window=0.03, stiffness_window=None,
                        reversal_threshold_nm=0.01 * TN)
    assert r.stiffness_nm_rad is None and r.stiffness_interval_nm is None
    assert abs(r.lost_motion_rad - m.lost_motion(0.03)) < ANGLE_TOL_RAD
    assert abs(r.hysteresis_loss_rad - m.h) < ANGLE_TOL_RAD


def test_result_carries_windows_and_curves():
    m = linear_model()
    t, a, _, _ = triangle_record(m, 100_000, n_loops=2.0, phase=0.1, noise_t=NOISE_T_NM, seed=3)
    r = hysteresis_loop(t, a, rated_torque_nm=TN, stiffness_window=(0.3, 0.9))
    assert r.stiffness_window == (0.3, 0.9)
    assert r.stiffness_interval_nm == pytest.approx((0.3 * TN, 0.9 * TN))
    assert r.rated_torque_nm == TN
    assert r.torque_nm.shape == r.angle_up_rad.shape == r.angle_down_rad.shape == r.angle_mid_rad.shape
    assert r.torque_nm[0] < -0.95 * TN and r.torque_nm[-1] > 0.95 * TN
    # the mid-line is the model's mid-line
    inner = np.abs(r.torque_nm) < 0.9 * TN
    np.testing.assert_allclose(r.angle_mid_rad[inner], m.mid(r.torque_nm[inner]), atol=ANGLE_TOL_RAD)
    # loop area ∮T dθ = ∫ h(1 − (T/TN)²) dT over ±TN = 4·h·TN/3
    assert r.loop_energy_j == pytest.approx(4 * m.h * TN / 3, rel=0.01)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.lost_motion_rad = 0.0   # frozen


# ----------------------------------------------------------------------------------------------
# A second, slow, obviously correct implementation for noise-free records: a plain loop marks
# each sample rising or falling; a branch value at torque T* is the linear interpolation between
# the two consecutive samples of one direction that bracket T*, averaged over all such crossings.

def _reference(t, a, tn, w, window):
    rising = []
    last = None
    for i in range(len(t)):
        if i + 1 < len(t) and t[i + 1] != t[i]:
            d = t[i + 1] > t[i]
        else:
            d = last if last is not None else True
        rising.append(d)
        last = d

    def branch(direction, tq):
        vals = []
        for i in range(len(t) - 1):
            if rising[i] != direction or rising[i + 1] != direction and i + 1 < len(t) - 1:
                continue
            lo, hi = sorted((t[i], t[i + 1]))
            if lo <= tq <= hi and hi > lo:
                f = (tq - t[i]) / (t[i + 1] - t[i])
                vals.append(a[i] + f * (a[i + 1] - a[i]))
        return sum(vals) / len(vals)

    def mid(tq):
        return 0.5 * (branch(True, tq) + branch(False, tq))

    hl = branch(False, 0.0) - branch(True, 0.0)
    lm = mid(w * tn) - mid(-w * tn)
    sxy = sxx = 0.0
    for sign in (1, -1):
        ts = [sign * (window[0] + (window[1] - window[0]) * k / 20) * tn for k in range(21)]
        ms = [mid(x) for x in ts]
        mt, mm = sum(ts) / len(ts), sum(ms) / len(ms)
        sxy += sum((m_ - mm) * (x - mt) for x, m_ in zip(ts, ms))
        sxx += sum((m_ - mm) ** 2 for m_ in ms)
    return hl, lm, sxy / sxx


@pytest.mark.parametrize("seed", range(4))
def test_against_plain_loop_reference_on_random_loops(seed):
    rng = np.random.default_rng(100 + seed)
    tn = float(rng.uniform(5, 500))
    k = float(rng.uniform(5e3, 5e5)) * tn / 50
    m = LoopModel(tn, k, backlash_rad=float(rng.uniform(0, 1)) * ARCMIN_RAD,
                  hysteresis_rad=float(rng.uniform(0, 1)) * ARCMIN_RAD,
                  backlash_width_nm=float(rng.uniform(0.002, 0.01)) * tn)
    n = int(rng.integers(3000, 5000))
    t, a, _, _ = triangle_record(m, n, n_loops=float(rng.uniform(1.3, 3.0)), phase=float(rng.uniform(0, 1)),
                                 quantise=False)
    w = float(rng.choice([0.03, 0.04, 0.05]))
    window = (0.5, 0.95)
    r = hysteresis_loop(t, a, rated_torque_nm=tn, lost_motion_window=w, stiffness_window=window)
    hl, lm, k_ref = _reference(list(t), list(a), tn, w, window)
    assert r.hysteresis_loss_rad == pytest.approx(hl, abs=0.002 * ARCMIN_RAD)
    assert r.lost_motion_rad == pytest.approx(lm, abs=0.002 * ARCMIN_RAD)
    assert r.stiffness_nm_rad == pytest.approx(k_ref, rel=2e-3)


# ---------------------------------------------------------------------------------------------- errors

def _loop(n=20_000, **kw):
    t, a, _, _ = triangle_record(linear_model(), n, **kw)
    return t, a


def test_mismatched_lengths():
    t, a = _loop()
    with pytest.raises(ValueError, match="mismatched lengths"):
        hysteresis_loop(t, a[:-1], rated_torque_nm=TN)


def test_nan_is_named():
    t, a = _loop()
    a[123] = np.nan
    with pytest.raises(ValueError, match="angle_rad.*index 123"):
        hysteresis_loop(t, a, rated_torque_nm=TN)


def test_too_few_samples():
    with pytest.raises(ValueError, match="at least"):
        hysteresis_loop([0.0, 1.0], [0.0, 1e-4], rated_torque_nm=TN)


def test_no_zero_crossing():
    t, a = _loop()
    with pytest.raises(ValueError, match="zero crossing"):
        hysteresis_loop(0.5 * t + 0.6 * TN, a, rated_torque_nm=TN)


def test_window_beyond_loop():
    t, a = _loop(amplitude=0.6 * TN)
    with pytest.raises(ValueError, match="reaches only"):
        hysteresis_loop(t, a, rated_torque_nm=TN)


def test_one_direction_only():
    t = np.linspace(-TN, TN, 5000)
    with pytest.raises(ValueError, match="unloading"):
        hysteresis_loop(t, t / 1e4, rated_torque_nm=TN)


def test_constant_torque():
    with pytest.raises(ValueError, match="no loop"):
        hysteresis_loop(np.full(1000, 3.0), np.zeros(1000), rated_torque_nm=TN)


@pytest.mark.parametrize("window", [(0.5, 1.0), None])
def test_opposite_senses_are_refused(window):
    t, a = _loop()
    with pytest.raises(ValueError, match="positive sense"):
        hysteresis_loop(t, -a, rated_torque_nm=TN, stiffness_window=window)


@pytest.mark.parametrize("kwargs, match", [
    ({"rated_torque_nm": 0.0}, "rated_torque_nm"),
    ({"rated_torque_nm": TN, "lost_motion_window": 3.0}, "fraction"),
    ({"rated_torque_nm": TN, "stiffness_window": (0.9, 0.5)}, "stiffness_window"),
    ({"rated_torque_nm": TN, "breaks_nm": (12.0, 3.9)}, "breaks_nm"),
])
def test_bad_parameters(kwargs, match):
    t, a = _loop()
    with pytest.raises(ValueError, match=match):
        hysteresis_loop(t, a, **kwargs)
