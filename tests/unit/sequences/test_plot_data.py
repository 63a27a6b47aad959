"""The plot-data hand-over from a procedure to the report: validation, npz round trip, end to end."""

from __future__ import annotations

import numpy as np
import pytest

from bench.recording import open_run
from bench.reports import build_content, render_html
from bench.sequences import Measurement, Outcome, Sequence, plotdata, run_sequence


def test_round_trip_keeps_arrays_and_strings():
    data = plotdata.encode("hysteresis", {"torque_nm": [0.0, 1.0, 0.0], "angle_rad": [0.0, 4e-5, 1e-5],
                                          "fit_t_start_nm": [0.0], "fit_t_end_nm": [14.0],
                                          "fit_k_nm_rad": [25e3], "fit_angle0_rad": [0.0], "fit_label": ["K1"]})
    p = plotdata.decode(data)
    assert p.kind == "hysteresis"
    np.testing.assert_array_equal(p.arrays["angle_rad"], [0.0, 4e-5, 1e-5])
    assert str(p.arrays["fit_label"][0]) == "K1"


@pytest.mark.parametrize("kind, arrays, message", [
    ("bode", {}, "unknown plot kind"),
    ("te", {"te_rad": [0.0]}, "missing output_angle_rad"),
    ("te", {"output_angle_rad": [0, 1], "te_rad": [0, 1], "phase": [0]}, "unknown phase"),
    ("te", {"output_angle_rad": [0, 1, 2], "te_rad": [0, 1]}, "equal length"),
    ("te", {"output_angle_rad": [0, 1], "te_rad": [0, 1], "orders": [1]}, "both orders and amplitude_rad"),
    ("efficiency", {"speed_rad_s": [1, 2, 3], "torque_nm": [1, 2], "efficiency": np.zeros((3, 2))},
     r"\(2, 3\)"),
    ("hysteresis", {"torque_nm": [0], "angle_rad": [0], "fit_k_nm_rad": [1.0]}, "a stiffness fit needs"),
    ("ripple", {"angle_rad": [0], "torque_nm": [object()]}, "not objects"),
])
def test_bad_plot_data_is_refused_with_the_reason(kind, arrays, message):
    with pytest.raises(ValueError, match=message):
        plotdata.encode(kind, arrays)


class TeRun(Sequence):
    """Attaches a TE curve with a known 1st order of 0.2 arcmin and measures its p-p."""

    name = "te_fake"
    title = "Transmission error (fake)"
    measurements = (Measurement("transmission_accuracy", unit="rad", display_unit="arcmin"),)

    def run(self, ctx):
        theta = np.linspace(0, 2 * np.pi, 2048, endpoint=False)
        te = 0.2 * np.pi / 10800 * np.sin(theta)
        name = ctx.attach_plot_data("te", label="cw", output_angle_rad=theta, te_rad=te)
        assert name == "plot_te_cw.npz"
        ctx.measure("transmission_accuracy", float(te.max() - te.min()))


def test_a_procedure_hands_plot_data_to_the_report(rig, tmp_path, spec_path):
    result = run_sequence(TeRun, rig, spec=spec_path, runs_dir=tmp_path)
    assert result.outcome is Outcome.PASS  # 0.4′ p-p < 1′ (Table A)
    assert result.measurement("transmission_accuracy").display_value == pytest.approx(0.4, rel=1e-3)
    run = open_run(result.path)
    content = build_content(run)
    (p,) = content.plots
    assert (p.kind, p.label) == ("te", "cw")
    text = render_html(content)
    assert text.count("<svg") == 1 and "Transmission error – cw" in text and "0.4 arcmin p-p" in text
    assert "transmission_accuracy" in text and ">PASS<" in text


def test_plot_data_error_in_a_procedure_is_an_error_outcome(rig, tmp_path):
    class Bad(TeRun):
        name = "bad_plot"

        def run(self, ctx):
            ctx.attach_plot_data("te", output_angle_rad=[0.0, 1.0], te_rad=[0.0])

    result = run_sequence(Bad, rig, runs_dir=tmp_path)
    assert result.outcome is Outcome.ERROR and "equal length" in result.errors[0]["message"]
