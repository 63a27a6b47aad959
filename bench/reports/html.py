"""Self-contained HTML report: one file, styles inline, plots as inline SVG, images as data URIs."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

from bench.recording import Run
from bench.reports.content import ReportContent, build_content
from bench.reports.plots import figures

OUTCOME_COLOURS = {"PASS": "#1b7f3b", "MARGINAL": "#b06f00", "FAIL": "#b3261e", "INVALID": "#b3261e",
                   "ERROR": "#b3261e", "ABORTED": "#5f6368", "MISSING": "#5f6368", "NO_LIMITS": "#5f6368",
                   "INCOMPLETE": "#b06f00", "RUNNING": "#5f6368"}

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #202124; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f1f3f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: bold; }
.note { color: #5f6368; font-size: 0.85em; } figure { margin: 1em 0; } figure svg { width: 100%; height: auto; }
pre { background: #f8f9fa; padding: 0.5em; overflow-x: auto; font-size: 0.8em; }
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def badge(outcome: str) -> str:
    colour = OUTCOME_COLOURS.get(outcome, "#5f6368")
    return f'<span class="badge" style="background:{colour}">{_e(outcome)}</span>'


def figure_svg(fig) -> str:
    """A matplotlib figure as an inline ``<svg>`` element (text as paths: no font files needed)."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "bench-report"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<td{cls}>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def render_html(content: ReportContent | Run) -> str:
    """The report as one HTML document (a :class:`Run` is read with :func:`build_content` first)."""
    if isinstance(content, Run):
        content = build_content(content)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(content.title)} – {_e(content.run_id)}</title>", f"<style>{STYLE}</style></head><body>",
        f"<h1>{_e(content.title)}</h1>",
        f'<p>Outcome {badge(content.outcome)} &nbsp; run <code>{_e(content.run_id)}</code>'
        + (f" &nbsp; {badge(content.status)} (the recording did not close: data up to the stop)"
           if content.status != "COMPLETE" else "") + "</p>",
        "<h2>Run</h2>",
        _table(["Item", "Value"], [[_e(k), _e(v)] for k, v in content.header]),
    ]
    if content.sensors:
        keys = []
        for s in content.sensors:
            keys += [k for k in s if k not in keys]
        parts += ["<h2>Sensors and devices</h2>",
                  _table(keys, [[_e(s.get(k, "")) for k in keys] for s in content.sensors])]
    parts.append("<h2>Results</h2>")
    if content.results:
        rows = [[f"<b>{_e(r.name)}</b><br><span class='note'>{_e(r.description)}</span>", _e(r.value), _e(r.low),
                 _e(r.high), _e(r.nominal), _e(r.unit), badge(r.outcome), f"<span class='note'>{_e(r.note)}</span>"]
                for r in content.results]
        parts.append(_table(["Measurement", "Value", "Low limit", "High limit", "Nominal", "Unit", "Outcome",
                             "Notes"], rows, numeric={1, 2, 3, 4}))
    else:
        parts.append("<p class='note'>No measurements.</p>")
    if content.errors:
        parts.append("<h2>Errors</h2>")
        for e in content.errors:
            parts.append(f"<p><b>{_e(e['type'])}</b> in {_e(e['phase'])}: {_e(e['message'])}</p>")
            if e.get("traceback"):
                parts.append(f"<details><summary>traceback</summary><pre>{_e(e['traceback'])}</pre></details>")
    if content.parameters:
        parts += ["<h2>Parameters</h2>",
                  _table(["Parameter", "Value (SI)"], [[_e(k), _e(v)] for k, v in content.parameters],
                         numeric={1})]
    figs = figures(content)
    if figs:
        parts.append("<h2>Plots</h2>")
        for caption, fig in figs:
            parts.append(f"<figure>{figure_svg(fig)}<figcaption>{_e(caption)}</figcaption></figure>")
    for name, data in content.images:
        if name.lower().endswith(".svg"):
            text = data.decode("utf-8", "replace")
            start = text.find("<svg")
            body = text[start:] if start >= 0 else _e(text)
            parts.append(f"<figure>{body}<figcaption>{_e(name)}</figcaption></figure>")
        else:
            mime = "image/png" if name.lower().endswith(".png") else "image/jpeg"
            uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
            parts.append(f'<figure><img src="{uri}" alt="{_e(name)}" style="max-width:100%">'
                         f"<figcaption>{_e(name)}</figcaption></figure>")
    if content.attachments:
        parts += ["<h2>Attachments</h2>", "<p class='note'>" + ", ".join(_e(a) for a in content.attachments)
                  + " (in the run folder)</p>"]
    if content.problems:
        parts += ["<h2>Report problems</h2>"] + [f"<p class='note'>{_e(p)}</p>" for p in content.problems]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(run: Run, out_path: str | Path) -> Path:
    out_path = Path(out_path)
    out_path.write_text(render_html(run), encoding="utf-8")
    return out_path
