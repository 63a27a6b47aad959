"""``bench procedures``: the procedures, their parameters and the limits a product spec sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from bench.sequences.procedures import PROCEDURES

ROOT = Path(__file__).resolve().parents[3]
CSF_SPEC = ROOT / "specs" / "csf-25-50.toml"


def test_lists_every_procedure_with_its_title(capsys):
    assert main(["procedures"]) == 0
    out = capsys.readouterr().out
    for name, cls in PROCEDURES.items():
        assert f"{name}" in out and cls.title in out


def test_parameters_show_default_si_unit_rpm_and_bounds(capsys):
    assert main(["procedures", "efficiency_map"]) == 0
    lines = capsys.readouterr().out.splitlines()
    speeds = next(line for line in lines if line.strip().startswith("input_speeds_rad_s"))
    assert "rad/s (500, 1000, 2000 rpm)" in speeds       # 52.36 rad/s = 500 rpm
    rated = next(line for line in lines if line.strip().startswith("rated_point_speed_rad_s"))
    assert "104.72 rad/s (1000 rpm)" in rated and "> 0" in rated


def test_spec_sets_parameters_and_limits_in_display_units(capsys):
    assert main(["procedures", "hysteresis", "--spec", str(CSF_SPEC)]) == 0
    lines = capsys.readouterr().out.splitlines()
    window = next(line for line in lines if line.strip().startswith("lost_motion_window_fraction"))
    assert "0.04 (from the spec)" in window              # Harmonic Drive: lost motion at ±4 % TN
    loss = next(line for line in lines if line.strip().startswith("hysteresis_loss"))
    assert loss.split()[1:4] == ["arcmin", "-", "1"]      # Table B: hysteresis loss ≤ 1 arcmin


def test_json_without_spec_has_the_declared_limits(capsys):
    assert main(["procedures", "hysteresis", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["spec"] is None
    assert {m["name"] for m in info["measurements"]} >= {"hysteresis_loss", "lost_motion", "stiffness_k1"}
    window = next(p for p in info["parameters"] if p["name"] == "lost_motion_window_fraction")
    assert window["default"] == pytest.approx(0.03) and window["spec_value"] is None
    assert window["bounds"] == {"gt": 0.0, "lt": 0.5}


def test_rig_file_brings_its_spec(capsys):
    assert main(["procedures", "hysteresis", "--rig", str(ROOT / "configs" / "sim_reducer.toml"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["spec"].endswith("csf-25-50.toml")
    k1 = next(m for m in info["measurements"] if m["name"] == "stiffness_k1")
    assert k1["low"] is not None and k1["low"] > 0


def test_unknown_procedure_names_the_known_ones(capsys):
    assert main(["procedures", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "no procedure 'nosuch'" in err and "hysteresis" in err
