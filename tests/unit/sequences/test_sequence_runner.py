"""The runner end to end on a fake rig: outcomes, teardown/safe state, abort, record, streams, index."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from bench.errors import ConfigError
from bench.recording import RunIndex, open_run
from bench.sequences import (
    Measurement,
    Outcome,
    Sequence,
    Verdict,
    load_spec,
    run_sequence,
)
from bench.streams import ChannelSpec, SampleBlock
from bench.units import arcmin_to_rad

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class LoopParameters:
    loss_arcmin_fraction: float = 0.5  # what the fake procedure "measures", as a fraction of 1 arcmin
    dwell_s: float = 0.0
    cycles: int = 1
    fail_in: str = ""  # "setup", "run" or "teardown": raise there


class FakeLoop(Sequence):
    """Measures what its parameters say, publishes a known ramp on a channel, attaches a file."""

    name = "fake_loop"  # not a real procedure name: the spec has parameters for "hysteresis"
    title = "fake loop"
    Parameters = LoopParameters
    measurements = (
        Measurement("hysteresis_loss", unit="rad", display_unit="arcmin", description="loop width at T = 0"),
        Measurement("stiffness_k1", unit="N·m/rad", display_unit="Nm/arcmin"),
    )
    events: list[str] = []

    def setup(self, ctx):
        self.events.append("setup")
        if ctx.params.fail_in == "setup":
            raise RuntimeError("drive_in did not enable")

    def run(self, ctx):
        self.events.append("run")
        ctx.hub.register(ChannelSpec("out.torque_nm", "N·m", rate_hz=1000.0))
        t = np.arange(100) / 1000.0
        ctx.hub.publish(SampleBlock("out.torque_nm", t, 0.39 * np.arange(100)))
        ctx.progress(0.5, "loading")
        ctx.wait(ctx.params.dwell_s)
        if ctx.params.fail_in == "run":
            raise ValueError("loop did not close")
        ctx.attach("notes.txt", b"fake")
        ctx.measure("hysteresis_loss", arcmin_to_rad(ctx.params.loss_arcmin_fraction), window_fraction=0.04)
        ctx.measure("stiffness_k1", 25.0e3)

    def teardown(self, ctx):
        self.events.append("teardown")
        ctx.rig.calls.append("teardown")
        if ctx.params.fail_in == "teardown":
            raise OSError("drive_load unreachable")


@pytest.fixture(autouse=True)
def _clear_events():
    FakeLoop.events = []


def test_pass_run_writes_a_complete_record(rig, tmp_path, spec_path):
    progress = []
    result = run_sequence(FakeLoop, rig, spec=spec_path, serial="SN-0001", operator="tester",
                          runs_dir=tmp_path / "runs", on_progress=progress.append)
    assert result.outcome is Outcome.PASS
    assert FakeLoop.events == ["setup", "run", "teardown"]
    assert rig.calls.index("teardown") < rig.calls.index("safe_state")  # teardown, then the safe state
    run = open_run(result.path)
    rec = run.record
    assert run.complete and rec["outcome"] == "PASS" and rec["run_id"] == result.run_id
    assert rec["procedure"] == "fake_loop" and rec["operator"] == "tester"
    assert rec["unit"]["serial"] == "SN-0001" and rec["unit"]["type"] == "CSF-25-50"
    assert rec["rig"]["sha256"] == rig.config.sha256 and len(rec["rig"]["sha256"]) == 64
    assert rec["spec"]["type"] == "CSF-25-50" and len(rec["spec"]["sha256"]) == 64
    assert rec["parameters"] == {"loss_arcmin_fraction": 0.5, "dwell_s": 0.0, "cycles": 1, "fail_in": ""}
    assert {s["role"] for s in rec["sensors"]} >= {"drive_in", "drive_load", "encoder_out", "torque_out"}
    flange = next(s for s in rec["sensors"] if s["role"] == "torque_out")
    assert flange["device"]["calibration_date"] == "2026-03-01"  # from the driver's describe()
    by_name = {m["name"]: m for m in rec["measurements"]}
    loss = by_name["hysteresis_loss"]
    assert loss["value"] == pytest.approx(0.5 * 2.908882e-4, rel=1e-6)  # DOMAIN.md §0: 1′ = 2.908882e-4 rad
    assert loss["high"] == pytest.approx(2.908882e-4, rel=1e-6) and loss["low"] is None  # spec: < 1 arcmin
    assert loss["outcome"] == "PASS" and loss["extra"] == {"window_fraction": 0.04}
    assert by_name["stiffness_k1"]["low"] == pytest.approx(20.0e3)
    assert by_name["stiffness_k1"]["nominal"] == pytest.approx(25.0e3)
    # the raw stream went to disk as published
    t, v = run.read("out.torque_nm")
    np.testing.assert_allclose(v, 0.39 * np.arange(100))
    np.testing.assert_allclose(t, np.arange(100) / 1000.0)
    assert "notes.txt" in run.attachments
    # progress: phases in order, fractions never above 1, ends at 1
    phases = [p.phase for p in progress]
    assert phases[0] == "setup" and "loading" in phases and phases[-1] == "teardown"
    assert max(p.fraction for p in progress) == 1.0
    assert result.measurement("hysteresis_loss").display_value == pytest.approx(0.5)


def test_measurements_are_indexed_for_trends(rig, tmp_path, spec_path):
    runs = tmp_path / "runs"
    for fraction, serial in ((0.5, "SN-1"), (1.2, "SN-2")):
        run_sequence(FakeLoop, rig, spec=spec_path, serial=serial, runs_dir=runs,
                     params={"loss_arcmin_fraction": fraction})
    with RunIndex(runs / "index.sqlite") as index:
        trend = index.measurements(name="hysteresis_loss", unit_type="CSF-25-50")
        assert [m["serial"] for m in trend] == ["SN-1", "SN-2"]
        assert [m["outcome"] for m in trend] == ["PASS", "FAIL"]
        assert trend[1]["value"] == pytest.approx(1.2 * 2.908882e-4, rel=1e-6)
        assert {r["outcome"] for r in index.runs()} == {"PASS", "FAIL"}


def test_value_outside_spec_limit_fails_and_marginal_passes(rig, tmp_path, spec_path):
    fail = run_sequence(FakeLoop, rig, spec=spec_path, runs_dir=tmp_path, params={"loss_arcmin_fraction": "1.01"})
    assert fail.outcome is Outcome.FAIL
    assert fail.measurement("hysteresis_loss").verdict is Verdict.FAIL
    # spec marginal band 0.1 arcmin below the 1 arcmin limit: 0.95′ is MARGINAL and the run passes
    marginal = run_sequence(FakeLoop, rig, spec=spec_path, runs_dir=tmp_path, params={"loss_arcmin_fraction": 0.95})
    assert marginal.outcome is Outcome.PASS and marginal.marginal
    assert marginal.measurement("hysteresis_loss").verdict is Verdict.MARGINAL
    assert json.loads((marginal.path / "record.json").read_text())["measurements"][0]["outcome"] == "MARGINAL"


def test_without_spec_the_declared_limits_apply(tmp_path, rig_factory):
    from bench.config import load_rig_config

    text = (ROOT / "configs" / "sim_reducer.toml").read_text()
    (tmp_path / "rig.toml").write_text(re.sub(r'(?m)^spec = .*\n', "", text, count=1))
    rig = rig_factory(load_rig_config(tmp_path / "rig.toml"))

    class Declared(FakeLoop):
        name = "declared"
        measurements = (Measurement("hysteresis_loss", unit="rad", high=arcmin_to_rad(0.4)),
                        Measurement("stiffness_k1", unit="Nm/rad"))

    result = run_sequence(Declared, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.FAIL  # 0.5′ > 0.4′
    assert result.measurement("stiffness_k1").verdict is Verdict.NO_LIMITS
    assert result.measurement("stiffness_k1").unit == "N·m/rad"


@pytest.mark.parametrize("phase", ["setup", "run"])
def test_exception_gives_error_with_traceback_and_still_tears_down(rig, tmp_path, phase):
    result = run_sequence(FakeLoop, rig, runs_dir=tmp_path, params={"fail_in": phase})
    assert result.outcome is Outcome.ERROR
    assert FakeLoop.events[-1] == "teardown" and ("run" in FakeLoop.events) == (phase == "run")
    assert rig.calls[-3:] == ["safe_state", "drive_in.quick_stop", "drive_load.quick_stop"]
    rec = open_run(result.path).record
    assert rec["outcome"] == "ERROR" and rec["status"] == "complete"
    (err,) = rec["errors"]
    assert err["phase"] == phase and err["type"] in ("RuntimeError", "ValueError")
    assert "Traceback" in err["traceback"] and err["message"] in err["traceback"]
    assert {m["outcome"] for m in rec["measurements"]} == {"MISSING"}


def test_teardown_and_safe_state_errors_are_recorded(rig, tmp_path):
    rig.fail_safe_state = True
    result = run_sequence(FakeLoop, rig, runs_dir=tmp_path, params={"fail_in": "teardown"})
    assert result.outcome is Outcome.ERROR
    assert [e["phase"] for e in result.errors] == ["teardown", "safe_state"]
    assert "drive_load unreachable" in result.errors[0]["message"]


def test_abort_interrupts_a_long_wait_and_reaches_the_safe_state(rig, tmp_path):
    abort = threading.Event()
    seen = threading.Event()

    def on_progress(p):
        if p.phase == "loading":
            seen.set()

    def operator():
        seen.wait(5.0)
        abort.set()

    presser = threading.Thread(target=operator, name="operator")
    presser.start()
    started = time.monotonic()
    result = run_sequence(FakeLoop, rig, runs_dir=tmp_path, params={"dwell_s": 60.0}, abort_event=abort,
                          on_progress=on_progress)
    presser.join(5.0)
    assert result.outcome is Outcome.ABORTED
    assert time.monotonic() - started < 30.0  # a 60 s wait did not run out
    # safe state first (abort), then teardown, then the safe state again
    assert rig.calls.index("safe_state") < rig.calls.index("teardown") < len(rig.calls) - 1
    assert rig.calls.count("safe_state") == 2
    rec = open_run(result.path).record
    assert rec["outcome"] == "ABORTED" and rec["errors"] == []
    assert any("aborted during run" in e["message"] for e in rec["log"])


def test_interlock_trip_ends_the_wait_as_an_error(rig, tmp_path):
    class Trips(FakeLoop):
        name = "trips"

        def run(self, ctx):
            ctx.rig.tripped = "out.torque_nm above 60 N·m"
            ctx.wait(60.0)

    result = run_sequence(Trips, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.ERROR
    assert result.errors[0]["type"] == "InterlockTripped" and "60 N·m" in result.errors[0]["message"]


def test_wait_until_times_out_with_a_named_error(rig, tmp_path):
    class Stuck(FakeLoop):
        name = "stuck"

        def run(self, ctx):
            ctx.wait_until(lambda: False, timeout_s=0.05, what="drive_in operation enabled")

    result = run_sequence(Stuck, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.ERROR
    err = result.errors[0]
    assert err["type"] == "DeviceTimeoutError" and "drive_in operation enabled" in err["message"]


def test_missing_measurement_is_an_error(rig, tmp_path):
    class Forgets(FakeLoop):
        name = "forgets"

        def run(self, ctx):
            ctx.measure("stiffness_k1", 25.0e3)

    result = run_sequence(Forgets, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.ERROR
    assert result.errors[0]["type"] == "MissingMeasurement" and "hysteresis_loss" in result.errors[0]["message"]
    assert result.measurement("hysteresis_loss").verdict is Verdict.MISSING


def test_non_finite_value_is_invalid_and_fails(rig, tmp_path, spec_path):
    class NaNs(FakeLoop):
        name = "nans"

        def run(self, ctx):
            ctx.measure("hysteresis_loss", float("nan"))
            ctx.measure("stiffness_k1", 25.0e3)

    result = run_sequence(NaNs, rig, runs_dir=tmp_path, spec=spec_path)
    assert result.outcome is Outcome.FAIL
    assert result.measurement("hysteresis_loss").verdict is Verdict.INVALID


def test_undeclared_or_repeated_measurement_is_an_error(rig, tmp_path):
    class Undeclared(FakeLoop):
        name = "undeclared"

        def run(self, ctx):
            ctx.measure("backlash", 1e-4)

    result = run_sequence(Undeclared, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.ERROR and "backlash" in result.errors[0]["message"]

    class Twice(FakeLoop):
        name = "twice"

        def run(self, ctx):
            ctx.measure("stiffness_k1", 1.0)
            ctx.measure("stiffness_k1", 2.0)

    result = run_sequence(Twice, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.ERROR and "measured twice" in result.errors[0]["message"]


def test_bad_parameters_raise_before_any_run_exists(rig, tmp_path):
    runs = tmp_path / "runs"
    with pytest.raises(ConfigError) as info:
        run_sequence(FakeLoop, rig, runs_dir=runs, params={"dwell_s": "3 Nm", "cycels": "2"})
    text = str(info.value)
    assert "parameters.dwell_s" in text and "parameters.cycels" in text and "did you mean 'cycles'" in text
    assert len(info.value.problems) == 2
    assert not runs.exists()


def test_string_parameters_with_units_and_spec_defaults(rig, tmp_path, spec_path):
    @dataclass(frozen=True)
    class P:
        window_fraction: float = 0.03
        dwell_s: float = 1.0

    class Uses(FakeLoop):
        name = "uses"
        Parameters = P

        def setup(self, ctx):
            pass

        def run(self, ctx):
            ctx.measure("hysteresis_loss", 0.0)
            ctx.measure("stiffness_k1", 3.0e4)

        def teardown(self, ctx):
            pass

    spec = load_spec(spec_path)
    spec.parameters["uses"] = {"window_fraction": 0.04}  # as a [parameters.uses] table would give
    result = run_sequence(Uses, rig, spec=spec, runs_dir=tmp_path, params={"dwell_s": "250 ms"})
    params = open_run(result.path).record["parameters"]
    assert params == {"window_fraction": 0.04, "dwell_s": pytest.approx(0.25)}


def test_spec_for_another_unit_is_refused(rig, tmp_path):
    spec = tmp_path / "other.toml"
    spec.write_text('[unit]\ntype = "RV-42N"\nkind = "reducer"\nrated_torque_nm = 412.0\nratio = 121\n')
    with pytest.raises(ConfigError, match="ratio 121"):
        run_sequence(FakeLoop, rig, spec=spec, runs_dir=tmp_path / "runs")


def test_spec_limit_in_wrong_dimension_names_key_and_line(rig, tmp_path):
    spec = tmp_path / "wrong.toml"
    spec.write_text('[unit]\ntype = "X"\nrated_torque_nm = 39.0\nratio = 50\n\n'
                    '[limits.stiffness_k1]\nunit = "arcmin"\nlow = 1.0\n')
    with pytest.raises(ConfigError) as info:
        run_sequence(FakeLoop, rig, spec=spec, runs_dir=tmp_path / "runs")
    (problem,) = info.value.problems
    assert problem.key_path == "limits.stiffness_k1.unit" and problem.line == 7
    assert "N·m/rad" in problem.message


def test_recorded_channels_can_be_restricted(rig, tmp_path):
    class Selective(FakeLoop):
        name = "selective"
        channels = ("out.angle_rad",)

        def run(self, ctx):
            ctx.hub.register(ChannelSpec("out.angle_rad", "rad"))
            ctx.hub.register(ChannelSpec("in.torque_nm", "N·m"))
            ctx.hub.register(ChannelSpec("temperature.case_c", "°C"))
            ctx.record_channels(["in.torque_nm"])
            for name in ("out.angle_rad", "in.torque_nm", "temperature.case_c"):
                ctx.hub.publish(SampleBlock(name, np.array([0.0, 0.001]), np.array([1.0, 2.0])))
            ctx.measure("hysteresis_loss", 0.0)
            ctx.measure("stiffness_k1", 3.0e4)

    result = run_sequence(Selective, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.PASS
    assert set(open_run(result.path).channels) == {"out.angle_rad", "in.torque_nm"}


def test_a_sequence_must_declare_units_in_parameter_names():
    @dataclass(frozen=True)
    class Bad:
        speed: float = 1.0

    with pytest.raises(TypeError, match="Bad.speed"):
        class _S(Sequence):
            name = "bad"
            Parameters = Bad

    with pytest.raises(TypeError, match="declared twice"):
        class _T(Sequence):
            name = "dupes"
            measurements = (Measurement("a", unit="rad"), Measurement("a", unit="rad"))


def test_spec_named_by_the_rig_file_is_used(tmp_path, spec_path, rig_factory):
    from bench.config import load_rig_config

    text = (spec_path.parents[1] / "configs" / "sim_reducer.toml").read_text()
    text = re.sub(r'(?m)^spec = .*$', f'spec = "{spec_path}"', text, count=1)
    (tmp_path / "rig.toml").write_text(text)
    rig = rig_factory(load_rig_config(tmp_path / "rig.toml"))
    result = run_sequence(FakeLoop, rig, runs_dir=tmp_path / "runs", params={"loss_arcmin_fraction": 1.5})
    assert result.outcome is Outcome.FAIL  # the spec's 1′ limit applied without passing spec=
    assert open_run(result.path).record["unit"]["type"] == "CSF-25-50"


def test_ctrl_c_is_an_abort(rig, tmp_path):
    class Interrupted(FakeLoop):
        name = "interrupted"

        def run(self, ctx):
            raise KeyboardInterrupt

    result = run_sequence(Interrupted, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.ABORTED
    assert rig.calls.count("safe_state") == 2 and "teardown" in rig.calls


def test_display_unit_must_match_the_dimension():
    with pytest.raises(TypeError, match="cannot be shown in 'rpm'"):
        class _S(Sequence):
            name = "shown"
            measurements = (Measurement("k", unit="N·m/rad", display_unit="rpm"),)


def test_errors_the_rig_reported_during_the_run_make_it_an_error(rig, tmp_path):
    """A rig keeps receive-thread and safe-state errors in ``rig.errors``: they reach the record."""
    from bench.errors import DeviceFault

    rig.errors = [RuntimeError("before this run")]  # older errors are not this run's

    class Faulty(FakeLoop):
        name = "faulty"

        def teardown(self, ctx):
            ctx.rig.errors.append(DeviceFault("drive_load", 0x2310, "continuous over current"))

    result = run_sequence(Faulty, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.ERROR
    (err,) = result.errors
    assert err["phase"] == "rig" and err["type"] == "DeviceFault" and "0x2310" in err["message"]


def test_a_trip_during_teardown_is_recorded(rig, tmp_path):
    class TripsLate(FakeLoop):
        name = "trips_late"

        def teardown(self, ctx):
            ctx.rig.tripped = "watchdog: encoder_out silent for 0.2 s"

    result = run_sequence(TripsLate, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.ERROR
    assert result.errors[0]["phase"] == "interlock" and "watchdog" in result.errors[0]["message"]


def test_spec_with_another_rated_torque_is_refused(rig, tmp_path):
    spec = tmp_path / "tn.toml"
    spec.write_text('[unit]\ntype = "CSF-25-50"\nrated_torque_nm = 98.0\nratio = 50\n')
    with pytest.raises(ConfigError, match="rated torque 98 N·m differs"):
        run_sequence(FakeLoop, rig, spec=spec, runs_dir=tmp_path / "runs")


def test_a_misspelt_spec_limit_is_reported_in_the_record_and_the_run_goes_on(rig, tmp_path, spec_path, caplog):
    text = spec_path.read_text(encoding="utf-8").replace("[limits.lost_motion]", "[limits.lost_motoin]", 1)
    misspelt = tmp_path / "spec.toml"
    misspelt.write_text(text, encoding="utf-8")
    result = run_sequence(FakeLoop, rig, spec=misspelt, runs_dir=tmp_path / "runs")
    assert result.outcome is Outcome.PASS
    assert "did you mean 'lost_motion'" in caplog.text
    log = open_run(result.path).record["log"]
    assert any("limits.lost_motoin" in entry["message"] and "never applied" in entry["message"] for entry in log)
