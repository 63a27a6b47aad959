"""``bench trend``: a measurement over the indexed runs, in display units, with mean, σ and Cpk."""

from __future__ import annotations

import json
import math

import pytest

from bench.cli import main
from bench.commands.trend import capability
from bench.recording import RunIndex
from bench.units import ARCMIN_RAD

LOST_MOTION_ARCMIN = [0.70, 0.80, 0.90, 0.75]   # mean 0.7875, sample σ 0.0853913 (by hand)
HIGH_ARCMIN = 1.0


def test_capability_by_hand():
    stats = capability(LOST_MOTION_ARCMIN, None, HIGH_ARCMIN)
    assert stats["mean"] == pytest.approx(0.7875)
    assert stats["std"] == pytest.approx(math.sqrt(0.021875 / 3))
    assert stats["cpk"] == pytest.approx((1.0 - 0.7875) / (3 * 0.0853913), rel=1e-5)   # 0.8295
    two_sided = capability([9.0, 10.0, 11.0], 8.0, 14.0)                              # σ = 1
    assert two_sided["cpk"] == pytest.approx(2.0 / 3.0)                               # nearer limit 8: 2/(3·1)
    assert capability([5.0], 0.0, 10.0)["cpk"] is None                                # one value: no σ


@pytest.fixture
def runs_dir(tmp_path):
    with RunIndex.for_runs_dir(tmp_path) as index:
        for i, value in enumerate(LOST_MOTION_ARCMIN):
            index.add_measurements(f"run-{i}", [
                {"name": "lost_motion", "value": value * ARCMIN_RAD, "unit": "rad", "high": HIGH_ARCMIN * ARCMIN_RAD,
                 "outcome": "PASS", "unit_type": "CSF-25-50", "serial": f"SN-{i}", "time": f"2026-11-0{i + 1}T10:00:00"},
            ])
        index.add_measurements("run-x", [{"name": "lost_motion", "value": 5 * ARCMIN_RAD, "unit": "rad",
                                          "unit_type": "CSG-32-100", "serial": "SN-X", "time": "2026-11-09T10:00:00"}])
    return tmp_path


def test_table_in_arcmin_with_statistics(runs_dir, capsys):
    assert main(["trend", "lost_motion", "--unit-type", "CSF-25-50", "--runs-dir", str(runs_dir)]) == 0
    out = capsys.readouterr().out
    assert "VALUE [arcmin]" in out and "0.9 " in out and "SN-3" in out and "SN-X" not in out
    assert "n = 4, mean 0.7875, σ 0.085391" in out and "Cpk 0.83 against [-, 1]" in out


def test_mixed_unit_types_are_pointed_out(runs_dir, capsys):
    assert main(["trend", "lost_motion", "--runs-dir", str(runs_dir)]) == 0
    assert "2 unit types mixed (CSF-25-50, CSG-32-100)" in capsys.readouterr().out


def test_json_last_n_in_si(runs_dir, capsys):
    assert main(["trend", "lost_motion", "--unit-type", "CSF-25-50", "--last", "2", "--json",
                 "--runs-dir", str(runs_dir)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [v["serial"] for v in data["values"]] == ["SN-2", "SN-3"]
    assert data["statistics"]["mean"] == pytest.approx(0.825 * ARCMIN_RAD)


def test_listing_and_unknown_measurement(runs_dir, capsys):
    assert main(["trend", "--runs-dir", str(runs_dir)]) == 0
    listing = capsys.readouterr().out
    assert "lost_motion" in listing and "CSF-25-50" in listing and "CSG-32-100" in listing
    assert main(["trend", "lost_motoin", "--runs-dir", str(runs_dir)]) == 2
    assert "no values of 'lost_motoin'" in capsys.readouterr().err
