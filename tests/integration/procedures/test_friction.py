"""Friction procedures on the simulated reducer bench (issue 7): no-load running torque, starting
torque, back-driving torque.

Each procedure must find the plant's true values (``hil_mocks.plant.reducer``, parameters from
``configs/sim_reducer.toml``):

* no-load running torque at input speed ω, output free:
  ``Fc + c·|ω| + (Fc_load + c_load·|ω|/N) / (N·η_mesh)`` — the reducer's Coulomb + viscous friction
  at the input, plus the free load motor's friction dragged through the mesh (0.24 mN·m here);
* starting torque at the input flange: ``Fc`` (the drive motor's own friction is outside the flange)
  plus the same small load-side term;
* back-driving torque: ``N·(Fc + Fc_drive_motor)/η_mesh`` (:func:`reducer.back_driving_torque_nm`).

The simulator runs in real time: test parameters are shorter than the defaults.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from bench.errors import ConfigError
from bench.protocols.cia402 import State, decode_state
from bench.recording import open_run
from bench.rig import Rig
from bench.sequences import Outcome, Verdict, build_parameters, plotdata, run_sequence
from bench.sequences.procedures import (
    PROCEDURES,
    BackDrivingTorque,
    NoLoadTorque,
    StartingTorque,
)
from bench.sequences.procedures.friction import NoLoadTorqueParameters
from bench.units import RPM_RAD_S
from hil_mocks.plant import reducer

ROOT = Path(__file__).resolve().parents[3]
SIM_REDUCER = ROOT / "configs" / "sim_reducer.toml"


@pytest.fixture
def rig_file(tmp_path) -> Path:
    """sim_reducer.toml with its own CAN channel, the spec by absolute path, runs in tmp_path."""
    text = SIM_REDUCER.read_text(encoding="utf-8")
    text, n = re.subn(r'^(channel\s*=\s*)"sim_reducer"', rf'\g<1>"friction_{uuid.uuid4().hex[:10]}"', text,
                      count=1, flags=re.MULTILINE)
    assert n == 1
    spec = re.search(r'^spec\s*=\s*"([^"]*)"', text, flags=re.MULTILINE)
    text = text.replace(spec.group(0), f'spec = "{(SIM_REDUCER.parent / spec.group(1)).resolve()}"')
    text = re.sub(r"(?m)^runs_dir\s*=.*\n", "", text)  # the copy records into the test's folder
    text = f'runs_dir = "{tmp_path / "runs"}"\n' + text
    path = tmp_path / "rig.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _load_side_at_input_nm(plant, input_speed_rad_s: float) -> float:
    """The free load motor's friction as the input feels it through the mesh (driving: /η)."""
    motor = plant.sim.load_motor
    n, eta = plant.ratio, 1.0 - plant.sim.reducer.load_loss_fraction
    return (motor.coulomb_friction_nm + motor.viscous_friction_nm_s_rad * abs(input_speed_rad_s) / n) / (n * eta)


def _plot(result, kind: str, label: str = "") -> plotdata.PlotData:
    """The plot data a procedure attached for the report."""
    return plotdata.decode((result.path / "attachments" / plotdata.attachment_name(kind, label)).read_bytes())


def _assert_drives_off(rig) -> None:
    for role in ("drive_in", "drive_load"):
        assert rig.device(role).state is not State.OPERATION_ENABLED, f"{role} still enabled"


# ---- parameters -----------------------------------------------------------------------------------

def test_speeds_parse_with_units_and_bad_speeds_are_reported():
    params = build_parameters(NoLoadTorqueParameters, {"speeds_rad_s": "500 rpm, 1000rpm", "directions": "reverse"})
    assert params.speeds_rad_s == pytest.approx((500 * math.pi / 30, 1000 * math.pi / 30), rel=1e-12)
    assert params.directions == "reverse"
    with pytest.raises(ConfigError) as err:
        build_parameters(NoLoadTorqueParameters, {"speeds_rad_s": "-100 rpm, 10 Nm"}, sequence="no_load_torque")
    assert "parameters.speeds_rad_s" in str(err.value) and "Nm" in str(err.value)
    with pytest.raises(ConfigError, match="magnitudes > 0"):
        build_parameters(NoLoadTorqueParameters, {"speeds_rad_s": (-10.0, 20.0)})
    assert {"no_load_torque", "starting_torque", "back_driving_torque"} <= set(PROCEDURES)


