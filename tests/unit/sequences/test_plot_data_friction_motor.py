"""Plot data of the friction and motor-constant procedures: ``no_load``, ``breakaway``, ``motor_constants``.

Validation refuses malformed arrays with the reason, the ``.npz`` round trip keeps them, and the
``from_*`` helpers carry exactly what the procedure computed.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from bench.analysis import motor_constants
from bench.sequences import plotdata
from bench.sequences.procedures.friction import (
    BreakawayRamp,
    BreakawayTrace,
    NoLoadPoint,
)

RPM = math.pi / 30.0  # rad/s per rpm


def _no_load():
    speed = np.array([500.0, 3000.0, -500.0, -3000.0]) * RPM
    return {"speed_rad_s": speed, "torque_nm": np.sign(speed) * (0.15 + 2e-4 * np.abs(speed)),
            "torque_std_nm": np.full(4, 0.004), "fit_coulomb_nm": 0.15, "fit_viscous_nm_s_rad": 2e-4}


def _breakaway():
    t = np.arange(6) * 0.1
    return {"time_s": np.r_[t, 5.0 + t], "torque_nm": np.r_[t, -t], "angle_rad": np.zeros(12),
            "direction": np.r_[np.ones(6, np.int8), -np.ones(6, np.int8)],
            "breakaway_torque_nm": [0.4, -0.4], "breakaway_time_s": [0.4, 5.4], "motion_time_s": [0.5, 5.5],
            "motion_threshold_rad": 1e-3, "torque_channel": "torque_in.torque_nm",
            "angle_channel": "drive_in.position_rad"}


def _motor():
    return {"current_a": [0.0, 1.0, 2.0], "torque_nm": [-0.01, 0.44, 0.89], "kt_nm_a": 0.45,
            "kt_intercept_nm": -0.01, "speed_rad_s": [50.0, 100.0, 150.0], "emf_v": [13.0, 26.0, 39.0],
            "ke_v_s_rad": 0.26, "ke_intercept_v": 0.0}


@pytest.mark.parametrize("kind, arrays", [("no_load", _no_load()), ("breakaway", _breakaway()),
                                          ("motor_constants", _motor())])
def test_round_trip_keeps_every_array(kind, arrays):
    p = plotdata.decode(plotdata.encode(kind, arrays))
    assert p.kind == kind and set(p.arrays) == set(arrays)
    for name, value in arrays.items():
        if isinstance(value, str):
            assert str(p.arrays[name]) == value
        else:
            np.testing.assert_array_equal(p.arrays[name], value)


def _with(base, **changes):
    out = dict(base)
    for k, v in changes.items():
        if v is None:
            out.pop(k)
        else:
            out[k] = v
    return out


@pytest.mark.parametrize("kind, arrays, message", [
    ("no_load", _with(_no_load(), torque_nm=None), "missing torque_nm"),
    ("no_load", _with(_no_load(), torque_nm=[0.1, 0.2]), "equal, non-zero length"),
    ("no_load", _with(_no_load(), torque_std_nm=[0.01]), "equal, non-zero length"),
    ("no_load", {"speed_rad_s": [], "torque_nm": []}, "non-zero length"),
    ("no_load", _with(_no_load(), fit_viscous_nm_s_rad=None), "needs fit_coulomb_nm and fit_viscous_nm_s_rad"),
    ("no_load", _with(_no_load(), fit_coulomb_nm=[0.1, 0.2]), "fit_coulomb_nm must be one number"),
    ("no_load", _with(_no_load(), fit_coulomb_nm=math.nan), "must be finite"),
    ("no_load", _with(_no_load(), speed_rad_s=["a", "b", "c", "d"]), "speed_rad_s must hold numbers"),
    ("breakaway", _with(_breakaway(), direction=None), "missing direction"),
    ("breakaway", _with(_breakaway(), angle_rad=np.zeros(11)), "equal, non-zero length"),
    ("breakaway", _with(_breakaway(), direction=np.r_[np.ones(6), np.zeros(6)]), "direction must be"),
    ("breakaway", _with(_breakaway(), direction=np.r_[np.ones(3), -np.ones(6), np.ones(3)]),
     "each direction must be one contiguous ramp"),
    ("breakaway", _with(_breakaway(), breakaway_torque_nm=[0.4]), r"one number per ramp \(2\)"),
    ("breakaway", _with(_breakaway(), motion_threshold_rad=0.0), "motion_threshold_rad must be > 0"),
    ("breakaway", _with(_breakaway(), torque_channel=["a", "b"]), "torque_channel must be one string"),
    ("motor_constants", {}, "give the Kt points"),
    ("motor_constants", _with(_motor(), emf_v=None), "the Ke points needs speed_rad_s and emf_v"),
    ("motor_constants", _with(_motor(), kt_intercept_nm=None), "the Kt line needs kt_nm_a and kt_intercept_nm"),
    ("motor_constants", {"current_a": [1.0, 2.0], "torque_nm": [0.4, 0.9], "ke_v_s_rad": 0.26,
                         "ke_intercept_v": 0.0}, "the Ke line needs its points"),
    ("motor_constants", _with(_motor(), current_a=[0.0, 1.0]), "equal, non-zero length"),
    ("motor_constants", _with(_motor(), voltage_v=[1.0]), "unknown voltage_v"),
])
def test_bad_plot_data_is_refused_with_the_reason(kind, arrays, message):
    with pytest.raises(ValueError, match=message):
        plotdata.encode(kind, arrays)


def test_one_pair_of_motor_constants_is_enough():
    out = plotdata.validate("motor_constants", {"speed_rad_s": [1.0, 2.0, 3.0], "emf_v": [1.0, 2.0, 3.0]})
    assert set(out) == {"speed_rad_s", "emf_v"}


def test_ramp_slices_are_the_runs_of_one_direction():
    assert plotdata.ramp_slices(np.array([1, 1, 1, -1, -1])) == [slice(0, 3), slice(3, 5)]
    assert plotdata.ramp_slices(np.array([-1, -1])) == [slice(0, 2)]


def test_from_no_load_carries_the_points_and_the_fitted_line():
    points = [NoLoadPoint(52.36, 0.1605, 0.004, (1.0, 2.0), 250), NoLoadPoint(-52.36, -0.1607, 0.005, (3.0, 4.0), 250)]
    out = plotdata.from_no_load(points, 0.15, 2e-4)
    np.testing.assert_array_equal(out["speed_rad_s"], [52.36, -52.36])
    np.testing.assert_array_equal(out["torque_nm"], [0.1605, -0.1607])
    np.testing.assert_array_equal(out["torque_std_nm"], [0.004, 0.005])
    assert float(out["fit_coulomb_nm"]) == 0.15 and float(out["fit_viscous_nm_s_rad"]) == 2e-4
    # one speed only: the procedure fits no line (NaN), the plot data has none
    assert "fit_coulomb_nm" not in plotdata.from_no_load(points, math.nan, math.nan)
    plotdata.validate("no_load", plotdata.from_no_load(points, math.nan, math.nan))


def test_from_breakaway_concatenates_the_ramps_and_keeps_a_ramp_without_motion():
    fwd = BreakawayRamp(1.0, 0.153, True, 0.155, (10.0, 13.2),
                        BreakawayTrace(np.array([10.0, 11.0, 12.0]), np.array([0.0, 0.1, 0.153]),
                                       np.array([0.0, 0.0, 2e-3]), 12.0, 12.0))
    rev = BreakawayRamp(-1.0, -math.inf, False, -0.08, (20.0, 21.6),
                        BreakawayTrace(np.array([20.0, 21.0]), np.array([0.0, -0.08]), np.array([0.0, 1e-5])))
    out = plotdata.validate("breakaway", plotdata.from_breakaway(
        [fwd, rev], motion_threshold_rad=1e-3, torque_channel="torque_in.torque_nm", angle_channel="drive_in.position_rad"))
    np.testing.assert_array_equal(out["time_s"], [10.0, 11.0, 12.0, 20.0, 21.0])
    np.testing.assert_array_equal(out["direction"], [1, 1, 1, -1, -1])
    np.testing.assert_array_equal(out["breakaway_torque_nm"], [0.153, -math.inf])
    np.testing.assert_array_equal(out["breakaway_time_s"], [12.0, math.nan])
    np.testing.assert_array_equal(out["motion_time_s"], [12.0, math.nan])
    assert float(out["motion_threshold_rad"]) == 1e-3 and str(out["torque_channel"]) == "torque_in.torque_nm"
    # a ramp without a trace is left out together with its per-ramp numbers
    out = plotdata.from_breakaway([fwd, BreakawayRamp(-1.0, -0.15, True, -0.15, (0.0, 1.0))])
    assert out["breakaway_torque_nm"].tolist() == [0.153] and set(out["direction"].tolist()) == {1}


def test_from_motor_constants_has_the_lines_of_the_analysis():
    current = np.array([0.0, 1.0, 2.0, 3.0])
    torque = 0.45 * current - 0.01
    speed = np.array([50.0, 100.0, 150.0])
    emf = 0.26 * speed + 0.1
    result = motor_constants(torque_nm=torque, current_a=current, voltage_v=emf, speed_rad_s=speed)
    out = plotdata.validate("motor_constants", plotdata.from_motor_constants(
        result, current_a=current, torque_nm=torque, speed_rad_s=speed, emf_v=emf))
    assert float(out["kt_nm_a"]) == pytest.approx(0.45, rel=1e-12)
    assert float(out["kt_intercept_nm"]) == pytest.approx(-0.01, abs=1e-12)
    assert float(out["ke_v_s_rad"]) == pytest.approx(0.26, rel=1e-12)
    assert float(out["ke_intercept_v"]) == pytest.approx(0.1, abs=1e-12)
    only_kt = SimpleNamespace(kt_fit=result.kt_fit, ke_fit=None)
    assert set(plotdata.from_motor_constants(only_kt, current_a=current, torque_nm=torque)) == {
        "current_a", "torque_nm", "kt_nm_a", "kt_intercept_nm"}
