"""A product spec checked against the procedures and the rig before any run (``bench check-config``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.sequences.spec import load_spec
from bench.sequences.spec_check import check_spec

ROOT = Path(__file__).resolve().parents[3]
CSF_SPEC = ROOT / "specs" / "csf-25-50.toml"

SPEC = """\
title = "test spec"
[unit]
type = "T-1"
kind = "reducer"
model = "T-1"
rated_torque_nm = 39.0
ratio = 50

[limits.hysteresis_loss]
unit = "arcmin"
high = 1.0

[limits.lost_motoin]
unit = "arcmin"
high = 1.0

[limits.stiffness_k1]
unit = "arcmin"
low = 1.0

[limits.tilting_angle]
unit = "arcmin"
high = 0.1

[parameters.hysterisis]
settle_s = 1

[parameters.transmission_error]
input_speed_rad_s = "5 Nm"
bogus = 1
"""


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC, encoding="utf-8")
    return load_spec(path)


def test_each_kind_of_mistake_is_named_with_its_line(spec):
    problems, warnings = check_spec(spec)
    found = {(p.key_path, p.line) for p in problems}
    assert found == {
        ("limits.lost_motoin", 13),                          # misspelt: would never be applied
        ("limits.stiffness_k1.unit", 18),                    # arcmin for a stiffness
        ("parameters.hysterisis", 25),
        ("parameters.transmission_error.input_speed_rad_s", 29),
        ("parameters.transmission_error.bogus", 30),
    }
    messages = {p.key_path: p.message for p in problems}
    assert "did you mean 'lost_motion'" in messages["limits.lost_motoin"]
    assert "did you mean 'hysteresis'" in messages["parameters.hysterisis"]
    assert "N·m/rad" in messages["limits.stiffness_k1.unit"]
    # a catalogue value no procedure measures yet, and no near name: a warning, not an error
    assert [(w.key_path, w.line) for w in warnings] == [("limits.tilting_angle", 21)]


def test_a_spec_for_another_unit_is_refused(spec):
    class RigUnit:
        kind, ratio, rated_torque_nm = "reducer", 100.0, 39.0

    problems, _ = check_spec(spec, RigUnit())
    assert any(p.key_path == "unit" and "ratio 50 differs from the rig's unit ratio 100" in p.message
               for p in problems)


def test_the_shipped_spec_is_clean():
    problems, warnings = check_spec(load_spec(CSF_SPEC))
    assert problems == []
    assert warnings == []   # every limit has its procedure (repeatability: positioning)


def test_check_config_checks_the_spec_a_rig_names(tmp_path, capsys):
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    rig = (ROOT / "configs" / "sim_reducer.toml").read_text(encoding="utf-8")
    rig = rig.replace('spec = "../specs/csf-25-50.toml"', 'spec = "spec.toml"')
    rig = rig.replace('runs_dir = "../runs"', f'runs_dir = "{tmp_path / "runs"}"')
    (tmp_path / "rig.toml").write_text(rig, encoding="utf-8")
    assert main(["check-config", str(tmp_path / "rig.toml")]) == 2
    err = capsys.readouterr().err
    assert "5 problems" in err and "spec.toml:13 [limits.lost_motoin]" in err
    assert "warning" in err and "[limits.tilting_angle]" in err


def test_check_config_takes_a_spec_file_alone(capsys):
    assert main(["check-config", str(CSF_SPEC)]) == 0
    assert "OK (product spec CSF-25-50, reducer, 9 limits)" in capsys.readouterr().out
