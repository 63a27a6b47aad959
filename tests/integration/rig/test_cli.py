"""``bench status``, ``bench monitor`` and ``bench record`` on the simulated reducer bench (issue 5).

Commands run in-process through :func:`bench.cli.main` (exit codes and output as a user sees them),
and in a child process where a real SIGINT is the point: Ctrl-C during ``bench record`` must leave the
drives disabled and the run closed ABORTED.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main
from bench.commands.record import EXIT_INTERRUPTED, record
from bench.protocols.cia402 import State, decode_state
from bench.recording import list_runs, open_run
from bench.rig import Rig

from .conftest import QUICK_STOP_CW_BYTES, SIM_MOTOR, enable_drives

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
ROLES = ("drive_in", "drive_load", "encoder_out", "torque_out", "temperature")


def _value(out: str, channel: str) -> str:
    match = re.search(rf"^{re.escape(channel)}\s+(\S+)", out, flags=re.MULTILINE)
    assert match, f"no row for {channel} in:\n{out}"
    return match.group(1)


def _states(run, role: str) -> list[State | None]:
    _, sw = run.read(f"{role}.statusword")
    return [decode_state(int(v)) for v in sw]


# ------------------------------------------------------------------------------------------------ status
def test_status_shows_devices_identities_states_and_values(make_rig_file, capsys):
    path, _ = make_rig_file()
    assert main(["status", "--rig", str(path)]) == 0
    out = capsys.readouterr().out
    for role in ROLES:
        assert re.search(rf"^{role}\s", out, flags=re.MULTILINE), f"{role} missing:\n{out}"
    drive_row = next(line for line in out.splitlines() if line.startswith("drive_in "))
    assert "can0 node 1" in drive_row and "SWITCH ON DISABLED" in drive_row
    assert re.search(r"vendor=0x[0-9A-F]{8} product=0x[0-9A-F]{8} type=0x[0-9A-F]{8}", drive_row)
    assert "flange addr 1" in next(line for line in out.splitlines() if line.startswith("torque_out "))
    # display units; the simulated bench stands at ambient temperature (sim.thermal.ambient_c = 22 °C)
    assert float(_value(out, "temperature.ambient_c")) == pytest.approx(22.0, abs=0.5)
    assert re.search(r"^drive_in\.velocity_rad_s\s+\S+\s+rpm", out, flags=re.MULTILINE)
    assert re.search(r"^encoder_out\.angle_rad\s+\S+\s+arcmin", out, flags=re.MULTILINE)
    assert re.search(r"^torque_out\.torque_nm\s+\S+\s+N·m", out, flags=re.MULTILINE)
    assert _value(out, "drive_in.statusword").startswith("0x")
    assert "TRIPPED" not in out


def test_status_of_the_motor_bench_shows_the_power_analyzer_identity(make_rig_file, capsys):
    path, _ = make_rig_file(source=SIM_MOTOR)
    assert main(["status", "--rig", str(path), "--wait", "0.3"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("power "))
    assert re.search(r"manufacturer=\S+ model=\S+ serial=\S+ firmware=", row), row  # from *IDN?
    assert re.search(r"^power\.p_total_w\s+\S+\s+W\s", out, flags=re.MULTILINE)


def test_a_device_that_does_not_answer_is_one_clear_line_naming_it(make_rig_file, capsys):
    # node 9 has no simulator: the encoder's driver gets no SDO answer while opening
    path, _ = make_rig_file(device_lines={"encoder_out": ["simulated = false", "node_id = 9",
                                                          "timeouts = { sdo_s = 0.1 }"]})
    assert main(["status", "--rig", str(path)]) == 2
    err = capsys.readouterr().err
    bench_lines = [line for line in err.splitlines() if line.startswith("bench:")]
    assert len(bench_lines) == 1 and "Traceback" not in err
    assert "encoder_out" in bench_lines[0] and "can0" in bench_lines[0] and "node 9" in bench_lines[0]
    # the devices opened before it were closed again: the thread check of conftest.py fails otherwise


def test_a_bad_rig_file_is_one_clear_error(make_rig_file, capsys):
    path, _ = make_rig_file(device_lines={"torque_out": ['driver = "no_such_driver"']})
    assert main(["status", "--rig", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench: ") and "no_such_driver" in err and "Traceback" not in err


# ------------------------------------------------------------------------------------------------ monitor
def test_monitor_prints_one_snapshot_per_interval_when_not_a_tty(make_rig_file, capsys):
    path, _ = make_rig_file()
    assert main(["monitor", "--rig", str(path), "--duration", "0.6", "--interval", "0.2"]) == 0
    out = capsys.readouterr().out
    headers = re.findall(r"^t = +([0-9.]+) s", out, flags=re.MULTILINE)
    assert 3 <= len(headers) <= 6, out
    assert float(headers[-1]) == pytest.approx(0.6, abs=0.15)
    assert "\x1b[" not in out  # no ANSI codes into a pipe or a file
    last = out.split("t = ")[-1]
    assert float(_value(last, "temperature.ambient_c")) == pytest.approx(22.0, abs=0.5)
    assert re.search(r"^drive_load\.velocity_rad_s\s+\S+\s+rpm\s+\d+", last, flags=re.MULTILINE)


def test_monitor_redraws_in_place_on_a_terminal(make_rig_file, capsys, monkeypatch):
    path, _ = make_rig_file()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["monitor", "--rig", str(path), "--duration", "0.3", "--interval", "0.1",
                 "--channel", "temperature.*"]) == 0
    out = capsys.readouterr().out
    frames = out.split("\x1b[H\x1b[J")
    assert frames[0] == "" and len(frames) - 1 >= 3  # each snapshot starts by clearing the screen
    assert "temperature.reducer_c" in frames[-1] and "drive_in" not in out


def test_monitor_unknown_channel_pattern(make_rig_file, capsys):
    path, _ = make_rig_file()
    assert main(["monitor", "--rig", str(path), "--duration", "0.1", "--channel", "nothing.*"]) == 2
    err = capsys.readouterr().err
    assert "no channel matches nothing.*" in err and "Traceback" not in err


# ------------------------------------------------------------------------------------------------ record
def test_record_for_a_duration_closes_the_run_done(make_rig_file, capsys):
    path, _ = make_rig_file()
    assert main(["record", "--rig", str(path), "--duration", "0.5"]) == 0
    out = capsys.readouterr().out
    (run,) = list_runs(path.parent / "runs")
    assert run.complete and run.outcome == "DONE"
    assert re.search(rf"^run {run.run_id}: DONE", out, flags=re.MULTILINE)
    assert run.record["procedure"] == "record" and run.record["trips"] == []
    assert set(run.channels) >= {"drive_in.statusword", "encoder_out.angle_rad", "torque_out.torque_nm",
                                 "temperature.ambient_c"}
    for name in run.channels:
        n = run.sample_count(name)
        assert n > 0, name
        assert re.search(rf"^{re.escape(name)}\s+{n}\s", out, flags=re.MULTILINE), (name, n, out)
    # 0.5 s of SYNC at 1 kHz: about 500 statuswords (generous bounds on a loaded machine)
    assert 200 <= run.sample_count("drive_in.statusword") <= 900


def test_ctrl_c_during_record_in_process_disables_the_drives(make_rig_file, bus_listener, tmp_path):
    path, channel = make_rig_file()
    listener = bus_listener(channel)
    calls = []

    def sleep_then_ctrl_c(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) == 4:
            raise KeyboardInterrupt
        time.sleep(seconds)

    with Rig.from_config(path) as rig:
        enable_drives(rig)
        rig.device("drive_load").set_torque_nm(2.0)
        writer, outcome, code = record(rig, tmp_path / "runs", 30.0, sleep=sleep_then_ctrl_c)
        assert (outcome, code) == ("ABORTED", EXIT_INTERRUPTED)
        for node in (1, 2):
            listener.wait_for_controlword(node, QUICK_STOP_CW_BYTES, timeout_s=1.0)
    run = open_run(writer.path)
    assert run.complete and run.outcome == "ABORTED"
    assert [t["kind"] for t in run.record["trips"]][:1] == ["emergency_stop"]
    for role in ("drive_in", "drive_load"):
        states = _states(run, role)
        assert states[0] is State.OPERATION_ENABLED and states[-1] is State.SWITCH_ON_DISABLED, (role, states[-5:])


def _read_line(proc: subprocess.Popen, timeout_s: float) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    if not ready:
        proc.kill()
        proc.wait(5)
        raise AssertionError(f"child printed nothing within {timeout_s} s: {proc.stderr.read()}")
    return proc.stdout.readline()


def _sigint_child(args: list[str], cwd: Path, sig: int = signal.SIGINT) -> tuple[int, str, str]:
    """Start ``args``, wait for its 'run ...: recording' line, record a moment, send ``sig``, collect."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    try:
        first = _read_line(proc, 30.0)
        assert first.startswith("run ") and "recording" in first, (first, proc.stderr.read() if proc.poll() else "")
        time.sleep(0.5)
        assert proc.poll() is None
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
        return proc.returncode, first + out, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=5)


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="needs POSIX signals")
def test_sigint_to_a_recording_process_with_enabled_drives(make_rig_file, tmp_path):
    path, _ = make_rig_file()
    runs = tmp_path / "child_runs"
    code, out, err = _sigint_child([sys.executable, str(HERE / "record_child.py"), str(path), str(runs)], ROOT)
    assert code == EXIT_INTERRUPTED, err
    assert "Traceback" not in err
    (run,) = list_runs(runs)
    assert run.complete and run.outcome == "ABORTED" and run.record["note"] == "interrupted by Ctrl-C"
    assert run.record["trips"][0]["kind"] == "emergency_stop"
    for role in ("drive_in", "drive_load"):
        states = _states(run, role)
        assert State.OPERATION_ENABLED in states[:50], (role, states[:5])
        assert states[-1] is State.SWITCH_ON_DISABLED, (role, states[-5:])
    t, torque = run.read("drive_load.torque_nm")
    assert np.max(torque) == pytest.approx(2.0, abs=0.2) and abs(torque[-1]) < 0.1  # set point released


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="needs POSIX signals")
def test_sigint_to_bench_record_closes_the_run_aborted(make_rig_file, tmp_path):
    path, _ = make_rig_file()
    code, out, err = _sigint_child([sys.executable, "-m", "bench.cli", "record", "--rig", str(path),
                                    "--duration", "60"], ROOT)
    assert code == EXIT_INTERRUPTED, err
    assert "Traceback" not in err and "run closed ABORTED" in err
    (run,) = list_runs(path.parent / "runs")
    assert run.complete and run.outcome == "ABORTED"
    assert re.search(rf"^run {run.run_id}: ABORTED", out, flags=re.MULTILINE)
    for role in ("drive_in", "drive_load"):
        assert _states(run, role)[-1] is State.SWITCH_ON_DISABLED


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_sigterm_to_bench_record_is_handled_like_ctrl_c(make_rig_file, tmp_path):
    path, _ = make_rig_file()
    code, out, err = _sigint_child([sys.executable, "-m", "bench.cli", "record", "--rig", str(path),
                                    "--duration", "60"], ROOT, sig=signal.SIGTERM)
    assert code == EXIT_INTERRUPTED, err
    assert "Traceback" not in err and "interrupted by SIGTERM" in err
    (run,) = list_runs(path.parent / "runs")
    assert run.complete and run.outcome == "ABORTED" and run.record["trips"][0]["cause"].startswith("SIGTERM")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_bench_record_killed_with_sigkill_leaves_a_readable_run(make_rig_file, capsys):
    path, _ = make_rig_file()
    code, _, _ = _sigint_child([sys.executable, "-m", "bench.cli", "record", "--rig", str(path),
                                "--duration", "60"], ROOT, sig=signal.SIGKILL)
    assert code == -signal.SIGKILL
    (run,) = list_runs(path.parent / "runs")
    assert run.incomplete and not run.complete
    # written incrementally (flushed every 0.25 s): the 0.5 s before the kill are mostly on disk
    t, sw = run.read("drive_in.statusword")
    assert len(t) >= 100 and np.all(np.diff(t) > 0)
    assert main(["runs", "--runs-dir", str(path.parent / "runs")]) == 0
    assert "INCOMPLETE" in capsys.readouterr().out
