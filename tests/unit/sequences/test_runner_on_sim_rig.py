"""The runner on the real Rig of configs/sim_reducer.toml (simulators over the virtual CAN bus).

The other runner tests use a fake rig; this one checks the seam with the lead's Rig: its hub feeds the
recorder, its safe_state()/raise_if_tripped() are what the runner calls, and nothing is left running.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.recording import open_run
from bench.sequences import Measurement, Outcome, Sequence, run_sequence

rig_module = pytest.importorskip("bench.rig")


class IdleAngle(Sequence):
    name = "idle_angle"
    title = "Output angle at rest"
    measurements = (Measurement("angle_mean", unit="rad", display_unit="arcmin"),)

    def run(self, ctx):
        sub = ctx.subscribe(["encoder_out.angle_rad"])
        blocks = []

        def enough() -> bool:
            blocks.extend(sub.drain())
            return len(blocks) >= 20

        ctx.wait_until(enough, timeout_s=5.0, what="20 blocks of encoder_out.angle_rad")
        values = np.concatenate([b.values for b in blocks])
        ctx.measure("angle_mean", float(np.mean(values)), samples=int(values.size))


def test_runner_records_the_simulated_rig(tmp_path, rig_config, spec_path):
    with rig_module.Rig.from_config(rig_config) as rig:
        result = run_sequence(IdleAngle, rig, runs_dir=tmp_path / "runs", serial="SIM-1", spec=spec_path)
    assert result.outcome is Outcome.PASS, result.errors
    run = open_run(result.path)
    assert run.complete and run.record["unit"]["type"] == "CSF-25-50"
    t, angle = run.read("encoder_out.angle_rad")
    assert len(t) >= 20 and np.all(np.diff(t) > 0)
    # at rest the output stays within a few arcmin of zero (no torque applied)
    assert abs(result.measurement("angle_mean").display_value) < 5.0
    assert result.measurement("angle_mean").extra["samples"] >= 20
    assert any("safe state" in e["message"] for e in run.record["log"])
