"""Quantities with units, parameter building from strings, limit verdicts."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import pytest

from bench.errors import ConfigError
from bench.sequences import Limits, Verdict, build_parameters, parse_set_options
from bench.sequences.quantities import parse_quantity, si_unit_of, to_si


@pytest.mark.parametrize("text, si_unit, expected", [
    ("1 arcmin", "rad", 2.908882e-4),          # DOMAIN.md §0: 1 arcmin = π/10800 rad = 2.908882e-4 rad
    ("1 arcsec", "rad", 4.848137e-6),          # DOMAIN.md §0
    ("113 Nm/arcmin", "N·m/rad", 3.8847e5),    # DOMAIN.md §0: RV-42N, 113 Nm/arcmin = 3.8847e5 Nm/rad
    ("1500 rpm", "rad/s", 157.0796),           # 1500 · 2π / 60
    ("15 N·cm", "N·m", 0.15),                  # Table B: CSF-25-50 starting torque 15 N·cm
    ("250ms", "s", 0.25),
    ("-3.5e1 deg", "rad", -0.6108652),         # -35° · π/180
    ("2.5", "rad/s", 2.5),                     # a bare number is SI
])
def test_parse_quantity(text, si_unit, expected):
    assert parse_quantity(text, si_unit) == pytest.approx(expected, rel=2e-5)  # DOMAIN prints 5 digits


@pytest.mark.parametrize("text, si_unit, message", [
    ("5 Nm", "rad/s", "expected rad/s"),
    ("fast", "rad/s", "not a number"),
    ("3 furlongs", "rad", "unknown unit"),
    ("3 rad", None, "carries none"),
])
def test_parse_quantity_refuses(text, si_unit, message):
    with pytest.raises(ValueError, match=message):
        parse_quantity(text, si_unit)


def test_unit_from_name_suffix_longest_first():
    assert si_unit_of("speed_rad_s") == "rad/s"
    assert si_unit_of("stiffness_nm_rad") == "N·m/rad"
    assert si_unit_of("angle_rad") == "rad"
    assert si_unit_of("timeout_s") == "s"
    assert si_unit_of("window_fraction") == "1"
    assert si_unit_of("cycles") is None
    assert to_si(39.0, "Nm", "N·m") == 39.0


@dataclass(frozen=True)
class P:
    speed_rad_s: float = 1.0
    timeout_s: float = field(default=5.0, metadata={"gt": 0})
    cycles: int = 3
    direction: Literal["cw", "ccw"] = "cw"
    both_directions: bool = False
    torque_steps_nm: tuple[float, ...] = (1.0, 2.0)


def test_build_parameters_parses_strings_with_units():
    p = build_parameters(P, {"speed_rad_s": "60 rpm", "cycles": "5", "direction": "ccw",
                             "both_directions": "yes", "torque_steps_nm": "1 Nm, 150 N·cm, 2"})
    assert p.speed_rad_s == pytest.approx(2 * math.pi)  # 60 rpm = 1 rev/s
    assert (p.cycles, p.direction, p.both_directions) == (5, "ccw", True)
    assert p.torque_steps_nm == (1.0, 1.5, 2.0)
    assert p.timeout_s == 5.0


def test_typed_values_are_taken_as_si_and_later_layers_win():
    p = build_parameters(P, {"speed_rad_s": 3.0, "cycles": 7}, {"cycles": 9})
    assert (p.speed_rad_s, p.cycles) == (3.0, 9)


def test_every_parameter_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        build_parameters(P, {"speed_rad_s": "5 Nm", "timeout_s": "-1", "direction": "up", "cycels": 2},
                         sequence="te")
    keys = sorted(p.key_path for p in info.value.problems)
    assert keys == ["parameters.cycels", "parameters.direction", "parameters.speed_rad_s",
                    "parameters.timeout_s"]
    text = str(info.value)
    assert "sequence 'te'" in text and "must be > 0" in text and "'cw'" in text


def test_parse_set_options():
    assert parse_set_options(["speed_rad_s=100rpm", " cycles = 3 "]) == {"speed_rad_s": "100rpm", "cycles": "3"}
    with pytest.raises(ConfigError, match="name=value"):
        parse_set_options(["speed_rad_s"])


@pytest.mark.parametrize("value, verdict", [
    (0.5, Verdict.PASS),
    (1.0, Verdict.MARGINAL),   # on the limit: inside (limits are inclusive), but in the band
    (0.95, Verdict.MARGINAL),
    (0.89, Verdict.PASS),
    (1.0001, Verdict.FAIL),
    (-0.1, Verdict.FAIL),      # below the low limit 0
    (0.05, Verdict.MARGINAL),  # within the band above the low limit
    (float("nan"), Verdict.INVALID),
    (float("inf"), Verdict.INVALID),
])
def test_limit_verdicts(value, verdict):
    assert Limits(low=0.0, high=1.0, marginal=0.1).evaluate(value) is verdict


def test_limits_without_bounds_and_bad_limits():
    assert Limits().evaluate(3.0) is Verdict.NO_LIMITS
    assert Limits(high=1.0).evaluate(-1e9) is Verdict.PASS
    with pytest.raises(ValueError, match="above high"):
        Limits(low=2.0, high=1.0)


def test_parameter_info_for_forms_and_help():
    from bench.sequences import parameter_info

    info = {p.name: p for p in parameter_info(P)}
    assert info["speed_rad_s"].si_unit == "rad/s" and info["speed_rad_s"].default == 1.0
    assert info["timeout_s"].bounds == {"gt": 0.0}
    assert info["direction"].choices == ("cw", "ccw") and info["direction"].si_unit is None
    assert info["cycles"].type_name == "integer" and info["cycles"].si_unit is None
    assert info["torque_steps_nm"].si_unit == "N·m" and not info["torque_steps_nm"].required
