"""HTML and PDF reports of a synthetic run with known arrays; the order spectrum; the CLI."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from bench.cli import main
from bench.recording import open_run
from bench.reports import (
    build_content,
    page_count,
    render_html,
    write_pdf,
    write_report,
)
from bench.reports.plots import order_spectrum

ARCMIN = np.pi / 10800  # DOMAIN.md §0


def _pdf_pages(data: bytes) -> int:
    # page objects (not the /Pages tree node) of an uncompressed object table, as matplotlib writes them
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def test_order_spectrum_recovers_known_harmonics(te_signal):
    theta, te, harmonics = te_signal
    orders, amp = order_spectrum(theta, te)
    for order, amplitude, _ in harmonics:
        i = int(np.argmin(np.abs(orders - order)))
        assert orders[i] == pytest.approx(order)
        assert amp[i] == pytest.approx(amplitude, rel=0.01)
    others = np.ones(amp.size, bool)
    for order, _, _ in harmonics:
        others[int(np.argmin(np.abs(orders - order)))] = False
    assert amp[others].max() < 0.01 * 1.0e-5  # nothing else


def test_order_spectrum_over_two_revolutions_counts_per_revolution():
    theta = np.linspace(0, 4 * np.pi, 8000, endpoint=False)
    orders, amp = order_spectrum(theta, 0.3 * np.sin(6 * theta))
    assert orders[np.argmax(amp)] == pytest.approx(6.0)
    assert amp.max() == pytest.approx(0.3, rel=0.01)
    assert order_spectrum(theta[:100], theta[:100])[0].size == 0  # less than a revolution: none


def test_html_is_self_contained_with_header_results_and_inline_plots(synthetic_run):
    text = render_html(synthetic_run)
    assert text.startswith("<!DOCTYPE html>")
    # header
    for item in ("CSF-25-50-2UH", "SN-42", "R. Tester", "Simulated harmonic-drive bench", "bench 0.1.0",
                 "t40b", "cia406", "T40-123", "2026-03-01", synthetic_run.run_id):
        assert item in text, item
    # results with limits in display units and outcomes
    assert "hysteresis_loss" in text and "lost_motion" in text and "stiffness_k1" in text
    row = text[text.index("<b>hysteresis_loss</b>"):].split("</tr>")[0]
    assert ">0.5<" in row and ">1<" in row and "arcmin" in row and ">PASS<" in row  # 0.5′ against < 1′
    row = text[text.index("<b>stiffness_k1</b>"):].split("</tr>")[0]
    assert ">19000<" in row and ">20000<" in row and ">25000<" in row and ">FAIL<" in row
    assert ">MARGINAL<" in text and "window_fraction = 0.04" in text
    assert "Outcome <span" in text and ">FAIL</span>" in text
    # four plots inline as SVG, nothing fetched from elsewhere
    assert text.count("<svg") == 4
    assert "<figcaption>Hysteresis loop</figcaption>" in text and "Transmission error – cw" in text
    assert not re.search(r"<(link|script)\b", text) and not re.search(r"""src=["'](?!data:)""", text)
    assert "Recorded channels" not in text  # plot data present: no raw overview


def test_hysteresis_plot_draws_the_loop_in_arcmin(synthetic_run):
    from bench.reports.plots import hysteresis_figure

    content = build_content(synthetic_run)
    fig = hysteresis_figure(content.plots[0], content.unit_meta)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "output angle θ [arcmin]"
    loop = ax.lines[0].get_xdata()
    # ±TN / K1 ± half the width, in arcmin: 39/25e3 rad = 5.363′ (cf. DOMAIN.md G4: φ(39) with K1 only)
    assert loop.max() == pytest.approx(39.0 / 25e3 / ARCMIN + 0.25, rel=1e-6)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("±1.56 N·m = ±4 % TN" in s for s in legend)  # 0.04 · 39 N·m
    assert any(s.startswith("K1: 2.5e+04 N·m/rad = 7.272 N·m/arcmin (0…14 N·m)") for s in legend)


@pytest.mark.parametrize("value, text", [(19000.0, "19000"), (0.97, "0.97"), (123456.0, "123500"),
                                         (2.908882e-4, "0.0002909"), (3.8847e8, "3.885e+08"), (-0.5, "-0.5"),
                                         (0.0, "0"), (float("nan"), "NaN"), (None, "–"), (3, "3")])
