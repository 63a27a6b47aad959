"""Plot data built from bench.analysis results on known-answer signals, drawn by the report."""

from __future__ import annotations

import numpy as np
import pytest

from bench.sequences import plotdata

analysis = pytest.importorskip("bench.analysis")
ARCMIN = np.pi / 10800

# DOMAIN.md Table B / G2: CSF-17-50, K1 8.1e3, K2 11e3, K3 13e3 N·m/rad, T1 3.9, T2 12, TN 16 N·m
K = (8.1e3, 11e3, 13e3)
T1, T2, TN = 3.9, 12.0, 16.0


def _loop():
    torque = np.concatenate([np.linspace(-TN, TN, 800), np.linspace(TN, -TN, 800), np.linspace(-TN, TN, 800)])
    rising = np.sign(np.gradient(torque))
    twist = np.sign(torque) * analysis.torsion_angle_rad(np.abs(torque), *K, T1, T2)
    return torque, twist - rising * 0.25 * ARCMIN  # loop width 0.5′ at T = 0


def test_from_hysteresis_places_each_fit_on_the_loop():
    torque, angle = _loop()
    result = analysis.hysteresis_loop(torque, angle, rated_torque_nm=TN, lost_motion_window=0.04,
                                      breaks_nm=(T1, T2))
    arrays = plotdata.validate("hysteresis", plotdata.from_hysteresis(result, torque, angle))
    assert float(arrays["lost_motion_window_nm"]) == pytest.approx(0.04 * TN)
    labels = list(arrays["fit_label"])
    assert labels[:2] == ["K+", "K−"] and "K1+" in labels and "K3−" in labels
    for label, k in zip(("K1+", "K2+", "K3+"), K):
        i = labels.index(label)
        assert arrays["fit_k_nm_rad"][i] == pytest.approx(k, rel=5e-3)  # tip held 2 samples (see analysis)
        # the line meets the model's mid-line: at the interval's upper end θ = φ(T) (G2 curve)
        t_end = arrays["fit_t_end_nm"][i]
        theta = arrays["fit_angle0_rad"][i] + t_end / arrays["fit_k_nm_rad"][i]
        assert theta == pytest.approx(float(analysis.torsion_angle_rad(t_end, *K, T1, T2)), abs=0.01 * ARCMIN)
    # G2: φ(TN = 16) = 5.244′ — the drawn loop reaches it (± half the width)
    assert arrays["angle_rad"].max() / ARCMIN == pytest.approx(5.244 + 0.25, abs=0.002)


def test_from_hysteresis_without_raw_data_draws_the_branches():
    torque, angle = _loop()
    result = analysis.hysteresis_loop(torque, angle, rated_torque_nm=TN, lost_motion_window=0.04)
    arrays = plotdata.validate("hysteresis", plotdata.from_hysteresis(result))
    assert arrays["torque_nm"].size == 2 * np.isfinite(result.angle_up_rad).sum()
    assert list(arrays["fit_label"]) == ["K+", "K−"]  # no breaks: one stiffness, both sides


def test_from_transmission_error_keeps_the_analysis_spectrum():
    n = 50.0
    theta_out = np.linspace(0, 2 * np.pi, 20000)
    te = 5e-5 * np.sin(theta_out) + 1e-5 * np.sin(100 * theta_out)
    result = analysis.transmission_error(n * (theta_out - te), theta_out, n)
    arrays = plotdata.validate("te", plotdata.from_transmission_error(result))
    amp = dict(zip(np.round(arrays["orders"], 6), arrays["amplitude_rad"]))
    assert amp[1.0] == pytest.approx(5e-5, rel=0.02) and amp[100.0] == pytest.approx(1e-5, rel=0.02)


def test_from_efficiency_map_gives_the_plotting_grid():
    speed = np.array([10.0, 100.0, 10.0, 100.0, 55.0])
    torque = np.array([5.0, 5.0, 39.0, 39.0, 20.0])
    eta = np.array([0.6, 0.65, 0.8, 0.85, 0.73])
    emap = analysis.efficiency_map(speed, torque, eta, grid_points=(11, 9))
    arrays = plotdata.validate("efficiency", plotdata.from_efficiency_map(emap))
    assert arrays["efficiency"].shape == (9, 11)
    assert arrays["efficiency"][0, 0] == pytest.approx(0.6) and arrays["efficiency"][-1, -1] == pytest.approx(0.85)


def test_from_torque_ripple_draws_the_mean_revolution():
    angle = np.linspace(0, 4 * np.pi, 8000, endpoint=False)
    result = analysis.torque_ripple(10.0 + 0.2 * np.sin(6 * angle), angle)  # 4 % ripple, order 6
    arrays = plotdata.validate("ripple", plotdata.from_torque_ripple(result))
    amp = dict(zip(np.round(arrays["orders"], 6), arrays["amplitude_nm"]))
    assert amp[6.0] == pytest.approx(0.2, rel=0.01)
    assert np.ptp(arrays["torque_nm"]) == pytest.approx(0.4, rel=0.01)
