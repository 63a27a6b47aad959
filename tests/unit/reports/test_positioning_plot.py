"""Figure of the positioning procedure, drawn from synthetic deviations with known statistics: the
readings, the per-target mean, the half-spread bars and the accuracy / repeatability lines are read
back from the axes' data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.recording import RunWriter, open_run
from bench.reports import build_content, page_count, render_html
from bench.reports.plots import positioning_figure
from bench.sequences import plotdata
from bench.sequences.plotdata import PlotData

ARCMIN = math.pi / 10800.0  # rad per arcmin (DOMAIN.md §0)
# 4 targets every 90°, 3 cycles, in arcmin. Per target: min … max = −0.2…0.2, 1.0…1.4, −2.6…−2.0, 0.3…0.5,
# so half spreads 0.2, 0.2, 0.3, 0.1 (repeatability ±0.3 at 180°), means 0, 1.2, −2.2, 1.3/3; max |d| = 2.6
DEV_ARCMIN = np.array([[0.0, 1.0, -2.0, 0.5], [0.2, 1.4, -2.0, 0.5], [-0.2, 1.2, -2.6, 0.3]])


def _arrays(scalars=True):
    out = {"target_rad": np.arange(4) * (math.pi / 2), "deviation_rad": DEV_ARCMIN * ARCMIN}
    if scalars:
        out.update(repeatability_rad=0.3 * ARCMIN, positioning_accuracy_rad=2.6 * ARCMIN)
    return out


def _figure(arrays):
    return positioning_figure(PlotData("positioning", "", plotdata.validate("positioning", arrays)), {})


def _hlines(ax):
    return sorted(float(ln.get_ydata()[0]) for ln in ax.get_lines() if ln.get_linestyle() == "--")


def _readings(ax):
    """The marker series (the bars' caps are markers too: "_")."""
    return [ln for ln in ax.get_lines() if ln.get_linestyle() == "None" and ln.get_marker() != "_"]


def _legend(ax):
    return " | ".join(t.get_text() for t in ax.get_legend().get_texts())


@pytest.mark.parametrize("scalars", [True, False])
def test_readings_mean_bars_and_limits_in_arcmin_over_degrees(scalars):
    ax1, ax2 = _figure(_arrays(scalars)).axes
    series = _readings(ax1)
    assert len(series) == 3  # one marker series per cycle
    for ln, row in zip(series, DEV_ARCMIN):
        assert tuple(ln.get_xdata()) == pytest.approx((0.0, 90.0, 180.0, 270.0))
        assert tuple(ln.get_ydata()) == pytest.approx(tuple(row), abs=1e-12)
    (mean,) = [ln for ln in ax1.get_lines() if ln.get_linestyle() == "-" and len(ln.get_xdata()) == 4]
    assert tuple(mean.get_ydata()) == pytest.approx((0.0, 1.2, -2.2, 1.3 / 3), abs=1e-12)
    # each bar spans its target's readings: middle ± half spread = min … max
    (bars,) = ax1.containers
    spans = np.array([(seg[0][0], seg[0][1], seg[1][1]) for seg in bars.lines[2][0].get_segments()])
    np.testing.assert_allclose(spans, [(0.0, -0.2, 0.2), (90.0, 1.0, 1.4), (180.0, -2.6, -2.0), (270.0, 0.3, 0.5)],
                               rtol=0, atol=1e-12)
    # lower axes: the same readings less the middle of their range, bars ± half spread about zero
    (low_bars,) = ax2.containers
    np.testing.assert_allclose([(s[0][1], s[1][1]) for s in low_bars.lines[2][0].get_segments()],
                               [(-0.2, 0.2), (-0.2, 0.2), (-0.3, 0.3), (-0.1, 0.1)], rtol=0, atol=1e-12)
    assert _hlines(ax1) == pytest.approx([-2.6, 2.6]) and _hlines(ax2) == pytest.approx([-0.3, 0.3])
    assert "positioning accuracy ±2.6 arcmin" in _legend(ax1)
    assert "repeatability ±0.3 arcmin (max half spread, at 180°)" in _legend(ax2)
    assert [t for t in ax2.get_xticks()] == pytest.approx(np.arange(0.0, 361.0, 30.0))
    assert ax2.get_xlim() == pytest.approx((-10.0, 370.0))
    assert "deg" in ax2.get_xlabel() and "arcmin" in ax1.get_ylabel()
    assert "4 targets × 3 cycles" in ax1.get_title()


def test_the_values_given_are_the_ones_shown():
    arrays = _arrays()
    arrays.update(repeatability_rad=0.25 * ARCMIN, positioning_accuracy_rad=3.0 * ARCMIN)
    ax1, ax2 = _figure(arrays).axes
    assert _hlines(ax1) == pytest.approx([-3.0, 3.0]) and _hlines(ax2) == pytest.approx([-0.25, 0.25])


def test_many_cycles_are_one_legend_entry():
    rng = np.random.default_rng(7)
    arrays = {"target_rad": np.arange(12) * (math.pi / 6), "deviation_rad": rng.normal(0, 1e-5, (20, 12))}
    ax1, _ = _figure(arrays).axes
    assert len(_readings(ax1)) == 20
    legend = _legend(ax1)
    assert "readings, 20 cycles" in legend and "cycle 2" not in legend


def test_report_of_a_run_with_the_plot_has_its_figure(tmp_path):
    record = {"procedure": "positioning", "unit": {"kind": "reducer", "model": "CSF-25-50-2UH", "serial": "SN-7",
                                                   "ratio": 50, "rated_torque_nm": 39.0},
              "sequence": {"name": "positioning", "title": "Positioning", "version": "1"}}
    writer = RunWriter.create(tmp_path / "runs", record)
    writer.add_attachment(plotdata.attachment_name("positioning"), plotdata.encode("positioning", _arrays()))
    writer.update_record(measurements=[])
    writer.close("PASS")
    content = build_content(open_run(writer.path))
    assert [(p.kind, p.label) for p in content.plots] == [("positioning", "")] and not content.problems
    text = render_html(content)
    assert text.count("<svg") == 1
    assert "<figcaption>Positioning repeatability and accuracy</figcaption>" in text
    assert page_count(content) == 1 + 1