def test_numbers_in_tables(value, text):
    from bench.reports.content import fmt

    assert fmt(value) == text


def test_pdf_has_title_page_and_one_page_per_plot(synthetic_run, tmp_path):
    out = write_pdf(synthetic_run, tmp_path / "r.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    content = build_content(synthetic_run)
    assert page_count(content) == 1 + 4
    assert _pdf_pages(data) == 5


def test_errors_and_incomplete_runs_are_shown(tmp_path, run_factory):
    err = {"phase": "run", "type": "DeviceTimeoutError", "message": "drive_in: no answer to SDO 0x6041",
           "traceback": "Traceback (most recent call last):\n  File x\nDeviceTimeoutError: drive_in"}
    run, _ = run_factory(tmp_path / "runs", plots=False, errors=[err])
    # as if the recording process had been killed: status still "running", nobody holds the lock
    rec = json.loads((run.path / "record.json").read_text())
    rec["status"] = "running"
    (run.path / "record.json").write_text(json.dumps(rec))
    run = open_run(run.path)
    content = build_content(run)
    assert content.status == "INCOMPLETE"
    text = render_html(content)
    assert "DeviceTimeoutError" in text and "no answer to SDO 0x6041" in text and ">INCOMPLETE<" in text
    assert "Recorded channels" in text and text.count("<svg") == 1  # no plot data: raw overview
    out = write_pdf(content, tmp_path / "e.pdf")
    assert _pdf_pages(out.read_bytes()) == page_count(content) == 1 + 1 + 1  # title, errors, channels


def test_a_broken_plot_attachment_is_reported_not_fatal(tmp_path, run_factory):
    run, _ = run_factory(tmp_path / "runs", plots=False)
    (run.path / "attachments").mkdir(exist_ok=True)
    (run.path / "attachments" / "plot_te.npz").write_bytes(b"not a zip")
    content = build_content(open_run(run.path))
    assert content.plots == () and any("plot_te.npz" in p for p in content.problems)
    assert "plot_te.npz" in render_html(content)


def test_many_results_continue_on_further_pages(tmp_path, run_factory):
    run, writer = run_factory(tmp_path / "runs", plots=False, channels=False, close=False)
    many = [{"name": f"m{i}", "value": float(i), "unit": "N·m", "outcome": "PASS"} for i in range(50)]
    writer.update_record(measurements=many)
    writer.close("PASS")
    content = build_content(open_run(run.path))
    assert len(content.results) == 50 and content.channels == ()
    out = write_pdf(content, tmp_path / "m.pdf")
    assert _pdf_pages(out.read_bytes()) == page_count(content) == 1 + 2  # 12 on the title, 30 + 8 after


def test_cli_report_by_run_id(tmp_path, run_factory, capsys):
    run, _ = run_factory(tmp_path / "runs", plots=False)  # one overview plot: keeps the test quick
    out = tmp_path / "cli.pdf"
    assert main(["report", run.run_id[:15], "--runs-dir", str(tmp_path / "runs"), "--format", "pdf",
                 "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert str(out) in capsys.readouterr().out
    html_out = write_report(run, "html", tmp_path / "r.html")
    assert html_out.read_text(encoding="utf-8").count("<svg") == 1
    assert main(["report", "nope", "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "no run 'nope'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="report format"):
        write_report(run, "docx")


def test_pdf_title_page_wraps_long_header_values_instead_of_cutting_them(tmp_path, run_factory):
    from bench.reports.pdf import _title_page

    run, writer = run_factory(tmp_path / "runs", plots=False, channels=False, close=False)
    params = {f"parameter_number_{i}_s": float(i) for i in range(12)}   # about 300 characters
    writer.update_record(parameters=params)
    writer.close("PASS")
    fig = _title_page(build_content(open_run(run.path)))
    cells = [cell.get_text().get_text() for ax in fig.axes for table in ax.tables
             for cell in table.get_celld().values()]
    shown = next(text for text in cells if text.startswith("parameter_number_0_s"))
    assert "parameter_number_11_s=11" in shown.replace("\n", " ") and "…" not in shown
    assert 2 <= shown.count("\n") + 1 <= 5                                             # wrapped, not cut
