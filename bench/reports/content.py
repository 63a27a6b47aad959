"""What a report says, gathered once from a recorded run; the HTML and PDF writers only lay it out.

The run is read through the recording contract (:func:`bench.recording.open_run`): the JSON record
for the header, results and errors; ``attachments/plot_*.npz`` for plot data
(:mod:`bench.sequences.plotdata`); the raw channels for an overview when a run has no plot data.
Values are converted to display units here (arcmin, rpm, Nm/arcmin) and nowhere below.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.recording import Run
from bench.sequences import plotdata
from bench.sequences.quantities import from_si, unit_info

#: raw channels drawn in the overview, at most, and samples per channel after decimation
OVERVIEW_CHANNELS = 6
OVERVIEW_POINTS = 4000


@dataclass(frozen=True)
class ResultRow:
    name: str
    description: str
    value: str
    low: str
    high: str
    nominal: str
    unit: str
    outcome: str
    note: str = ""  # extras (window, interval) and where the limits come from


@dataclass(frozen=True)
class ChannelTrace:
    name: str
    unit: str
    t_s: np.ndarray
    values: np.ndarray
    samples: int


@dataclass(frozen=True)
class ReportContent:
    run_id: str
    title: str
    outcome: str
    status: str  # COMPLETE / RUNNING / INCOMPLETE
    header: tuple[tuple[str, str], ...]
    sensors: tuple[dict[str, str], ...]
    parameters: tuple[tuple[str, str], ...]
    results: tuple[ResultRow, ...]
    errors: tuple[dict[str, str], ...]
    plots: tuple[plotdata.PlotData, ...]
    channels: tuple[ChannelTrace, ...] = ()
    images: tuple[tuple[str, bytes], ...] = ()  # attached png/svg/jpeg, shown as they are
    attachments: tuple[str, ...] = ()
    unit_meta: dict[str, Any] = field(default_factory=dict)  # ratio, rated_torque_nm (plots use them)
    problems: tuple[str, ...] = ()  # attachments that could not be read (shown, not hidden)


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a table: 4 significant digits, '–' for none."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.floating, np.integer)):
        x = float(value)
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        if x == 0:
            return "0"
        exponent = math.floor(math.log10(abs(x)))
        if -3 <= exponent < 7:  # plain decimals for the usual range: 19000, 0.97, 0.0125
            decimals = max(0, digits - 1 - exponent)
            text = f"{round(x, digits - 1 - exponent):.{decimals}f}"
            return text.rstrip("0").rstrip(".") if "." in text else text
        return f"{x:.{digits}g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v, digits) for v in value)
    return str(value)


def _when(iso: Any) -> str:
    try:
        return _dt.datetime.fromisoformat(str(iso)).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    except (TypeError, ValueError):
        return str(iso or "–")


def _display(value: Any, unit: str, display_unit: str) -> Any:
    if value is None or not display_unit or display_unit == unit:
        return value
    try:
        return from_si(float(value), display_unit)
    except (TypeError, ValueError):
        return value


def _result_row(m: dict[str, Any]) -> ResultRow:
    unit = str(m.get("unit") or "")
    shown = str(m.get("display_unit") or "")
    if shown and (unit_info(shown) is None or unit_info(shown)[0] != unit_info(unit or "1")[0]):
        shown = ""
    show_unit = shown or unit

    def d(key):
        return fmt(_display(m.get(key), unit, shown))

    extra = m.get("extra") or {}
    notes = [f"{k} = {fmt(v)}" for k, v in extra.items()]
    if m.get("marginal"):
        notes.append(f"marginal band {fmt(_display(m['marginal'], unit, shown))} {show_unit}")
    if m.get("limit_source"):
        notes.append(f"limits: {m['limit_source']}")
    return ResultRow(str(m.get("name", "?")), str(m.get("description") or ""), d("value"), d("low"), d("high"),
                     d("nominal"), show_unit, str(m.get("outcome") or "–"), "; ".join(notes))


def _duration_s(rec: dict[str, Any]) -> float | None:
    """Wall-clock run time from started_at/stopped_at (``duration_s`` counts on the samples' timebase,
    which may have started before the run, e.g. when the rig opened)."""
    try:
        start = _dt.datetime.fromisoformat(str(rec["started_at"]))
        stop = _dt.datetime.fromisoformat(str(rec["stopped_at"]))
        return (stop - start).total_seconds()
    except (KeyError, TypeError, ValueError):
        value = rec.get("duration_s")
        return float(value) if isinstance(value, (int, float)) else None


def _header(rec: dict[str, Any], run: Run) -> tuple[tuple[str, str], ...]:
    unit = rec.get("unit") or {}
    rig = rec.get("rig") or {}
    seq = rec.get("sequence") or {}
    spec = rec.get("spec") or {}
    duration = _duration_s(rec)
    rows = [
        ("Run", run.run_id),
        ("Procedure", " – ".join(x for x in (str(rec.get("procedure") or ""), str(seq.get("title") or "")) if x)
         + (f" (v{seq['version']})" if seq.get("version") else "")),
        ("Unit", " ".join(str(x) for x in (unit.get("kind"), unit.get("model")) if x) or "–"),
        ("Unit type", str(unit.get("type") or "–")),
        ("Serial", str(unit.get("serial") or "–")),
        ("Ratio", fmt(unit.get("ratio"))),
        ("Rated torque", f"{fmt(unit.get('rated_torque_nm'))} N·m"),
        ("Rig", f"{rig.get('name') or '–'}" + (" (simulated)" if rig.get("simulated") else "")),
        ("Rig file", f"{rig.get('path') or '–'}  sha256 {str(rig.get('sha256') or '–')[:16]}"),
        ("Specification", f"{spec.get('title') or spec.get('path')}  sha256 {str(spec.get('sha256') or '')[:16]}"
         if spec else "none (limits declared by the procedure)"),
        ("Operator", str(rec.get("operator") or "–")),
        ("Started", _when(rec.get("started_at"))),
        ("Stopped", _when(rec.get("stopped_at")) if rec.get("stopped_at") else "– (not closed)"),
        ("Duration", f"{fmt(duration)} s" if duration is not None else "–"),
        ("Software", f"bench {rec.get('software_version') or '?'}"),
    ]
    return tuple(rows)


def _sensors(rec: dict[str, Any]) -> tuple[dict[str, str], ...]:
    out = []
    for s in rec.get("sensors") or []:
        if isinstance(s, dict):
            row = {}
            for k, v in s.items():
                if isinstance(v, dict):  # the driver's identity (describe()): model, serial, calibration …
                    row.update({str(kk): fmt(vv) for kk, vv in v.items() if vv is not None and kk not in s})
                elif v is not None:
                    row[str(k)] = fmt(v)
            out.append(row)
    return tuple(out)


def _decimate(t: np.ndarray, v: np.ndarray, points: int) -> tuple[np.ndarray, np.ndarray]:
    if len(t) <= points:
        return t, v
    step = int(math.ceil(len(t) / points))
    return t[::step], v[::step]


def build_content(run: Run, *, overview: bool | None = None) -> ReportContent:
    """Gather everything a report shows from ``run``.

    ``overview``: draw the raw channels (None: only when the run has no plot data).
    """
    rec = run.record
    problems: list[str] = []
    plots, images, names = [], [], []
    for name, path in run.attachments.items():
        names.append(name)
        if name.startswith(plotdata.PREFIX) and name.endswith(".npz"):
            stem = name[len(plotdata.PREFIX):-4]
            try:
                data = plotdata.decode(path.read_bytes(), label=stem)
            except (ValueError, OSError, KeyError) as exc:
                problems.append(f"attachment {name}: {exc}")
                continue
            kind = data.kind
            label = stem[len(kind) + 1:] if stem.startswith(kind + "_") else ""
            plots.append(plotdata.PlotData(kind, label, data.arrays))
        elif name.lower().endswith((".png", ".svg", ".jpg", ".jpeg")):
            images.append((name, path.read_bytes()))
    order = {k: i for i, k in enumerate(plotdata.KINDS)}
    plots.sort(key=lambda p: (order.get(p.kind, 99), p.label))
    channels = []
    if overview or (overview is None and not plots):
        for name, spec in list(run.channels.items())[:OVERVIEW_CHANNELS]:
            try:
                t, v = run.read(name)
            except Exception as exc:  # a damaged channel file: say so in the report
                problems.append(f"channel {name}: {exc}")
                continue
            if len(t) == 0 or v.ndim != 1:
                continue
            td, vd = _decimate(np.asarray(t, float), np.asarray(v, float), OVERVIEW_POINTS)
            channels.append(ChannelTrace(name, spec.unit, td, vd, len(t)))
    unit = rec.get("unit") or {}
    seq = rec.get("sequence") or {}
    title = f"{seq.get('title') or rec.get('procedure') or 'Run'} – {unit.get('model') or ''} {unit.get('serial') or ''}"
    params = tuple((str(k), fmt(v)) for k, v in (rec.get("parameters") or {}).items())
    errors = tuple({"phase": str(e.get("phase", "")), "type": str(e.get("type", "")),
                    "message": str(e.get("message", "")), "traceback": str(e.get("traceback", ""))}
                   for e in rec.get("errors") or [] if isinstance(e, dict))
    if run.complete:
        status = "COMPLETE"
    else:
        status = "RUNNING" if getattr(run, "live", False) else "INCOMPLETE"
    return ReportContent(
        run_id=run.run_id, title=title.strip(" –"), outcome=str(rec.get("outcome") or status),
        status=status, header=_header(rec, run), sensors=_sensors(rec), parameters=params,
        results=tuple(_result_row(m) for m in rec.get("measurements") or [] if isinstance(m, dict)),
        errors=errors, plots=tuple(plots), channels=tuple(channels), images=tuple(images),
        attachments=tuple(names),
        unit_meta={"ratio": unit.get("ratio"), "rated_torque_nm": unit.get("rated_torque_nm")},
        problems=tuple(problems))
