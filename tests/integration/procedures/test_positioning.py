"""The positioning procedure on the simulated CSF-25-50-like bench finds what the plant predicts.

Plant (``hil_mocks.plant.reducer``): θ_out = θ_in/N + e(θ_in/N) + δ, with e the kinematic TE
(configured harmonics, orders 1, 2 and 100 in configs/sim_reducer.toml) and δ the twist. Positioned
one way under a constant load, every reading rests on the same flank after the same move, so δ is the
same constant and the deviation from the datum is e(θ_in,cmd/N) − e(at the datum): one-way
positioning accuracy is the largest |·| of that over the readings; repeated readings agree far better
than the spec's ±0.1 arcmin. The bench runs in real time: 6 targets × 2 cycles keep the test short and
still run every step (pre-position, approach, settle, average, next cycle one revolution further).
"""

from __future__ import annotations

import csv
import io
import math
import re
import uuid
from pathlib import Path

import numpy as np
import pytest

from bench.protocols.cia402 import State
from bench.recording import open_run
from bench.rig import Rig
from bench.sequences import Outcome, Verdict, run_sequence
from bench.sequences.procedures import PROCEDURES, Positioning
from bench.units import arcmin_to_rad
from hil_mocks.plant import reducer

ROOT = Path(__file__).resolve().parents[3]
SIM_REDUCER = ROOT / "configs" / "sim_reducer.toml"
POSITIONS, CYCLES = 6, 2


@pytest.fixture
def rig_file(tmp_path) -> Path:
    """sim_reducer.toml with its own CAN channel, the spec by absolute path, runs in tmp_path."""
    text = SIM_REDUCER.read_text(encoding="utf-8")
    text, n = re.subn(r'(?m)^(channel\s*=\s*)"sim_reducer"', rf'\g<1>"positioning_{uuid.uuid4().hex[:10]}"',
                      text, count=1)
    assert n == 1
    text = re.sub(r'(?m)^spec\s*=\s*"\.\./specs/', f'spec = "{ROOT.as_posix()}/specs/', text, count=1)
    text = re.sub(r"(?m)^runs_dir\s*=.*$", f'runs_dir = "{(tmp_path / "runs").as_posix()}"', text, count=1)
    path = tmp_path / "rig.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_positioning_finds_the_plant_te_and_repeats_within_the_spec(rig_file, tmp_path):
    assert PROCEDURES["positioning"] is Positioning
    with Rig.from_config(rig_file) as rig:
        profile_before = rig.device("drive_in").read_profile()
        result = run_sequence(Positioning, rig, serial="SN-POS", runs_dir=tmp_path / "runs",
                              params={"positions": POSITIONS, "cycles": CYCLES,
                                      "profile_speed_rad_s": "800 rpm", "profile_acceleration_rad_s2": "8000 rpm/s"})
        # the procedure set its own trapezoid and put the drive's back
        assert rig.device("drive_in").read_profile() == pytest.approx(profile_before, rel=1e-6)
        for role in ("drive_in", "drive_load"):
            assert rig.device(role).state is not State.OPERATION_ENABLED, f"{role} still enabled"
        # the drive's angle and the plant's input angle differ by a constant (both at rest now)
        drive_to_plant_rad = rig.sim.plant.input_angle_rad - rig.device("drive_in").read_angle_rad()
        red, ratio = rig.config.sim.reducer, rig.config.unit.ratio
    assert result.outcome is Outcome.PASS, result.errors

    rep = result.measurement("repeatability")
    assert rep.verdict in (Verdict.PASS, Verdict.MARGINAL)  # the spec's limit applies (Table A: ±0.1′)
    assert rep.high == pytest.approx(arcmin_to_rad(0.1)) and "spec" in rep.limit_source
    assert 0.0 <= rep.value <= arcmin_to_rad(0.1)
    assert rep.extra["cycles"] == CYCLES and len(rep.extra["half_spread_rad"]) == POSITIONS

    record = open_run(result.path)
    assert "plot_positioning.npz" in record.attachments  # the report draws the deviations from it
    rows = list(csv.DictReader(io.StringIO(record.attachments["positioning.csv"].read_text())))
    assert len(rows) == POSITIONS * CYCLES
    assert [(int(r["cycle"]), int(r["position"])) for r in rows] == [
        (c + 1, k + 1) for c in range(CYCLES) for k in range(POSITIONS)]
    assert float(rows[POSITIONS + 1]["commanded_output_rad"]) == pytest.approx(2 * math.pi * (1 + 1 / POSITIONS))

    # plant prediction at each reading: TE at the commanded input angle minus TE at the datum
    te = np.array([reducer.transmission_error_rad(red, (float(r["commanded_input_rad"]) + drive_to_plant_rad) / ratio)
                   for r in rows])
    expected = te - te[0]
    measured = np.array([float(r["deviation_rad"]) for r in rows])
    # encoder noise averaged over 200 samples and the drive's residual position error: well below 0.05′
    np.testing.assert_allclose(measured, expected, rtol=0, atol=arcmin_to_rad(0.05))
    accuracy = result.measurement("positioning_accuracy")
    assert accuracy.verdict is Verdict.NO_LIMITS  # JIS one-way accuracy is for actuators: no catalogue limit
    assert accuracy.value == pytest.approx(np.abs(expected).max(), abs=arcmin_to_rad(0.05))
    # the TE amplitudes bound it: |e(a) − e(b)| ≤ 2·Σ amplitudes, and the run saw a real part of it
    bound = 2 * sum(h.amplitude for h in red.transmission_error)
    assert arcmin_to_rad(0.1) < accuracy.value <= bound

    _, angle = record.read("encoder_out.angle_rad")  # forward only, one output revolution per cycle
    assert np.ptp(angle) == pytest.approx(CYCLES * 2 * math.pi, abs=0.2)
