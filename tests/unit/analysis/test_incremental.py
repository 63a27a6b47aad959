"""The live trackers give the batch answer when fed the same record in blocks."""

import math

import numpy as np
import pytest
from analysis_synth import LoopModel, triangle_record

from bench.analysis import (
    BreakawayTracker,
    CoggingTracker,
    EfficiencyTracker,
    HysteresisTracker,
    MotorConstantsTracker,
    MotorEfficiencyTracker,
    TorqueRippleTracker,
    TransmissionErrorTracker,
    breakaway_torque,
    cogging_torque,
    hysteresis_loop,
    motor_constants,
    torque_ripple,
    transmission_error,
)
from bench.units import ARCMIN_RAD

TWO_PI = 2 * math.pi


def blocks(n, rng, lo=1, hi=2500):
    """Random block boundaries, including blocks of a single sample."""
    cuts, i = [], 0
    while i < n:
        j = min(n, i + int(rng.integers(lo, hi)))
        cuts.append((i, j))
        i = j
    return cuts


@pytest.mark.parametrize("steps", [None, 0.4])
def test_hysteresis_tracker_equals_batch(steps):
    tn = 16.0
    m = LoopModel(tn, 8.1e3, 11e3, 13e3, 3.9, 12.0, backlash_rad=0.2 * ARCMIN_RAD, hysteresis_rad=0.4 * ARCMIN_RAD)
    t, a, _, _ = triangle_record(m, 100_000, n_loops=2.3, phase=0.6, noise_t=0.008, noise_a=5e-6,
                                 steps=steps, seed=9)
    kw = dict(rated_torque_nm=tn, breaks_nm=(3.9, 12.0))
    batch = hysteresis_loop(t, a, **kw)
    tr = HysteresisTracker(**kw)
    for i, j in blocks(t.size, np.random.default_rng(1)):
        tr.update(t[i:j], a[i:j])
    live = tr.result()
    assert live.n_reversals == batch.n_reversals and live.n_samples == t.size
    for name in ("hysteresis_loss_rad", "lost_motion_rad", "stiffness_nm_rad", "k1_nm_rad", "k2_nm_rad",
                 "k3_nm_rad", "loop_energy_j"):
        assert getattr(live, name) == pytest.approx(getattr(batch, name), rel=1e-9, abs=1e-15), name
    np.testing.assert_allclose(live.angle_mid_rad, batch.angle_mid_rad, rtol=1e-9, atol=1e-15)


def test_hysteresis_tracker_through_long_dwells():
    # a held torque at the top and in mid-branch: samples pile up after the current extreme and are
    # only assigned at the next move; the figures must not depend on how the blocks were cut
    tn = 16.0
    m = LoopModel(tn, 1.1e4, backlash_rad=0.3 * ARCMIN_RAD, hysteresis_rad=0.5 * ARCMIN_RAD)
    t, a, _, _ = triangle_record(m, 40_000, n_loops=2.0, phase=0.05, noise_t=0.008, seed=4)
    rng = np.random.default_rng(8)
    parts_t, parts_a = [], []
    for i, j in ((0, 9000), (9000, 25000), (25000, 40000)):
        parts_t.append(t[i:j])
        parts_a.append(a[i:j])
        hold = np.full(30_000, t[j - 1]) + 0.008 * rng.standard_normal(30_000)
        parts_t.append(hold)
        parts_a.append(np.full(30_000, a[j - 1]))
    t2, a2 = np.concatenate(parts_t), np.concatenate(parts_a)
    batch = hysteresis_loop(t2, a2, rated_torque_nm=tn)
    tr = HysteresisTracker(tn)
    for i, j in blocks(t2.size, rng, 1, 700):
        tr.update(t2[i:j], a2[i:j])
    live = tr.result()
    for name in ("hysteresis_loss_rad", "lost_motion_rad", "stiffness_nm_rad"):
        assert getattr(live, name) == pytest.approx(getattr(batch, name), rel=1e-9), name
    assert abs(batch.lost_motion_rad - m.lost_motion(0.03)) < 0.02 * ARCMIN_RAD


def test_hysteresis_tracker_before_a_loop():
    tr = HysteresisTracker(16.0)
    tr.update([0.0, 0.01], [0.0, 1e-6])
    with pytest.raises(ValueError, match="not yet moved"):
        tr.result()
    tr.update(np.linspace(0.01, 16.0, 500), np.linspace(1e-6, 1e-3, 500))
    with pytest.raises(ValueError, match="unloading"):
        tr.result()