# ---- no-load running torque -----------------------------------------------------------------------

def test_no_load_torque_follows_the_plant_friction_at_each_speed(rig_file):
    speeds_rpm = (1000.0, 3000.0)
    with Rig.from_config(rig_file) as rig:
        plant = rig.sim.plant
        red = plant.sim.reducer
        result = run_sequence(NoLoadTorque, rig, serial="SN-NL", params={
            "speeds_rad_s": ", ".join(f"{s:g} rpm" for s in speeds_rpm), "settle_s": 0.3, "measure_s": 0.5})
        _assert_drives_off(rig)
    assert result.outcome is Outcome.PASS, result.errors
    worst = result.measurement("no_load_torque")
    points = worst.extra["points"]
    assert [p["direction"] for p in points] == ["forward", "forward", "reverse", "reverse"]
    for point, rpm in zip(points, speeds_rpm * 2):
        sign = 1.0 if point["direction"] == "forward" else -1.0
        assert point["speed_rad_s"] == pytest.approx(sign * rpm * RPM_RAD_S, rel=0.005)
        speed = abs(point["speed_rad_s"])
        true_nm = red.coulomb_friction_nm + red.viscous_friction_nm_s_rad * speed + _load_side_at_input_nm(plant, speed)
        # flange noise averages out over 250 samples; 2 mN·m = 1.2 % of the running torque
        assert sign * point["torque_nm"] == pytest.approx(true_nm, abs=0.002), point
    top = 3000.0 * RPM_RAD_S
    assert worst.value == pytest.approx(red.coulomb_friction_nm + red.viscous_friction_nm_s_rad * top, abs=0.002)
    assert worst.display_unit == "N·cm" and worst.verdict is Verdict.NO_LIMITS  # no catalogue value: trend only
    assert result.measurement("no_load_torque_coulomb").value == pytest.approx(red.coulomb_friction_nm, abs=0.003)
    # the slope over 209 rad/s between the speeds: ±5 % is ±1 mN·m at the top speed
    assert result.measurement("no_load_viscous").value == pytest.approx(red.viscous_friction_nm_s_rad, rel=0.05)
    table = list(csv.DictReader(io.StringIO(open_run(result.path).attachments["no_load_torque.csv"].read_text())))
    assert len(table) == 4 and float(table[1]["speed_rpm"]) == pytest.approx(3000.0, rel=0.005)
    # the report's plot: the measured points and the fitted line of the results
    plot = _plot(result, "no_load")
    np.testing.assert_allclose(plot.arrays["torque_nm"], [p["torque_nm"] for p in points], atol=1e-6)
    assert float(plot.arrays["fit_coulomb_nm"]) == result.measurement("no_load_torque_coulomb").value
    assert float(plot.arrays["fit_viscous_nm_s_rad"]) == result.measurement("no_load_viscous").value


def test_no_load_speed_above_the_bench_limit_is_an_error_before_motion(rig_file):
    with Rig.from_config(rig_file) as rig:  # [limits] speed_rad_s = 350: 3500 rpm (366.5 rad/s) is beyond it
        result = run_sequence(NoLoadTorque, rig, params={"speeds_rad_s": "3500 rpm, 500 rpm"})
        assert abs(rig.sim.plant.input_speed_rad_s) < 1e-9
    assert result.outcome is Outcome.ERROR
    assert "speeds_rad_s" in result.errors[0]["message"] and "350" in result.errors[0]["message"]


# ---- starting and back-driving torque -------------------------------------------------------------

