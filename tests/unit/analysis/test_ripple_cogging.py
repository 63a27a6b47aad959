"""torque_ripple and cogging_torque on signals with known orders (DOMAIN.md §4, G8): within 1 %."""

import math

import numpy as np
import pytest

from bench.analysis import cogging_torque, torque_ripple

TWO_PI = 2 * math.pi
# 12 slots / 10 poles → cogging at LCM = 60 cycles/rev (G8); 6·p = 30 electrical-related order
RIPPLE = [(6, 0.08, 0.3), (30, 0.05, 1.0), (60, 0.02, -0.5)]   # (order, amplitude N·m, phase)
T_MEAN = 2.0


def ripple_true(x):
    return T_MEAN + sum(a * np.cos(k * x + p) for k, a, p in RIPPLE)


def amp_at(orders, amps, k):
    i = int(np.flatnonzero(orders == k)[0])
    return amps[i]


@pytest.mark.parametrize("direction", [1, -1])
def test_ripple_known_orders(direction):
    rng = np.random.default_rng(1)
    n = 200_000
    u = np.linspace(0, 1, n)
    x = 0.7 + direction * TWO_PI * 4.3 * (u + 0.02 * np.sin(TWO_PI * u))
    # plus content that is not synchronous with the revolution (order 2.5) and noise
    t = ripple_true(x) + 0.05 * np.cos(2.5 * x) + 0.002 * rng.standard_normal(n)
    r = torque_ripple(t, x)
    assert r.n_revs == 4
    dense = ripple_true(np.linspace(0, TWO_PI, 1_000_001))
    pp = dense.max() - dense.min()
    assert r.mean_nm == pytest.approx(T_MEAN, rel=0.01)
    assert r.peak_to_peak_nm == pytest.approx(pp, rel=0.01)
    assert r.ripple_pct == pytest.approx(pp / T_MEAN * 100, rel=0.01)
    rms = math.sqrt(sum(a * a / 2 for _, a, _ in RIPPLE))
    assert r.rms_ripple_pct == pytest.approx(rms / T_MEAN * 100, rel=0.01)
    for k, a, _ in RIPPLE:
        assert amp_at(r.orders, r.amplitudes_nm, k) == pytest.approx(a, rel=0.01)
    # the mean revolution is in absolute angle (index 0 = 0 rad mod 2π)
    np.testing.assert_allclose(r.torque_avg_nm, ripple_true(r.angle_rad), atol=0.004)


def _plain_cell_average(t, x, m):
    """Reference: each grid angle's cell [g − step/2, g + step/2) of each whole revolution, by a
    plain scan over the samples, then the mean over revolutions."""
    step = TWO_PI / m
    k0 = math.ceil((x[0] + step / 2) / step - 1e-9)
    revs = math.floor((x[-1] - (k0 - 0.5) * step) / TWO_PI + 1e-9)
    out = [0.0] * m
    for r in range(revs):
        for j in range(m):
            g = (k0 + r * m + j) * step
            inside = [ti for ti, xi in zip(t, x) if g - step / 2 <= xi < g + step / 2]
            out[(k0 + j) % m] += sum(inside) / len(inside) / revs
    return out


def _plain_sync_average(t, x, m):
    """Reference: for each grid angle of each whole revolution, scan for the bracketing samples."""
    step = TWO_PI / m
    k0 = math.ceil(x[0] / step - 1e-9)
    revs = math.floor((x[-1] - k0 * step) / TWO_PI + 1e-9)
    out = [0.0] * m
    i = 0
    for r in range(revs):
        for j in range(m):
            g = (k0 + r * m + j) * step
            while x[i + 1] < g:
                i += 1
            f = (g - x[i]) / (x[i + 1] - x[i])
            out[(k0 + j) % m] += (t[i] + f * (t[i + 1] - t[i])) / revs
    return out


@pytest.mark.parametrize("seed", range(3))
def test_ripple_against_plain_loop_on_random_records(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    x = np.cumsum(rng.uniform(0.2, 1.8, n))
    x = rng.uniform(-5, 5) + x / x[-1] * TWO_PI * rng.uniform(1.1, 2.9)
    t = 3.0 + rng.normal(0, 0.1, n)
    sparse = torque_ripple(t, x, points_per_rev=1024)      # < 4 samples per cell: interpolated
    assert not sparse.cell_averaged
    np.testing.assert_allclose(sparse.torque_avg_nm, _plain_sync_average(t.tolist(), x.tolist(), 1024),
                               rtol=1e-12, atol=1e-12)
    dense = torque_ripple(t, x, points_per_rev=32)          # many samples per cell: cell means
    assert dense.cell_averaged
    np.testing.assert_allclose(dense.torque_avg_nm, _plain_cell_average(t.tolist(), x.tolist(), 32),
                               rtol=1e-12, atol=1e-12)


def test_ripple_errors():
    x = np.linspace(0, 5.0, 1000)
    with pytest.raises(ValueError, match="revolution"):
        torque_ripple(np.ones(1000), x)
    x = np.linspace(0, 20.0, 1000)
    with pytest.raises(ValueError, match="is zero against"):
        torque_ripple(np.cos(x), x, points_per_rev=256)
    with pytest.raises(ValueError, match="mismatched"):
        torque_ripple(np.ones(999), x)


COG = [(60, 0.015, 0.2), (120, 0.004, 1.3)]
FRICTION_NM = 0.03
OFFSET_NM = 0.002


def cog_true(x):
    return sum(a * np.sin(k * x + p) for k, a, p in COG)


def test_cogging_known_orders_and_friction():
    rng = np.random.default_rng(2)
    n = 150_000
    x_cw = np.linspace(0.1, 0.1 + TWO_PI * 2.2, n)
    x_ccw = np.linspace(0.1 + TWO_PI * 2.5, 0.2, n)
    t_cw = cog_true(x_cw) + FRICTION_NM + OFFSET_NM + 0.0005 * rng.standard_normal(n)
    t_ccw = cog_true(x_ccw) - FRICTION_NM + OFFSET_NM + 0.0005 * rng.standard_normal(n)
    r = cogging_torque(x_cw, t_cw, x_ccw, t_ccw)
    assert r.dominant_order == 60
    for k, a, _ in COG:
        assert amp_at(r.orders, r.amplitudes_nm, k) == pytest.approx(a, rel=0.01)
    dense = cog_true(np.linspace(0, TWO_PI, 1_000_001))
    assert r.peak_to_peak_nm == pytest.approx(dense.max() - dense.min(), rel=0.01)
    assert r.friction_nm == pytest.approx(FRICTION_NM, rel=0.01)
    np.testing.assert_allclose(r.cogging_nm, cog_true(r.angle_rad) + OFFSET_NM, atol=5e-4)
    assert (r.n_revs_cw, r.n_revs_ccw) == (2, 2)


def test_cogging_needs_both_directions_and_whole_revs():
    x = np.linspace(0, 15, 5000)
    with pytest.raises(ValueError, match="same way"):
        cogging_torque(x, np.sin(60 * x), x, np.sin(60 * x))
    with pytest.raises(ValueError, match="angle_ccw_rad.*revolution"):
        cogging_torque(x, np.sin(60 * x), x[::-1][:1000], np.zeros(1000))
