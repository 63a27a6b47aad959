"""Where the runs folder is: --runs-dir, then the rig's runs_dir, then $BENCH_RUNS_DIR, then ./runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.errors import ConfigError
from bench.recording import make_record, resolve_runs_dir

RIG = """\
name = "bench A"
operator = "ann"
runs_dir = "data/runs"

[unit]
kind = "reducer"
model = "CSF-17-50"
ratio = 50
rated_torque_nm = 16.0
serial = "S-1"
"""


def test_precedence(tmp_path):
    rig = tmp_path / "rigs" / "a.toml"
    rig.parent.mkdir()
    rig.write_text(RIG)
    env = {"BENCH_RUNS_DIR": "/env/runs"}
    assert resolve_runs_dir("/x", rig, env) == Path("/x")
    assert resolve_runs_dir(None, rig, env) == (tmp_path / "rigs" / "data" / "runs").resolve()
    assert resolve_runs_dir(None, None, env) == Path("/env/runs")
    assert resolve_runs_dir(None, None, {}) == Path("runs")


def test_bad_rig_is_a_config_error(tmp_path):
    rig = tmp_path / "bad.toml"
    rig.write_text("runs_dir = 3\n")
    with pytest.raises(ConfigError):
        resolve_runs_dir(None, rig, {})


def test_make_record_from_rig(tmp_path):
    from bench.config import load_rig_config

    rig_path = tmp_path / "a.toml"
    rig_path.write_text(RIG)
    rig = load_rig_config(rig_path)
    rec = make_record(rig, procedure="torsion", serial="S-2", parameters={"torque_nm": 16.0})
    assert rec["unit"] == {"kind": "reducer", "model": "CSF-17-50", "serial": "S-2", "ratio": 50.0,
                           "rated_torque_nm": 16.0}
    assert rec["rig"]["name"] == "bench A" and len(rec["rig"]["sha256"]) == 64 and rec["rig"]["path"]
    assert rec["operator"] == "ann" and rec["procedure"] == "torsion" and rec["parameters"] == {"torque_nm": 16.0}
    assert make_record(None, operator="bob")["unit"] == {}
