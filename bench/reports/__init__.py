"""Reports of recorded runs: self-contained HTML (inline SVG plots) and PDF (matplotlib PdfPages).

A report reads a run folder through :mod:`bench.recording` and draws the plot data the procedure
attached (:mod:`bench.sequences.plotdata`: hysteresis loop, TE and its orders, efficiency map,
ripple and its orders, no-load torque over speed, breakaway ramps, Kt and Ke lines, positioning
deviations over the target angle), or the raw channels when there is none.

    from bench.recording import open_run
    from bench.reports import write_report
    write_report(open_run("runs/20261128-211530-a1b2c3"), "html", "report.html")
"""

from __future__ import annotations

from pathlib import Path

from bench.recording import Run
from bench.reports.content import ReportContent, build_content
from bench.reports.html import render_html, write_html
from bench.reports.pdf import page_count, write_pdf

FORMATS = ("html", "pdf")


def write_report(run: Run, fmt: str, out_path: str | Path | None = None) -> Path:
    """Write the report of ``run`` as ``fmt`` (html or pdf); default path ``<run_id>-report.<fmt>``."""
    if fmt not in FORMATS:
        raise ValueError(f"report format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out_path) if out_path is not None else Path(f"{run.run_id}-report.{fmt}")
    return write_html(run, out) if fmt == "html" else write_pdf(run, out)


__all__ = ["FORMATS", "ReportContent", "build_content", "render_html", "write_html", "write_pdf", "page_count",
           "write_report"]
