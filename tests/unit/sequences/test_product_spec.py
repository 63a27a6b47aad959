"""Product specification files: the shipped CSF-25-50 spec and every problem of a bad file."""

from __future__ import annotations

import pytest

from bench.errors import ConfigError
from bench.sequences import Measurement, load_spec

ARCMIN_RAD = 2.908882086657216e-4  # DOMAIN.md §0: π/10800


def test_shipped_csf_25_50_spec_holds_the_catalogue_values(spec_path):
    spec = load_spec(spec_path)
    assert spec.unit_type == "CSF-25-50"
    assert spec.unit.rated_torque_nm == 39.0 and spec.unit.ratio == 50  # Table B
    assert (spec.unit.t1_nm, spec.unit.t2_nm) == (14.0, 48.0)  # Table A, size 25
    # Table A, size 25, ratio 50: hysteresis loss < 1′, lost motion < 1′, transmission accuracy < 1′
    for name in ("hysteresis_loss", "lost_motion", "transmission_accuracy"):
        lim = spec.limits[name]
        assert lim.si_unit == "rad" and lim.unit == "arcmin"
        assert lim.limits.high == pytest.approx(ARCMIN_RAD, rel=1e-9) and lim.limits.low is None
    assert spec.limits["lost_motion"].conditions == {"window_fraction": 0.04}  # HD: ±4 % TN
    # Table A K1/K2/K3 = 25/34/44 e3 Nm/rad, kept as nominal values
    nominal = {k: spec.limits[k].limits.nominal for k in ("stiffness_k1", "stiffness_k2", "stiffness_k3")}
    assert nominal == {"stiffness_k1": 25.0e3, "stiffness_k2": 34.0e3, "stiffness_k3": 44.0e3}
    assert all(spec.limits[k].si_unit == "N·m/rad" for k in nominal)


def test_limits_for_measurement_prefers_the_spec(spec_path):
    spec = load_spec(spec_path)
    declared = Measurement("hysteresis_loss", unit="rad", high=5 * ARCMIN_RAD)
    assert spec.limits_for(declared).high == pytest.approx(ARCMIN_RAD)
    other = Measurement("backlash", unit="rad", high=0.3 * ARCMIN_RAD)
    assert spec.limits_for(other).high == pytest.approx(0.3 * ARCMIN_RAD)  # not in spec: declared


def test_limit_in_nm_per_arcmin_is_converted(tmp_path):
    path = tmp_path / "rv.toml"
    path.write_text('[unit]\ntype = "RV-42N"\nrated_torque_nm = 412.0\nratio = 121\n'
                    '[limits.stiffness]\nunit = "Nm/arcmin"\nlow = 113\n')
    # DOMAIN.md §0: 113 Nm/arcmin = 3.8847e5 Nm/rad
    assert load_spec(path).limits["stiffness"].limits.low == pytest.approx(3.8847e5, rel=1e-4)


def test_every_problem_of_a_spec_file_is_reported_with_its_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        "[unit]\n"                       # 1
        'type = "X"\n'                   # 2
        "ratio = 50\n"                   # 3  (rated_torque_nm missing)
        "\n"                             # 4
        "[limits.lost_motion]\n"         # 5
        'unit = "furlong"\n'             # 6
        "high = 1.0\n"                   # 7
        "\n"                             # 8
        "[limits.stiffness_k1]\n"        # 9
        'unit = "Nm/rad"\n'              # 10
        "low = 3e4\n"                    # 11
        "high = 2e4\n"                   # 12
        "\n"                             # 13
        "[limits.backlash]\n"            # 14
        'unit = "arcmin"\n'              # 15
        "hihg = 1.0\n"                   # 16
    )
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    got = {(p.key_path, p.line) for p in info.value.problems}
    assert ("unit.rated_torque_nm", 1) in got
    assert ("limits.lost_motion.unit", 6) in got
    assert ("limits.stiffness_k1.low", 11) in got
    assert ("limits.backlash.hihg", 16) in got
    assert ("limits.backlash", 14) in got  # neither low nor high
    assert all(p.file == str(path) for p in info.value.problems)
    assert "did you mean 'high'" in str(info.value)


def test_missing_spec_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_spec(tmp_path / "nope.toml")