def test_starting_torque_is_the_reducer_coulomb_friction_at_the_input(rig_file):
    with Rig.from_config(rig_file) as rig:
        plant = rig.sim.plant
        result = run_sequence(StartingTorque, rig, serial="SN-ST")  # 0.05 N·m/s
        _assert_drives_off(rig)
    assert result.outcome is Outcome.PASS, result.errors
    m = result.measurement("starting_torque")
    true_nm = plant.sim.reducer.coulomb_friction_nm + _load_side_at_input_nm(plant, 0.0)
    # ±5 mN·m (3 %): set points in steps of 1 ‰ of the drive's 1.3 N·m rated torque, flange noise left
    # after smoothing, and the skew between flange and drive timestamps on a busy host (50 ms at
    # 0.05 N·m/s is 2.5 mN·m)
    assert m.value == pytest.approx(true_nm, abs=0.005)
    assert 0.15 <= m.value <= 0.16
    ramps = m.extra["ramps"]
    assert [r["direction"] for r in ramps] == ["forward", "reverse"] and all(r["moved"] for r in ramps)
    assert ramps[0]["torque_nm"] > 0 > ramps[1]["torque_nm"]
    assert abs(ramps[1]["torque_nm"]) == pytest.approx(ramps[0]["torque_nm"], abs=0.005)
    assert m.verdict is Verdict.PASS and m.high == pytest.approx(0.20) and m.nominal == pytest.approx(0.15)
    plot = _plot(result, "breakaway", "starting")  # the ramps as the breakaway was decided on them
    assert plot.arrays["breakaway_torque_nm"].tolist() == [r["torque_nm"] for r in ramps]
    assert [s.stop - s.start > 10 for s in plotdata.ramp_slices(plot.arrays["direction"])] == [True, True]
    assert str(plot.arrays["torque_channel"]) == "torque_in.torque_nm"


def test_back_driving_torque_is_n_times_input_friction_over_mesh_efficiency(rig_file):
    with Rig.from_config(rig_file) as rig:
        plant = rig.sim.plant
        true_nm = reducer.back_driving_torque_nm(plant.sim.reducer, plant.ratio,
                                                 plant.sim.drive_motor.coulomb_friction_nm)
        result = run_sequence(BackDrivingTorque, rig, serial="SN-BD")  # 2 N·m/s
        _assert_drives_off(rig)
        out_angle = abs(rig.sim.plant.output_angle_rad)
    assert true_nm == pytest.approx(9.41, abs=0.01)
    assert result.outcome is Outcome.PASS, result.errors
    m = result.measurement("back_driving_torque")
    # ±2.5 %: 1 ‰ of the load motor's 40 N·m rated torque is a 0.04 N·m set-point step, the ramp goes on
    # until the motion is seen, and flange and drive timestamps skew by up to ~50 ms on a busy host
    # (0.1 N·m at 2 N·m/s)
    assert m.value == pytest.approx(true_nm, rel=0.025)
    ramps = m.extra["ramps"]
    assert ramps[0]["torque_nm"] == pytest.approx(true_nm, rel=0.025)
    assert ramps[1]["torque_nm"] == pytest.approx(-true_nm, rel=0.025)
    assert all(r["mean_rate_nm_s"] <= 2.0 * 1.01 for r in ramps)  # never faster than asked
    plot = _plot(result, "breakaway", "back-driving")
    assert plot.arrays["breakaway_torque_nm"].tolist() == [r["torque_nm"] for r in ramps]
    assert str(plot.arrays["torque_channel"]) == "torque_out.torque_nm"
    assert m.verdict is Verdict.PASS and m.unit == "N·m"
    assert out_angle < 1.0  # the output turned a little, forward then back


def test_no_motion_up_to_the_maximum_torque_fails_with_an_infinite_value(rig_file):
    with Rig.from_config(rig_file) as rig:
        start = rig.sim.plant.input_angle_rad
        result = run_sequence(StartingTorque, rig, params={"max_torque_nm": 0.08, "ramp_time_s": 0.4,
                                                           "directions": "forward"})
        assert rig.sim.plant.input_angle_rad == pytest.approx(start, abs=1e-4)  # 0.08 < 0.15 N·m: never turned
    m = result.measurement("starting_torque")
    assert result.outcome is Outcome.FAIL and not result.errors
    assert math.isinf(m.value) and m.verdict is Verdict.INVALID
    assert m.extra["ramps"][0]["moved"] is False
    assert m.extra["ramps"][0]["set_point_at_end_nm"] == pytest.approx(0.08, rel=1e-6)
    plot = _plot(result, "breakaway", "starting")  # the ramp is drawn, without a breakaway mark
    assert plot.arrays["breakaway_torque_nm"].tolist() == [math.inf]
    assert np.isnan(plot.arrays["breakaway_time_s"]).all() and set(plot.arrays["direction"].tolist()) == {1}


# ---- the CLI and aborts ---------------------------------------------------------------------------

