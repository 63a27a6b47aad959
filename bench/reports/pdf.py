"""PDF report through matplotlib's PdfPages: a title page (header + results), then one page per plot.

Pages: 1 title page with the header and the first :data:`RESULTS_ON_TITLE` results; one more page
per :data:`RESULTS_PER_PAGE` further results; one page of errors if the run has any; one page per
figure (:func:`bench.reports.plots.figures`). :func:`page_count` says how many before writing.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

import bench
from bench.recording import Run
from bench.reports.content import ReportContent, build_content
from bench.reports.html import OUTCOME_COLOURS
from bench.reports.plots import figures

A4_PORTRAIT_IN = (8.27, 11.69)
RESULTS_ON_TITLE = 12
RESULTS_PER_PAGE = 30
#: characters of a header value per line (the value column at 7.5 pt); longer values wrap
HEADER_WRAP_CHARS = 92
#: lines one header value may take (sensors, parameters); the record holds everything beyond
HEADER_MAX_LINES = 5


def _clip(text: str, width: int) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _results_table(fig: Figure, rect, rows, title: str) -> None:
    ax = fig.add_axes(rect)
    ax.axis("off")
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if not rows:
        ax.text(0, 0.9, "No measurements.", fontsize=9)
        return
    head = ["Measurement", "Value", "Low", "High", "Nominal", "Unit", "Outcome"]
    cells = [[_clip(r.name, 28), r.value, r.low, r.high, r.nominal, r.unit, r.outcome] for r in rows]
    height = min(1.0, 0.06 * (len(rows) + 1))
    table = ax.table(cellText=cells, colLabels=head, loc="upper left", cellLoc="left",
                     colWidths=[0.3, 0.12, 0.11, 0.11, 0.11, 0.11, 0.14], bbox=[0, 1 - height, 1, height])
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    for (row, col), cell in table.get_celld().items():
        if row == 0:
            cell.set_facecolor("#f1f3f4")
            cell.set_text_props(fontweight="bold")
        elif col == 6:
            cell.get_text().set_color(OUTCOME_COLOURS.get(cells[row - 1][6], "#202124"))
            cell.set_text_props(fontweight="bold")


def _wrapped(text: str, width: int = HEADER_WRAP_CHARS, max_lines: int = HEADER_MAX_LINES) -> str:
    """Wrap a header value; past ``max_lines`` it ends with a pointer to the record, which has it all."""
    lines = textwrap.wrap(str(text).replace("\n", " "), width) or [""]
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [_clip(lines[max_lines - 1], width - 22) + " (all in record.json)"]
    return "\n".join(lines)


def _title_page(c: ReportContent) -> Figure:
    fig = Figure(figsize=A4_PORTRAIT_IN)
    title = textwrap.wrap(c.title, 62)[:2] or [""]  # 62 characters fit A4 at 13 pt
    for i, line in enumerate(title):
        fig.text(0.07, 0.955 - 0.022 * i if len(title) > 1 else 0.95, line, fontsize=13, fontweight="bold")
    colour = OUTCOME_COLOURS.get(c.outcome, "#5f6368")
    fig.text(0.07, 0.905 if len(title) > 1 else 0.918, f"Outcome: {c.outcome}", fontsize=13, fontweight="bold",
             color=colour)
    if c.status != "COMPLETE":
        fig.text(0.45, 0.918, f"recording {c.status}: data up to the stop", fontsize=10, color="#b06f00")
    ax = fig.add_axes([0.07, 0.54, 0.86, 0.35])
    ax.axis("off")
    rows = [[k, _wrapped(v)] for k, v in c.header]
    if c.sensors:
        rows.append(["Sensors", _wrapped("; ".join(
            " ".join(f"{v}" for k, v in s.items() if k in ("role", "driver", "node_id", "address", "serial",
                                                          "calibration_date")) for s in c.sensors))])
    if c.parameters:
        rows.append(["Parameters", _wrapped(", ".join(f"{k}={v}" for k, v in c.parameters))])
    table = ax.table(cellText=rows, loc="upper left", cellLoc="left", colWidths=[0.2, 0.8], bbox=[0, 0, 1, 1])
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    for (row, col), cell in table.get_celld().items():
        cell.set_height(cell.get_height() * (rows[row][1].count("\n") + 1))  # the bbox keeps the proportions
        if col == 0:
            cell.set_facecolor("#f1f3f4")
    _results_table(fig, [0.07, 0.06, 0.86, 0.44], c.results[:RESULTS_ON_TITLE], "Results")
    fig.text(0.07, 0.02, f"bench {bench.__version__} · run {c.run_id}", fontsize=7, color="#5f6368")
    return fig


def _errors_page(c: ReportContent) -> Figure:
    fig = Figure(figsize=A4_PORTRAIT_IN)
    fig.text(0.07, 0.95, "Errors", fontsize=13, fontweight="bold")
    y = 0.91
    for e in c.errors:
        lines = [f"{e['type']} in {e['phase']}: {e['message']}"]
        lines += [ln for ln in e.get("traceback", "").splitlines()[-12:]]
        for i, line in enumerate(lines):
            if y < 0.04:
                break
            fig.text(0.07, y, _clip(line, 110), fontsize=8 if i == 0 else 6.5,
                     family="monospace" if i else None, fontweight="bold" if i == 0 else "normal")
            y -= 0.022 if i == 0 else 0.016
        y -= 0.015
    return fig


def page_count(content: ReportContent) -> int:
    """Pages :func:`write_pdf` produces for ``content``."""
    extra = max(0, len(content.results) - RESULTS_ON_TITLE)
    return (1 + math.ceil(extra / RESULTS_PER_PAGE) + (1 if content.errors else 0)
            + len(content.plots) + (1 if content.channels else 0))


def write_pdf(run: Run | ReportContent, out_path: str | Path) -> Path:
    """Write the PDF report of ``run`` to ``out_path``; returns the path."""
    content = build_content(run) if isinstance(run, Run) else run
    out_path = Path(out_path)
    with PdfPages(out_path, metadata={"Title": content.title, "Subject": f"run {content.run_id}",
                                      "Creator": f"bench {bench.__version__}"}) as pdf:
        pdf.savefig(_title_page(content))
        rest = content.results[RESULTS_ON_TITLE:]
        for start in range(0, len(rest), RESULTS_PER_PAGE):
            fig = Figure(figsize=A4_PORTRAIT_IN)
            _results_table(fig, [0.07, 0.06, 0.86, 0.88], rest[start:start + RESULTS_PER_PAGE], "Results (continued)")
            pdf.savefig(fig)
        if content.errors:
            pdf.savefig(_errors_page(content))
        for _caption, fig in figures(content):
            pdf.savefig(fig)
    return out_path
