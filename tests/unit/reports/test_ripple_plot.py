"""The ripple plot states ripple in % of the mean only where the mean torque dominates (DOMAIN.md §4)."""

import numpy as np

from bench.reports.plots import ripple_figure
from bench.sequences.plotdata import PlotData

ANGLE = np.linspace(0, 2 * np.pi, 720, endpoint=False)


def _title(label, torque):
    fig = ripple_figure(PlotData("ripple", label, {"angle_rad": ANGLE, "torque_nm": torque}), {})
    return fig.axes[0].get_title()


def test_ripple_about_a_mean_torque_is_given_in_percent():
    # 1.3 N·m ± 0.013 N·m at order 30: p-p 0.026 N·m = 2 % of the mean
    title = _title("", 1.3 + 0.013 * np.sin(30 * ANGLE))
    assert title.startswith("Torque ripple: 0.026 N·m p-p") and "= 2 % of the mean" in title


def test_cogging_about_zero_has_no_percent():
    title = _title("cogging", 0.02 * np.sin(60 * ANGLE))
    assert title.startswith("Cogging torque: 0.04 N·m p-p") and "%" not in title