def test_bench_run_json_exit_code_zero(rig_file, tmp_path):
    runs = tmp_path / "cli_runs"
    proc = subprocess.run([sys.executable, "-m", "bench.cli", "run", "starting_torque", "--rig", str(rig_file),
                           "--json", "--runs-dir", str(runs), "--serial", "SN-CLI",
                           "--set", "ramp_time_s=10000ms", "--set", "directions=forward"],
                          capture_output=True, text=True, timeout=90, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    assert out["outcome"] == "PASS"
    (m,) = out["measurements"]
    assert m["name"] == "starting_torque" and m["unit"] == "N·m" and m["display_unit"] == "N·cm"
    assert m["value"] == pytest.approx(0.15, abs=0.005)
    assert m["display_value"] == pytest.approx(100 * m["value"])
    assert open_run(out["path"]).outcome == "PASS"


@pytest.mark.parametrize("procedure, params", [
    (NoLoadTorque, {"speeds_rad_s": "1000 rpm, 2000 rpm", "settle_s": 0.3, "measure_s": 0.5}),
    (StartingTorque, {"ramp_time_s": 5.0}),
    (BackDrivingTorque, {"ramp_time_s": 10.0}),
], ids=["no_load_torque", "starting_torque", "back_driving_torque"])
def test_abort_midway_disables_drives_and_keeps_the_samples(rig_file, procedure, params):
    abort = threading.Event()
    seen = []

    def on_progress(progress):  # called in the sequence's thread: abort once the first ramp is under way
        seen.append(progress.fraction)
        if progress.fraction >= 0.1:
            abort.set()

    with Rig.from_config(rig_file) as rig:
        result = run_sequence(procedure, rig, params=params, abort_event=abort, on_progress=on_progress)
        _assert_drives_off(rig)
        states = {role: rig.device(role).state for role in ("drive_in", "drive_load")}
    assert result.outcome is Outcome.ABORTED
    assert all(s is State.SWITCH_ON_DISABLED for s in states.values()), states
    assert max(seen) < 0.95  # it was stopped midway, not at the end
    run = open_run(result.path)
    assert run.outcome == "ABORTED"
    t, torque = run.read("torque_in.torque_nm" if procedure is not BackDrivingTorque else "torque_out.torque_nm")
    assert len(t) > 100 and np.all(np.isfinite(torque))
    if procedure is NoLoadTorque:  # the input was running at 1000 rpm when the abort came
        _, speed = run.read("drive_in.velocity_rad_s")
        assert np.max(np.abs(speed)) > 0.9 * 1000 * RPM_RAD_S
    else:  # the ramp had begun
        assert np.max(np.abs(torque)) > (0.05 if procedure is StartingTorque else 3.0)


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="needs POSIX signals")
def test_ctrl_c_during_bench_run_no_load_torque(rig_file, tmp_path):
    runs = tmp_path / "sigint_runs"
    proc = subprocess.Popen([sys.executable, "-m", "bench.cli", "run", "no_load_torque", "--rig", str(rig_file),
                             "--runs-dir", str(runs), "--set", "speeds_rad_s=1000rpm,2000rpm",
                             "--set", "settle_s=0.3", "--set", "measure_s=0.5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        lines = []
        deadline = time.monotonic() + 30.0
        while not any("forward 1000 rpm" in line for line in lines):  # progress lines (stdout is no tty)
            assert time.monotonic() < deadline and proc.poll() is None, ("".join(lines), proc.stderr.read())
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if ready:
                lines.append(proc.stdout.readline())
        time.sleep(0.5)  # the input reaches 1000 rpm in 0.21 s at 500 rad/s²
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=5)
    assert proc.returncode == 2, err
    assert "Traceback" not in err and "outcome: ABORTED" in out
    (path,) = [p for p in runs.iterdir() if p.is_dir()]
    run = open_run(path)
    assert run.complete and run.outcome == "ABORTED"
    for role in ("drive_in", "drive_load"):
        _, sw = run.read(f"{role}.statusword")
        assert decode_state(int(sw[-1])) is State.SWITCH_ON_DISABLED, role
    _, sw = run.read("drive_in.statusword")
    assert State.OPERATION_ENABLED in {decode_state(int(v)) for v in sw}
    _, speed = run.read("drive_in.velocity_rad_s")
    assert np.max(speed) > 0.9 * 1000 * RPM_RAD_S and abs(speed[-1]) < np.max(speed)
