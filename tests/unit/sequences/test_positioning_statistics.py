"""Repeatability and one-way positioning accuracy from a readings table with a known answer.

DOMAIN.md §1.1 / Table A: repeatability = half the spread of repeated one-direction positioning (±);
one-way positioning accuracy (JIS B 6201) = largest actual-vs-commanded difference, here from the datum
(the first reading of the first cycle).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.analysis import positioning_statistics
from bench.errors import ConfigError
from bench.sequences import build_parameters
from bench.sequences.procedures.positioning import PositioningParameters

STEP = 2 * math.pi / 4
# commanded output angles of 3 cycles × 4 positions (every 90°, one revolution further each cycle), from 5 rad
COMMANDED = 5.0 + np.array([[c * 2 * math.pi + k * STEP for k in range(4)] for c in range(3)])
ERROR_RAD = np.array([0.0, 2e-5, -3e-5, 1e-5])  # the unit's error at each position, same every cycle
SCATTER_RAD = np.zeros((3, 4))
SCATTER_RAD[:, 2] = [0.0, 4e-6, -2e-6]  # position 3 does not repeat: spread 6e-6, half spread 3e-6


def _actual(scatter=SCATTER_RAD):
    return COMMANDED + 0.1234 + ERROR_RAD + scatter  # any encoder zero


def test_known_repeatability_and_accuracy():
    r = positioning_statistics(COMMANDED, _actual())
    assert r.repeatability_rad == pytest.approx(3e-6, abs=1e-12)
    assert r.worst_position == 2
    np.testing.assert_allclose(r.half_spread_rad, [0.0, 0.0, 3e-6, 0.0], atol=1e-12)
    # largest |deviation|: position 3 of cycle 1 read −3e-5 − 2e-6
    assert r.positioning_accuracy_rad == pytest.approx(3.2e-5, abs=1e-12)
    assert r.deviation_rad[0, 0] == 0.0
    np.testing.assert_allclose(r.deviation_rad[:, 1], 2e-5, atol=1e-12)
    # mean deviations 0, 2e-5, −3e-5 + 2e-6/3, 1e-5: p-p 4.9333e-5
    assert r.mean_deviation_pp_rad == pytest.approx(5e-5 - 2e-6 / 3, abs=1e-12)


def test_a_datum_off_by_a_reading_error_shifts_every_deviation():
    scatter = SCATTER_RAD.copy()
    scatter[0, 0] = 5e-6  # the datum reading itself is 5e-6 high
    r = positioning_statistics(COMMANDED, _actual(scatter))
    assert r.deviation_rad[0, 0] == 0.0
    np.testing.assert_allclose(r.deviation_rad[1:, 0], -5e-6, atol=1e-12)
    assert r.half_spread_rad[0] == pytest.approx(2.5e-6, abs=1e-12)
    assert r.repeatability_rad == pytest.approx(3e-6, abs=1e-12)  # position 3 still the worst
    assert r.positioning_accuracy_rad == pytest.approx(3.7e-5, abs=1e-12)  # −3e-5 − 2e-6 − 5e-6


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="cycles, positions"):
        positioning_statistics(COMMANDED, _actual()[:, :3])
    with pytest.raises(ValueError, match="at least 2 cycles"):
        positioning_statistics(COMMANDED[:1], _actual()[:1])
    bad = _actual()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        positioning_statistics(COMMANDED, bad)


def test_defaults_are_the_jis_pattern():
    p = PositioningParameters()
    assert p.positions == 12 and math.degrees(2 * math.pi / p.positions) == pytest.approx(30.0)  # JIS B 6201
    assert p.cycles >= 2 and p.approach_rad > 0


def test_an_approach_beyond_the_target_spacing_is_refused():
    with pytest.raises(ConfigError, match="approach_rad"):
        build_parameters(PositioningParameters, {"positions": 12, "approach_rad": "31 deg"}, sequence="positioning")
    assert build_parameters(PositioningParameters, {"approach_rad": "29 deg"}).approach_rad == pytest.approx(
        math.radians(29))
