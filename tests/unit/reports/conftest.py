"""A synthetic recorded run with known arrays for every plot kind (written by the real RunWriter)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.recording import RunWriter, open_run
from bench.sequences import plotdata
from bench.streams import ChannelSpec, SampleBlock

ARCMIN = np.pi / 10800

K1_NM_RAD = 25.0e3  # DOMAIN.md Table A, size 25, ratio 50
TE_HARMONICS = ((1, 5.0e-5, 0.0), (2, 3.0e-5, 0.5), (100, 1.0e-5, 0.0))  # order, amplitude rad, phase


def loop_arrays():
    """A loop 0 → +TN → −TN → +TN with K1 slope and a 0.5 arcmin zero-torque width."""
    tn = 39.0
    up = np.linspace(-tn, tn, 200)
    down = up[::-1]
    half = 0.25 * ARCMIN
    torque = np.concatenate([down, up])
    angle = np.concatenate([down / K1_NM_RAD + half, up / K1_NM_RAD - half])
    return {"torque_nm": torque, "angle_rad": angle, "lost_motion_window_nm": np.array(0.04 * tn),
            "fit_t_start_nm": np.array([0.0]), "fit_t_end_nm": np.array([14.0]),
            "fit_k_nm_rad": np.array([K1_NM_RAD]), "fit_angle0_rad": np.array([0.0]),
            "fit_label": np.array(["K1"])}


def te_arrays(n=4096):
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    te = sum(a * np.sin(k * theta + p) for k, a, p in TE_HARMONICS)
    return theta, te


MEASUREMENTS = [
    {"name": "hysteresis_loss", "value": 0.5 * ARCMIN, "unit": "rad", "low": None, "high": 1.0 * ARCMIN,
     "marginal": 0.1 * ARCMIN, "nominal": None, "outcome": "PASS", "display_unit": "arcmin",
     "description": "loop width at T = 0", "limit_source": "spec csf-25-50.toml", "extra": {}},
    {"name": "lost_motion", "value": 0.97 * ARCMIN, "unit": "rad", "low": None, "high": 1.0 * ARCMIN,
     "marginal": 0.1 * ARCMIN, "nominal": None, "outcome": "MARGINAL", "display_unit": "arcmin",
     "description": "mid-line ±4 % TN", "limit_source": "spec", "extra": {"window_fraction": 0.04}},
    {"name": "stiffness_k1", "value": 19.0e3, "unit": "N·m/rad", "low": 20.0e3, "high": None, "marginal": 2.5e3,
     "nominal": 25.0e3, "outcome": "FAIL", "display_unit": "", "description": "K1 on 0…T1",
     "limit_source": "spec", "extra": {}},
]


def make_run(runs_dir, *, plots=True, errors=(), channels=True, close=True):
    record = {"procedure": "hysteresis", "operator": "R. Tester",
              "unit": {"kind": "reducer", "model": "CSF-25-50-2UH", "type": "CSF-25-50", "serial": "SN-42",
                       "ratio": 50, "rated_torque_nm": 39.0},
              "rig": {"name": "Simulated harmonic-drive bench", "path": "/rigs/sim.toml", "sha256": "ab" * 32},
              "sensors": [{"role": "torque_out", "driver": "t40b", "bus": "rs485", "address": 1,
                           "device": {"serial": "T40-123", "calibration_date": "2026-03-01"}},
                          {"role": "encoder_out", "driver": "cia406", "bus": "can0", "node_id": 3}],
              "parameters": {"ramp_time_s": 20.0, "cycles": 2},
              "sequence": {"name": "hysteresis", "title": "Static torsion loop", "version": "1"}}
    writer = RunWriter.create(runs_dir, record)
    if channels:
        writer.add_channel(ChannelSpec("out.torque_nm", "N·m", rate_hz=1000.0))
        t = np.arange(1000) / 1000.0
        writer.write_block(SampleBlock("out.torque_nm", t, 39.0 * np.sin(2 * np.pi * t)))
    if plots:
        theta, te = te_arrays()
        writer.add_attachment(plotdata.attachment_name("hysteresis"), plotdata.encode("hysteresis", loop_arrays()))
        writer.add_attachment(plotdata.attachment_name("te", "cw"),
                              plotdata.encode("te", {"output_angle_rad": theta, "te_rad": te}))
        speed = np.linspace(10, 300, 8)
        torque = np.linspace(5, 39, 6)
        eta = 0.6 + 0.25 * (torque[:, None] / 39.0) * (1 - 0.3 * speed[None, :] / 300)
        writer.add_attachment(plotdata.attachment_name("efficiency"),
                              plotdata.encode("efficiency", {"speed_rad_s": speed, "torque_nm": torque,
                                                             "efficiency": eta}))
        angle = np.linspace(0, 2 * np.pi, 3600, endpoint=False)
        writer.add_attachment(plotdata.attachment_name("ripple"),
                              plotdata.encode("ripple", {"angle_rad": angle,
                                                         "torque_nm": 10.0 + 0.2 * np.sin(6 * angle)}))
    outcome = "ERROR" if errors else "FAIL"
    writer.update_record(measurements=MEASUREMENTS, errors=list(errors))
    if close:
        writer.close(outcome)
    return open_run(writer.path), writer


@pytest.fixture
def synthetic_run(tmp_path):
    run, _ = make_run(tmp_path / "runs")
    return run


@pytest.fixture
def run_factory():
    """``make_run(runs_dir, plots=, errors=, channels=, close=)`` → (Run, RunWriter)."""
    return make_run


@pytest.fixture
def te_signal():
    """(θ over one revolution, TE, harmonics as (order, amplitude rad, phase))."""
    theta, te = te_arrays()
    return theta, te, TE_HARMONICS
