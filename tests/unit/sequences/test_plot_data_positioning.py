"""Plot data of the positioning procedure (kind ``positioning``): validation refuses malformed arrays
with the reason, the ``.npz`` round trip keeps them, ``from_positioning`` carries what
``positioning_statistics`` computed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.sequences import plotdata
from bench.analysis import positioning_statistics

ARCMIN = math.pi / 10800.0  # rad per arcmin (DOMAIN.md §0)


def _arrays():
    return {"target_rad": np.arange(4) * (math.pi / 2),
            "deviation_rad": np.array([[0.0, 1.0, -2.0, 0.5], [0.2, 1.4, -2.0, 0.5], [-0.2, 1.2, -2.6, 0.3]]) * ARCMIN,
            "repeatability_rad": 0.3 * ARCMIN, "positioning_accuracy_rad": 2.6 * ARCMIN}


def _with(**changes):
    out = _arrays()
    for k, v in changes.items():
        if v is None:
            out.pop(k)
        else:
            out[k] = v
    return out


def test_round_trip_keeps_every_array():
    arrays = _arrays()
    p = plotdata.decode(plotdata.encode("positioning", arrays))
    assert p.kind == "positioning" and set(p.arrays) == set(arrays)
    for name, value in arrays.items():
        np.testing.assert_array_equal(p.arrays[name], value)
    assert p.arrays["deviation_rad"].shape == (3, 4)


def test_scalars_are_optional():
    arrays = _with(repeatability_rad=None, positioning_accuracy_rad=None)
    assert set(plotdata.validate("positioning", arrays)) == {"target_rad", "deviation_rad"}


@pytest.mark.parametrize("arrays, message", [
    (_with(deviation_rad=None), "missing deviation_rad"),
    (_with(target_rad=None), "missing target_rad"),
    (_with(extra_rad=1.0), "unknown extra_rad"),
    (_with(deviation_rad=np.zeros(4)), "deviation_rad must be (cycles, len(target_rad)) = (cycles, 4)"),
    (_with(deviation_rad=np.zeros((3, 5))), "found shape (3, 5)"),
    (_with(deviation_rad=np.zeros((0, 4))), "at least one cycle"),
    (_with(target_rad=np.zeros((2, 2))), "target_rad must be 1-D"),
    (_with(target_rad=[], deviation_rad=np.zeros((2, 0))), "non-zero length"),
    (_with(target_rad=["a", "b", "c", "d"]), "target_rad must hold numbers"),
    (_with(deviation_rad=np.full((3, 4), np.nan)), "deviation_rad must be finite"),
    (_with(repeatability_rad=[0.1, 0.2]), "repeatability_rad must be one number"),
    (_with(positioning_accuracy_rad=-1e-4), "positioning_accuracy_rad must be ≥ 0"),
])
def test_malformed_arrays_are_refused_with_the_reason(arrays, message):
    with pytest.raises(ValueError, match="plot data 'positioning'") as err:
        plotdata.validate("positioning", arrays)
    assert message in str(err.value)


def test_from_positioning_carries_the_statistics():
    # commanded every 90° over two cycles; actual = commanded + the deviations below + a constant offset
    commanded = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]) * (math.pi / 2)
    d = np.array([[0.0, 1.0, -2.0, 0.5], [0.4, 1.0, -2.2, 0.5]]) * ARCMIN
    result = positioning_statistics(commanded, commanded + d + 0.25)
    arrays = plotdata.from_positioning(result, np.arange(4) * (math.pi / 2))
    plotdata.validate("positioning", arrays)
    np.testing.assert_allclose(arrays["deviation_rad"], d, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(arrays["target_rad"], [0.0, math.pi / 2, math.pi, 1.5 * math.pi])
    # half spreads 0.2, 0, 0.1, 0 arcmin → ±0.2; largest |d| 2.2 arcmin
    assert float(arrays["repeatability_rad"]) == pytest.approx(0.2 * ARCMIN, rel=1e-9)
    assert float(arrays["positioning_accuracy_rad"]) == pytest.approx(2.2 * ARCMIN, rel=1e-9)
