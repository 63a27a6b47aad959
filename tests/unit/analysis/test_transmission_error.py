"""transmission_error on records with known harmonics (DOMAIN.md §2.3): p-p and each harmonic
amplitude within 1 %."""

import math

import numpy as np
import pytest
from analysis_synth import ENCODER_29BIT_RAD

from bench.analysis import transmission_error
from bench.units import ARCMIN_RAD, ARCSEC_RAD

TWO_PI = 2 * math.pi
# strain wave example of DOMAIN.md §2.3: ratio 100 → WG lines at output orders 100 and 200;
# order 1 = run-out. Amplitudes in rad, phases in rad.
HARMONICS = [(1, 0.30 * ARCMIN_RAD, 0.4), (2, 0.10 * ARCMIN_RAD, 1.1), (100, 0.05 * ARCMIN_RAD, 2.0),
             (200, 0.12 * ARCMIN_RAD, -0.7)]


def te_true(x):
    return sum(a * np.sin(k * x + p) for k, a, p in HARMONICS)


def record(n, revs, ratio, start=0.3, direction=1, quantise=True):
    """Output angle at uneven speed; input angle = N·(θ_out − TE(θ_out)), both encoders 29 bit."""
    u = np.linspace(0.0, 1.0, n)
    x = start + direction * TWO_PI * revs * (u + 0.03 * np.sin(TWO_PI * 3 * u) / (TWO_PI * 3))
    a_out = x
    a_in = ratio * (x - te_true(direction * x))
    if quantise:
        q = ENCODER_29BIT_RAD
        a_out = np.round(a_out / q) * q
        a_in = np.round(a_in / q) * q
    return a_in, a_out


def expected_pp():
    x = np.linspace(0, TWO_PI, 2_000_001)
    v = te_true(x)
    return v.max() - v.min()


def amplitude_at(res, order):
    i = int(np.argmin(np.abs(res.orders - order)))
    assert res.orders[i] == pytest.approx(order)
    return res.amplitudes_rad[i]


@pytest.mark.parametrize("ratio, revs", [(100.0, 1.0), (100.0, 2.7), (-121.0, 1.2), (50.0, 3.0)])
def test_known_harmonics(ratio, revs):
    a_in, a_out = record(400_000, revs, ratio)
    r = transmission_error(a_in, a_out, ratio)
    assert r.n_revs == int(revs)
    assert r.peak_to_peak_rad == pytest.approx(expected_pp(), rel=0.01)
    for k, amp, _ in HARMONICS:
        assert amplitude_at(r, k) == pytest.approx(amp, rel=0.01)
    # nothing at orders that are not in the signal
    others = np.ones(r.orders.size, bool)
    for k, _, _ in HARMONICS:
        others &= np.abs(r.orders - k) > 0.5
    assert r.amplitudes_rad[others].max() < 0.005 * ARCMIN_RAD
    assert abs(r.te_rad.mean()) < 1e-12
    np.testing.assert_allclose(r.te_rad, te_true(r.output_angle_rad) - te_true(r.output_angle_rad).mean(),
                               atol=0.2 * ARCSEC_RAD)


def test_reverse_rotation():
    a_in, a_out = record(300_000, 1.5, 80.0, direction=-1)
    r = transmission_error(a_in, a_out, 80.0)
    assert r.direction == -1
    assert np.all(np.diff(r.output_angle_rad) < 0)
    assert r.peak_to_peak_rad == pytest.approx(expected_pp(), rel=0.01)
    assert amplitude_at(r, 200) == pytest.approx(0.12 * ARCMIN_RAD, rel=0.01)


@pytest.mark.parametrize("m, averaged", [(4096, True), (32768, False)])
def test_grid_covers_whole_revolutions(m, averaged):
    a_in, a_out = record(100_000, 2.4, 100.0, quantise=False)   # 41,700 samples per revolution
    r = transmission_error(a_in, a_out, 100.0, points_per_rev=m)
    assert r.points_per_rev == m and r.output_angle_rad.size == 2 * m
    assert r.cell_averaged is averaged
    # interpolated: the grid starts at the first sample; averaged: at the first cell's centre
    assert r.output_angle_rad[0] == pytest.approx(a_out[0] + (0.5 * TWO_PI / m if averaged else 0.0))
    step = np.diff(r.output_angle_rad)
    np.testing.assert_allclose(step, TWO_PI / m, rtol=1e-9)
    assert r.peak_to_peak_rad == pytest.approx(expected_pp(), rel=0.01)
    assert amplitude_at(r, 200) == pytest.approx(0.12 * ARCMIN_RAD, rel=0.01)


# A second, slow, obviously correct implementation: TE at each raw sample, then each order's
# Fourier coefficient by the trapezoid rule over whole output revolutions, in a plain loop.
def _reference_amplitude(a_in, a_out, ratio, order):
    x0 = a_out[0]
    end = x0 + TWO_PI * math.floor((a_out[-1] - x0) / TWO_PI)
    c = s = 0.0
    prev = None
    for ti, to in zip(a_in, a_out):
        if to > end:
            break
        te = to - ti / ratio
        cur = (to, te * math.cos(order * (to - x0)), te * math.sin(order * (to - x0)))
        if prev is not None:
            dx = cur[0] - prev[0]
            c += 0.5 * dx * (cur[1] + prev[1])
            s += 0.5 * dx * (cur[2] + prev[2])
        prev = cur
    span = end - x0
    return 2 * math.hypot(c, s) / span


@pytest.mark.parametrize("seed", range(3))
def test_against_plain_loop_fourier_on_random_records(seed):
    rng = np.random.default_rng(seed)
    ratio = float(rng.choice([-1, 1]) * rng.uniform(30, 160))
    n = 20_000
    x = np.cumsum(rng.uniform(0.5, 1.5, n))
    x = 0.1 + x / x[-1] * TWO_PI * rng.uniform(1.05, 2.9)
    te = rng.normal(0, 1e-4, 8)
    a_out = x
    a_in = ratio * (x - sum(te[k] * np.cos((k + 1) * x + k) for k in range(8)))
    r = transmission_error(a_in, a_out, ratio, points_per_rev=8192)
    for order in (1, 2, 5, 8):
        ref = _reference_amplitude(a_in.tolist(), a_out.tolist(), ratio, order)
        assert amplitude_at(r, order) == pytest.approx(ref, rel=2e-3, abs=1e-8)


def test_less_than_one_revolution():
    a_in, a_out = record(10_000, 0.9, 100.0)
    with pytest.raises(ValueError, match="0.9 revolutions"):
        transmission_error(a_in, a_out, 100.0)


def test_reversal_is_refused():
    x = np.concatenate((np.linspace(0, 8, 5000), np.linspace(8, 7, 500)[1:]))
    with pytest.raises(ValueError, match="reverses"):
        transmission_error(100 * x, x, 100.0)


def test_wrapped_angle_is_named():
    x = np.linspace(0, 3.3 * TWO_PI, 9000)
    with pytest.raises(ValueError, match="unwrap"):
        transmission_error(100 * x, np.mod(x, TWO_PI), 100.0)


def test_ratio_zero_and_nan_and_lengths():
    a_in, a_out = record(10_000, 1.5, 100.0)
    with pytest.raises(ValueError, match="ratio"):
        transmission_error(a_in, a_out, 0.0)
    with pytest.raises(ValueError, match="mismatched"):
        transmission_error(a_in[:-3], a_out, 100.0)
    a_in[7] = np.nan
    with pytest.raises(ValueError, match="angle_in_rad.*index 7"):
        transmission_error(a_in, a_out, 100.0)