def test_te_tracker_equals_batch_and_tracks_pp_live():
    rng = np.random.default_rng(3)
    n = 60_000
    x = 0.2 - TWO_PI * 2.6 * np.linspace(0, 1, n)        # turning backwards
    te = 1e-4 * np.sin(3 * x) + 2e-5 * np.cos(40 * x)
    a_out, a_in = x, -80.0 * (x - te)
    batch = transmission_error(a_in, a_out, -80.0, points_per_rev=16384)
    assert not batch.cell_averaged
    tr = TransmissionErrorTracker(-80.0, points_per_rev=16384)
    for i, j in blocks(n, rng):
        tr.update(a_in[i:j], a_out[i:j])
    live = tr.result()
    assert live.n_revs == batch.n_revs == 2 and live.direction == -1
    np.testing.assert_allclose(live.te_rad, batch.te_rad, rtol=0, atol=1e-15)
    np.testing.assert_allclose(live.output_angle_rad, batch.output_angle_rad, rtol=1e-12)
    np.testing.assert_allclose(live.amplitudes_rad, batch.amplitudes_rad, rtol=1e-9, atol=1e-15)
    assert tr.peak_to_peak_rad == pytest.approx(np.ptp(te), rel=0.01)
    assert tr.revolutions == pytest.approx(2.6, abs=1e-3)


def test_te_tracker_needs_a_revolution_and_one_direction():
    tr = TransmissionErrorTracker(100.0, points_per_rev=256)
    tr.update(np.linspace(0, 100, 50), np.linspace(0, 1, 50))
    with pytest.raises(ValueError, match="revolution"):
        tr.result()
    with pytest.raises(ValueError, match="reverses"):
        tr.update(np.linspace(100, 50, 50), np.linspace(1, 0.5, 50))


def test_ripple_and_cogging_trackers_equal_batch():
    rng = np.random.default_rng(5)
    n = 20_000
    x = np.linspace(0.3, 0.3 + TWO_PI * 3.0 + 0.01, n)
    t = 1.5 + 0.05 * np.cos(6 * x) + 0.01 * np.sin(60 * x)
    batch = torque_ripple(t, x, points_per_rev=4096)       # < 4 samples per cell: interpolated
    tr = TorqueRippleTracker(points_per_rev=4096)
    for i, j in blocks(n, rng):
        tr.update(t[i:j], x[i:j])
    live = tr.result()
    assert live.n_revs == batch.n_revs == 3
    # the live form also counts the few grid points past the 3rd revolution (a 4th sample of
    # those phases); on a periodic signal that moves them by interpolation error only
    np.testing.assert_allclose(live.torque_avg_nm, batch.torque_avg_nm, rtol=0, atol=1e-6)
    assert np.count_nonzero(np.abs(live.torque_avg_nm - batch.torque_avg_nm) > 1e-12) < 10
    assert live.ripple_pct == pytest.approx(batch.ripple_pct, rel=1e-6)

    xc = x[::-1] + 1.0
    tc = -0.02 + 0.01 * np.sin(60 * xc)
    tcw = 0.02 + 0.01 * np.sin(60 * x)
    b = cogging_torque(x, tcw, xc, tc, points_per_rev=2048)
    ct = CoggingTracker(points_per_rev=2048)
    for i, j in blocks(n, rng):
        ct.update_cw(x[i:j], tcw[i:j])
        ct.update_ccw(xc[i:j], tc[i:j])
    c = ct.result()
    assert c.dominant_order == b.dominant_order == 60
    np.testing.assert_allclose(c.cogging_nm, b.cogging_nm, rtol=0, atol=1e-6)   # partial revolution, as above
    assert c.friction_nm == pytest.approx(0.02, rel=1e-6)


def test_efficiency_motor_constants_breakaway_trackers():
    rng = np.random.default_rng(6)
    n = 5000
    t_in = 2 + 0.1 * rng.standard_normal(n)
    w_in = 100 + rng.standard_normal(n)
    tr = EfficiencyTracker()
    for i, j in blocks(n, rng):
        tr.update(t_in[i:j], w_in[i:j], -0.8 * 50 * t_in[i:j], w_in[i:j] / 50)
    r = tr.result()
    assert r.efficiency == pytest.approx(0.8, rel=1e-12)
    assert r.power_in_w == pytest.approx(float(np.mean(t_in * w_in)), rel=1e-12)
    assert r.steady_slice == (0, n)
    me = MotorEfficiencyTracker()
    me.update(np.full(10, 1000.0), np.full(10, 4.5), np.full(10, 200.0))
    assert me.result().efficiency == pytest.approx(0.9)

    i_a = rng.uniform(0, 10, n)
    torque = 0.7 * i_a + 0.1 + 0.01 * rng.standard_normal(n)
    mc = MotorConstantsTracker()
    for i, j in blocks(n, rng):
        mc.update_kt(torque[i:j], i_a[i:j])
    live = mc.result()
    batch = motor_constants(torque_nm=torque, current_a=i_a)
    assert live.kt_nm_a == pytest.approx(batch.kt_nm_a, rel=1e-10)
    assert live.kt_fit.intercept == pytest.approx(batch.kt_fit.intercept, rel=1e-9)
    assert live.kt_fit.r2 == pytest.approx(batch.kt_fit.r2, rel=1e-10)
    assert live.ke_v_s_rad is None

    t = np.linspace(0, 4, n)
    a = np.where(t > 3.3, (t - 3.3) * 0.1, 0.0)
    bt = BreakawayTracker(motion_threshold_rad=1e-3)
    for i, j in blocks(n, rng):
        bt.update(t[i:j], a[i:j])
    ref = breakaway_torque(t, a, motion_threshold_rad=1e-3)
    assert bt.detected and bt.result() == ref
