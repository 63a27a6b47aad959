"""Figures of the friction and motor-constant procedures, drawn from synthetic arrays with known values:
the fitted lines' end points and the marked instants are read back from the axes' data."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bench.recording import RunWriter, open_run
from bench.reports import build_content, page_count, render_html, write_pdf
from bench.reports.plots import breakaway_figure, motor_constants_figure, no_load_figure
from bench.sequences import plotdata
from bench.sequences.plotdata import PlotData

RPM = math.pi / 30.0  # rad/s per rpm
ARCMIN = math.pi / 10800.0  # rad per arcmin (DOMAIN.md §0)
T0_NM, C_NM_S_RAD = 0.15, 2.0e-4  # no-load line |T| = T0 + c·|ω|


def no_load_arrays(directions=(1.0, -1.0)):
    speed = np.array([s * rpm for s in directions for rpm in (500.0, 1000.0, 3000.0)]) * RPM
    return {"speed_rad_s": speed, "torque_nm": np.sign(speed) * (T0_NM + C_NM_S_RAD * np.abs(speed)),
            "torque_std_nm": np.full(speed.size, 0.003), "fit_coulomb_nm": T0_NM, "fit_viscous_nm_s_rad": C_NM_S_RAD}


def breakaway_arrays():
    """0.05 N·m/s ramps, forward from t = 100 s and reverse from t = 110 s; breakaway at 0.15 N·m after
    3 s, the shaft past 1 mrad 0.1 s later."""
    t = np.arange(0.0, 3.5, 0.01)
    torque = np.where(t <= 3.1, 0.05 * t, 0.0)
    angle = np.where(t > 3.0, (t - 3.0) * 0.02, 0.0)
    return {"time_s": np.r_[100.0 + t, 110.0 + t], "torque_nm": np.r_[torque, -torque], "angle_rad": np.r_[angle, -angle],
            "direction": np.r_[np.ones(t.size), -np.ones(t.size)], "breakaway_torque_nm": [0.15, -0.15],
            "breakaway_time_s": [103.0, 113.0], "motion_time_s": [103.06, 113.06], "motion_threshold_rad": 1e-3,
            "torque_channel": "torque_in.torque_nm", "angle_channel": "drive_in.position_rad"}


def motor_arrays():
    current = np.array([0.1, 1.0, 2.0, 3.0])
    speed = np.array([500.0, 1000.0, 1500.0]) * RPM
    return {"current_a": current, "torque_nm": 0.45 * current - 0.02, "kt_nm_a": 0.45, "kt_intercept_nm": -0.02,
            "speed_rad_s": speed, "emf_v": 0.26 * speed + 0.05, "ke_v_s_rad": 0.26, "ke_intercept_v": 0.05}


def _plot(kind, arrays, label=""):
    return PlotData(kind, label, plotdata.validate(kind, arrays))


def _lines(ax, style):
    return [ln for ln in ax.get_lines() if ln.get_linestyle() == style and len(ln.get_xdata()) == 2]


def test_no_load_fit_line_spans_the_measured_speeds_on_both_sides():
    fig = no_load_figure(_plot("no_load", no_load_arrays()), {})
    ax = fig.axes[0]
    solid = sorted((tuple(ln.get_xdata()), tuple(ln.get_ydata())) for ln in _lines(ax, "-")
                   if ln.get_color() == "C2")
    # x in rpm; y = ±(T0 + c·|ω|): at 500 rpm 0.15 + 2e-4·52.36 = 0.16047, at 3000 rpm 0.21283 N·m
    (x_rev, y_rev), (x_fwd, y_fwd) = solid
    assert x_fwd == pytest.approx((500.0, 3000.0)) and x_rev == pytest.approx((-500.0, -3000.0))
    assert y_fwd == pytest.approx((0.160472, 0.212832), abs=1e-6)
    assert y_rev == pytest.approx((-0.160472, -0.212832), abs=1e-6)
    # the dotted extension reaches T0 at zero speed
    dotted = [tuple(ln.get_ydata()) for ln in _lines(ax, ":")]
    assert sorted(y[0] for y in dotted) == pytest.approx([-T0_NM, T0_NM])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("T0 = 0.15 N·m" in t and "c = 0.0002 N·m·s/rad" in t for t in legend), legend
    assert ax.get_xlabel() == "input speed [rpm]" and "N·m" in ax.get_ylabel()


def test_no_load_in_one_direction_without_a_fit_draws_the_points_only():
    arrays = no_load_arrays(directions=(-1.0,))
    del arrays["fit_coulomb_nm"], arrays["fit_viscous_nm_s_rad"]
    ax = no_load_figure(_plot("no_load", arrays), {}).axes[0]
    assert not [ln for ln in _lines(ax, "-") if ln.get_color() == "C2"]
    assert ax.get_xlim()[1] == 0.0 and ax.get_xlim()[0] == pytest.approx(-3240.0)  # 8 % margin on 3000 rpm


def test_breakaway_marks_the_breakaway_torque_and_draws_the_angle_in_arcmin():
    fig = breakaway_figure(_plot("breakaway", breakaway_arrays(), "starting"), {})
    ax1, ax2 = fig.axes
    assert ax1.get_title().startswith("Starting torque")
    # one marker per direction at (time since ramp start, breakaway torque)
    markers = sorted((float(ln.get_ydata()[0]), float(ln.get_xdata()[0])) for ln in ax1.get_lines()
                     if ln.get_marker() == "o")
    assert [v for m in markers for v in m] == pytest.approx([-0.15, 3.0, 0.15, 3.0])
    # the ramps overlaid from time zero; the angle moved by 0.02 rad/s · 0.49 s = 9.8 mrad = 33.69 arcmin
    traces = [ln for ln in ax2.get_lines() if ln.get_marker() in ("None", "") and len(ln.get_xdata()) > 2]
    assert len(traces) == 2
    for ln in traces:
        assert ln.get_xdata()[0] == 0.0
        assert abs(ln.get_ydata()[-1]) == pytest.approx(0.0098 / ARCMIN, rel=1e-9)
    # where motion was seen: on the angle trace 0.06 s after the breakaway (1.2 mrad = 4.125 arcmin)
    seen = sorted(float(ln.get_ydata()[0]) for ln in ax2.get_lines() if ln.get_marker() in ("^", "v"))
    assert seen == pytest.approx([-0.0012 / ARCMIN, 0.0012 / ARCMIN], rel=1e-6)
    legend = " | ".join(t.get_text() for t in ax2.get_legend().get_texts())
    assert "motion threshold ±3.44 arcmin" in legend
    assert "torque_in.torque_nm" in ax1.get_ylabel() and "drive_in.position_rad" in ax2.get_ylabel()
    assert "breakaway +0.15 N·m" in " | ".join(t.get_text() for t in ax1.get_legend().get_texts())


def test_breakaway_without_motion_says_so():
    arrays = breakaway_arrays()
    arrays.update(breakaway_torque_nm=[0.15, -math.inf], breakaway_time_s=[103.0, math.nan],
                  motion_time_s=[103.06, math.nan])
    ax1 = breakaway_figure(_plot("breakaway", arrays, "back-driving"), {}).axes[0]
    legend = [t.get_text() for t in ax1.get_legend().get_texts()]
    assert "reverse: no motion up to -0.155 N·m" in legend  # the largest torque of the reverse ramp
    assert ax1.get_title().startswith("Back-driving torque")
    assert len([ln for ln in ax1.get_lines() if ln.get_marker() == "o"]) == 1


def test_motor_constants_lines_and_constants_in_the_legends():
    fig = motor_constants_figure(_plot("motor_constants", motor_arrays()), {})
    ax_kt, ax_ke = fig.axes
    (kt_line,) = _lines(ax_kt, "-")
    # from zero current to the largest: T = 0.45·I − 0.02
    assert tuple(kt_line.get_xdata()) == pytest.approx((0.0, 3.0))
    assert tuple(kt_line.get_ydata()) == pytest.approx((-0.02, 1.33))
    (ke_line,) = _lines(ax_ke, "-")
    # x in rpm, 0 … 1500 rpm; V = 0.26·ω + 0.05 → 0.05 V and 0.26·157.08 + 0.05 = 40.89 V
    assert tuple(ke_line.get_xdata()) == pytest.approx((0.0, 1500.0))
    assert tuple(ke_line.get_ydata()) == pytest.approx((0.05, 0.26 * 1500 * RPM + 0.05))
    kt_text = [t.get_text() for t in ax_kt.get_legend().get_texts()]
    ke_text = [t.get_text() for t in ax_ke.get_legend().get_texts()]
    assert any(t.startswith("Kt = 0.45 N·m/A") for t in kt_text), kt_text
    # 0.26 V·s/rad = 0.26 · 104.72 = 27.23 V/krpm (G10 conversion)
    assert any("Ke = 0.26 V·s/rad = 27.23 V/krpm" in t for t in ke_text), ke_text
    assert ax_ke.get_xlabel() == "speed [rpm]"


def test_motor_constants_with_ke_only_leaves_the_kt_axes_empty():
    arrays = {k: v for k, v in motor_arrays().items() if k.startswith(("speed", "emf", "ke"))}
    ax_kt, ax_ke = motor_constants_figure(_plot("motor_constants", arrays), {}).axes
    assert not ax_kt.get_lines() and any(t.get_text() == "no Kt points" for t in ax_kt.texts)
    assert len(_lines(ax_ke, "-")) == 1


def _run_with_plots(runs_dir):
    record = {"procedure": "friction", "unit": {"kind": "reducer", "model": "CSF-25-50-2UH", "serial": "SN-7",
                                                "ratio": 50, "rated_torque_nm": 39.0},
              "sequence": {"name": "friction", "title": "Friction and motor constants", "version": "1"}}
    writer = RunWriter.create(runs_dir, record)
    writer.add_attachment(plotdata.attachment_name("no_load"), plotdata.encode("no_load", no_load_arrays()))
    writer.add_attachment(plotdata.attachment_name("breakaway", "starting"),
                          plotdata.encode("breakaway", breakaway_arrays()))
    writer.add_attachment(plotdata.attachment_name("motor_constants"),
                          plotdata.encode("motor_constants", motor_arrays()))
    writer.update_record(measurements=[])
    writer.close("PASS")
    return open_run(writer.path)


def test_report_of_a_run_with_these_plots_has_their_figures(tmp_path):
    run = _run_with_plots(tmp_path / "runs")
    content = build_content(run)
    assert [(p.kind, p.label) for p in content.plots] == [("no_load", ""), ("breakaway", "starting"),
                                                         ("motor_constants", "")]
    assert not content.channels and not content.problems
    text = render_html(content)
    assert text.count("<svg") == 3
    for caption in ("No-load running torque", "Breakaway torque – starting", "Motor constants Kt and Ke"):
        assert f"<figcaption>{caption}</figcaption>" in text
    assert page_count(content) == 1 + 3
    data = write_pdf(run, tmp_path / "r.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data)) == 4
