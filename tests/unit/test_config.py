"""Rig files: the shipped ones load; every kind of broken file gives a ConfigError naming key and line."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench.config import load_rig_config
from bench.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

GOOD = """\
[unit]
kind = "reducer"
model = "CSF-25-50"
ratio = 50
rated_torque_nm = 39.0

[buses.can0]
kind = "can"
interface = "socketcan"
channel = "can0"

[devices.drive_in]
driver = "cia402"
bus = "can0"
node_id = 1

[devices.drive_load]
driver = "cia402"
bus = "can0"
node_id = 2
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rig.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list:
    with pytest.raises(ConfigError) as info:
        load_rig_config(_write(tmp_path, text))
    return info.value.problems


@pytest.mark.parametrize("name", ["sim_reducer.toml", "sim_motor.toml", "example_rig.toml"])
def test_shipped_configs_load(name):
    rig = load_rig_config(CONFIGS / name)
    assert rig.unit.rated_torque_nm > 0
    assert rig.is_simulated == name.startswith("sim_")
    assert len(rig.sha256) == 64


def test_sim_reducer_is_a_csf_25_50_like_unit():
    rig = load_rig_config(CONFIGS / "sim_reducer.toml")
    assert rig.unit.ratio == 50 and rig.unit.rated_torque_nm == 39.0
    red = rig.sim.reducer
    # DOMAIN.md Table A, size 25, ratio 50: K1/K2/K3 = 25/34/44 e3 N·m/rad, T1 14, T2 48
    assert (red.k1_nm_rad, red.k2_nm_rad, red.k3_nm_rad) == (25e3, 34e3, 44e3)
    assert (red.t1_nm, red.t2_nm) == (14.0, 48.0)


def test_good_file_loads_with_defaults(tmp_path):
    rig = load_rig_config(_write(tmp_path, GOOD))
    assert rig.devices["drive_in"].node_id == 1
    assert rig.buses["can0"].bitrate == 1_000_000
    assert math.isinf(rig.limits.torque_nm)
    assert rig.sim is None


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_rig_config(tmp_path / "nope.toml")


def test_toml_syntax_error_names_the_line(tmp_path):
    (problem,) = _problems(tmp_path, GOOD.replace('ratio = 50', 'ratio = = 50'))
    assert problem.line == 4
    assert "syntax" in problem.message


def test_wrong_type_names_key_and_line(tmp_path):
    (problem,) = _problems(tmp_path, GOOD.replace('rated_torque_nm = 39.0', 'rated_torque_nm = "39 Nm"'))
    assert problem.key_path == "unit.rated_torque_nm"
    assert problem.line == 5
    assert "expected number" in problem.message and "'39 Nm'" in problem.message


def test_unknown_key_is_an_error_with_a_suggestion(tmp_path):
    (problem,) = _problems(tmp_path, GOOD.replace("node_id = 2", "nodeid = 2\nnode_id = 2"))
    assert problem.key_path == "devices.drive_load.nodeid"
    assert problem.line == 20
    assert "did you mean 'node_id'" in problem.message


@pytest.mark.parametrize("ratio", ["-50", "0"])
def test_bad_ratio(tmp_path, ratio):
    (problem,) = _problems(tmp_path, GOOD.replace("ratio = 50", f"ratio = {ratio}"))
    assert problem.key_path == "unit.ratio" and problem.line == 4


def test_duplicate_node_id_on_one_bus(tmp_path):
    (problem,) = _problems(tmp_path, GOOD.replace("node_id = 2", "node_id = 1"))
    assert problem.key_path == "devices.drive_load.node_id"
    assert "duplicate node id 1" in problem.message and "drive_in" in problem.message
    assert problem.line == 20


def test_role_on_unknown_bus(tmp_path):
    (problem,) = _problems(tmp_path, GOOD.replace('bus = "can0"\nnode_id = 2', 'bus = "can9"\nnode_id = 2'))
    assert problem.key_path == "devices.drive_load.bus"
    assert "can9" in problem.message and "can0" in problem.message
    assert problem.line == 19


def test_unknown_role(tmp_path):
    text = GOOD + '\n[devices.gearbox]\ndriver = "cia402"\nbus = "can0"\nnode_id = 5\n'
    (problem,) = _problems(tmp_path, text)
    assert problem.key_path == "devices.gearbox" and "unknown role" in problem.message
    assert problem.line == 22


def test_every_problem_reported_at_once(tmp_path):
    text = (GOOD.replace('model = "CSF-25-50"', "model = 3")
            .replace("ratio = 50", "ratio = -1")
            .replace("node_id = 2", "node_id = 1")
            + '\n[sim.reducer]\nk1_nm_rad = "stiff"\nt1_nm = 60\n')
    problems = _problems(tmp_path, text)
    keys = {p.key_path for p in problems}
    assert {"unit.model", "unit.ratio", "devices.drive_load.node_id", "sim.reducer.k1_nm_rad",
            "sim.reducer.t2_nm"} <= keys
    assert all(p.line is not None for p in problems)


def test_missing_required_key(tmp_path):
    (problem,) = _problems(tmp_path, GOOD.replace('model = "CSF-25-50"\n', ""))
    assert problem.key_path == "unit.model" and "missing required key" in problem.message


def test_bounds_from_metadata(tmp_path):
    (problem,) = _problems(tmp_path, GOOD.replace("rated_torque_nm = 39.0", "rated_torque_nm = -1"))
    assert problem.key_path == "unit.rated_torque_nm" and "must be > 0" in problem.message


def test_virtual_can_needs_a_sim_table(tmp_path):
    (problem,) = _problems(tmp_path, GOOD.replace('"socketcan"', '"virtual"'))
    assert problem.key_path == "buses.can0.interface"


def test_udp_multicast_is_refused(tmp_path):
    (problem,) = _problems(tmp_path, GOOD.replace('"socketcan"', '"udp_multicast"'))
    assert "local network" in problem.message


def test_array_of_tables_lines(tmp_path):
    text = GOOD + '\n[[interlocks]]\nchannel = "a"\nmax = 1\n\n[[interlocks]]\nchannel = "b"\nmin = 5\nmax = 1\n'
    (problem,) = _problems(tmp_path, text)
    assert problem.key_path == "interlocks[1].min"
    assert problem.line == 28


def test_error_message_is_readable(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_rig_config(_write(tmp_path, GOOD.replace("ratio = 50", "ratio = 0")))
    text = str(info.value)
    assert "rig.toml:4" in text and "[unit.ratio]" in text
