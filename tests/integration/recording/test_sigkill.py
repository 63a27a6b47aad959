"""A recording process killed with SIGKILL leaves a run folder that reads back (issue 5).

The child records in real time; we kill it with SIGKILL after ~2 s and check that every sample
older than 1 s before the kill is on disk, in order, with the right values, and that the run shows
as INCOMPLETE in ``bench runs`` and still exports.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from bench.cli import main
from bench.recording import export_hdf5, list_runs, open_run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")


def _read_line(proc: subprocess.Popen, timeout_s: float) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    if not ready:
        proc.kill()
        proc.wait(5)
        raise AssertionError(f"child did not start within {timeout_s} s: {proc.stderr.read()}")
    return proc.stdout.readline()


def test_sigkilled_run_reads_back_everything_older_than_one_second(tmp_path, capsys):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, str(HERE / "record_child.py"), str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        line = _read_line(proc, 20.0)
        info = json.loads(line)
        time.sleep(2.0)  # let it record for a while (the point of the test is real time)
        assert proc.poll() is None, proc.stderr.read()
        t_kill_s = time.monotonic() - info["start_monotonic_s"]  # CLOCK_MONOTONIC is system-wide
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        proc.stdout.close()
        proc.stderr.close()

    run = open_run(info["path"])
    assert not run.complete and run.incomplete and run.status_label == "INCOMPLETE"
    assert run.record["status"] == "running" and run.record["procedure"] == "sigkill-test"

    t, v = run.read("in.torque_nm")
    must_have = int(np.ceil((t_kill_s - 1.0) * 1000.0))  # samples k with k/1000 < t_kill - 1 s
    assert must_have > 500
    assert len(t) >= must_have, f"lost {must_have - len(t)} samples older than 1 s before the kill"
    k = np.arange(len(t))
    np.testing.assert_array_equal(t, k / 1000.0)  # no gaps, no garbage, in order
    np.testing.assert_array_equal(v, k * 0.5)
    assert t[-1] <= t_kill_s

    t2, v2 = run.read("drive.counter")
    assert len(t2) >= int(np.ceil((t_kill_s - 1.0) * 100.0))
    np.testing.assert_array_equal(v2, np.arange(len(t2), dtype=np.int32))

    assert [r.incomplete for r in list_runs(tmp_path)] == [True]
    assert main(["runs", "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert run.run_id in out and "INCOMPLETE" in out

    h5 = export_hdf5(run, tmp_path / "killed.h5")
    with h5py.File(h5, "r") as f:
        assert f[run.run_id]["in.torque_nm"].shape == (len(t),)
        assert not f[run.run_id].attrs["complete"]
