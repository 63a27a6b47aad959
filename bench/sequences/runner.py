"""Run a sequence on a rig and produce its run record.

:func:`run_sequence` is the one way a procedure runs (CLI, GUI worker, scripts, CI):

1. builds the parameters (defaults ← spec ``[parameters.<name>]`` ← overrides; every problem at once)
   and the limits (declared ← spec) — problems here raise :class:`ConfigError` before any run exists;
2. opens a run folder (:class:`bench.recording.RunWriter`) with ids, unit serial, rig file hash,
   parameters, spec, sensors; records the hub's channels while the sequence runs;
3. calls ``setup`` → ``run``; ``teardown`` and ``rig.safe_state()`` run in ``finally`` whatever
   happened (on abort the safe state is commanded first, then teardown, then the safe state again);
4. evaluates each measurement against its limits, writes measurements, errors, log and outcome into
   the record, closes it, and indexes it in ``<runs_dir>/index.sqlite`` for trends.

Outcome: ERROR if an exception other than an abort escaped (any phase, the safe state, the recorder)
or a declared measurement was never measured; ABORTED on abort; FAIL if a measurement is outside its
limits (or not finite); PASS otherwise (MARGINAL measurements pass, flagged). Once the run exists,
nothing is raised: every exception is written into the record (type, message, traceback).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.errors import ConfigError, SequenceAborted
from bench.recording import RunIndex, RunWriter, make_record, open_run
from bench.sequences.base import Limits, Outcome, Sequence, Verdict
from bench.sequences.context import Progress, SequenceContext, error_record
from bench.sequences.params import build_parameters, parameters_record
from bench.sequences.quantities import from_si
from bench.sequences.spec import ProductSpec, load_spec
from bench.sequences.spec_check import check_spec, unit_mismatches
from bench.streams import ChannelSpec

log = logging.getLogger(__name__)

INDEX_FILE = "index.sqlite"


@dataclass(frozen=True)
class MeasurementResult:
    """One measurement of a finished run, SI, with the limits that applied and its verdict."""

    name: str
    value: float | None
    unit: str
    verdict: Verdict
    low: float | None = None
    high: float | None = None
    marginal: float = 0.0
    nominal: float | None = None
    display_unit: str = ""
    description: str = ""
    limit_source: str = ""
    t_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def display_value(self) -> float | None:
        if self.value is None or not self.display_unit:
            return self.value
        return from_si(self.value, self.display_unit)

    def as_record(self, unit_type: str, serial: str) -> dict[str, Any]:
        """The dict kept in record.json and in the SQLite index."""
        return {"name": self.name, "value": self.value, "unit": self.unit, "low": self.low, "high": self.high,
                "marginal": self.marginal, "nominal": self.nominal, "outcome": str(self.verdict),
                "display_unit": self.display_unit, "description": self.description,
                "limit_source": self.limit_source, "t_s": self.t_s, "extra": self.extra,
                "unit_type": unit_type, "serial": serial}


@dataclass(frozen=True)
class RunResult:
    """What :func:`run_sequence` returns."""

    run_id: str
    outcome: Outcome
    path: Path
    measurements: tuple[MeasurementResult, ...]
    errors: tuple[dict[str, Any], ...] = ()
    duration_s: float = 0.0

    def measurement(self, name: str) -> MeasurementResult:
        for m in self.measurements:
            if m.name == name:
                return m
        raise KeyError(f"run {self.run_id} has no measurement {name!r}")

    @property
    def marginal(self) -> bool:
        return any(m.verdict is Verdict.MARGINAL for m in self.measurements)


def resolve_limits(sequence: type[Sequence], spec: ProductSpec | None) -> dict[str, Limits]:
    """Limits per declared measurement: the spec's where it has them, else the sequence's defaults."""
    limits = {}
    for m in sequence.measurements:
        limits[m.name] = spec.limits_for(m) if spec is not None else m.limits
    return limits


def _load_rig_spec(rig) -> ProductSpec | None:
    unit = rig.config.unit
    if getattr(unit, "spec", ""):
        return load_spec(rig.config.resolve(unit.spec))
    return None


def _check_spec_matches_rig(spec: ProductSpec, rig) -> None:
    problems = unit_mismatches(spec, rig.config.unit)
    if problems:
        raise ConfigError("; ".join(problems), str(spec.path) if spec.path else "product spec")


class _Recorder:
    """Hub callback that feeds the writer; never raises into a receive thread, counts what failed."""

    def __init__(self, writer: RunWriter, hub, ctx: SequenceContext):
        self.writer = writer
        self.hub = hub
        self.ctx = ctx
        self.failures = 0
        self.first_failure: BaseException | None = None
        self._lock = threading.Lock()
        for name, spec in hub.channels.items():
            if ctx.records(name):
                writer.add_channel(spec)

    def __call__(self, block) -> None:
        if not self.ctx.records(block.channel):
            return
        try:
            if block.channel not in self.writer.channels:
                spec = self.hub.channels.get(block.channel) or ChannelSpec(block.channel, unit="")
                self.writer.add_channel(spec)
            self.writer.write_block(block)
        except Exception as exc:  # counted and written into the record; the publisher keeps going
            with self._lock:
                self.failures += 1
                if self.first_failure is None:
                    self.first_failure = exc


def run_sequence(sequence: type[Sequence], rig, *, params: Any = None, spec: ProductSpec | str | Path | None = None,
                 serial: str | None = None, operator: str | None = None, runs_dir: str | Path | None = None,
                 on_progress: Callable[[Progress], None] | None = None,
                 abort_event: threading.Event | None = None, index: bool = True) -> RunResult:
    """Run ``sequence`` on ``rig`` and return its :class:`RunResult`.

    ``rig`` needs ``safe_state()``, ``hub``, ``config`` (:class:`bench.config.RigConfig`),
    ``timebase`` and ``devices``. ``params`` is None, a ``sequence.Parameters`` instance or a dict
    of overrides (strings are parsed with units: ``{"speed_rad_s": "100 rpm"}``). ``spec`` is a
    :class:`ProductSpec`, a path to one, or None (then the rig file's ``[unit].spec`` if set).
    ``runs_dir`` defaults to the rig file's ``runs_dir``. ``abort_event`` set from any thread aborts
    the run cooperatively. Raises only before the run exists (bad parameters or spec:
    :class:`ConfigError`; the runs folder cannot be created: ``RecordingError``).
    """
    if not (isinstance(sequence, type) and issubclass(sequence, Sequence)):
        raise TypeError(f"run_sequence needs a Sequence subclass, found {sequence!r}")
    if isinstance(spec, (str, Path)):
        spec = load_spec(spec)
    elif spec is None:
        spec = _load_rig_spec(rig)
    spec_notes: list[str] = []
    if spec is not None:
        _check_spec_matches_rig(spec, rig)
        problems, warnings = check_spec(spec)  # e.g. a misspelt limit, which no run would ever apply
        spec_notes = [f"product spec: {p}" for p in problems + warnings]
        for note in spec_notes:
            log.warning("%s", note)
    limits = resolve_limits(sequence, spec)
    if isinstance(params, sequence.Parameters):
        parameters = params
    elif params is None or isinstance(params, Mapping):
        parameters = build_parameters(sequence.Parameters, spec.parameters_for(sequence.name) if spec else None,
                                      params, sequence=sequence.name)
    else:
        raise TypeError(f"params must be None, a dict or {sequence.Parameters.__name__}, found {type(params).__name__}")
    serial = serial if serial is not None else rig.config.unit.serial
    unit_type = spec.unit_type if spec is not None else rig.config.unit.model
    if runs_dir is None:
        runs_dir = rig.config.resolve(rig.config.runs_dir)
    runs_dir = Path(runs_dir)
    abort_event = abort_event if abort_event is not None else threading.Event()

    record = make_record(rig.config, procedure=sequence.name, operator=operator, serial=serial,
                         parameters=parameters_record(parameters),
                         sequence={"name": sequence.name, "title": sequence.title, "version": sequence.version,
                                   "class": f"{sequence.__module__}.{sequence.__qualname__}"},
                         spec=spec.record() if spec is not None else None,
                         declared_measurements=[
                             {"name": m.name, "unit": m.unit, "display_unit": m.display_unit,
                              "description": m.description} for m in sequence.measurements])
    record["unit"]["type"] = unit_type
    _describe_devices(rig, record)
    writer = RunWriter.create(runs_dir, record, timebase=rig.timebase)
    started = time.monotonic()
    ctx = SequenceContext(sequence=sequence, rig=rig, params=parameters, limits=limits, spec=spec,
                          writer=writer, abort_event=abort_event, on_progress=on_progress, serial=serial)
    for note in spec_notes:
        ctx.log(note)  # in the record too: the run went ahead with a spec that has these
    errors: list[dict[str, Any]] = []
    rig_errors = getattr(rig, "errors", None)  # errors the rig's receive threads and safe state reported
    rig_errors_before = len(rig_errors) if isinstance(rig_errors, list) else 0
    aborted = False
    recorder = None
    instance = None
    phase = "start"
    try:
        recorder = _Recorder(writer, rig.hub, ctx)
        rig.hub.add_callback(recorder)
        instance = sequence()
        for phase in ("setup", "run"):
            ctx.phase(phase)
            ctx.check_abort()
            getattr(instance, phase)(ctx)
        ctx.progress(1.0, "done")
    except SequenceAborted as exc:
        aborted = True
        ctx.log(f"aborted during {phase}: {exc}")
    except KeyboardInterrupt as exc:  # Ctrl-C in the CLI is an operator abort
        aborted = True
        abort_event.set()
        ctx.log(f"interrupted during {phase}")
        errors.append(error_record(exc, phase))
    except Exception as exc:
        errors.append(error_record(exc, phase))
        ctx.log(f"{type(exc).__name__} during {phase}: {exc}")
    finally:
        try:
            if aborted:
                _call_safe_state(rig, errors, ctx, "abort")
            ctx.in_teardown = True
            try:
                ctx.phase("teardown")
                if instance is not None:
                    instance.teardown(ctx)
            except Exception as exc:
                errors.append(error_record(exc, "teardown"))
                ctx.log(f"{type(exc).__name__} during teardown: {exc}")
            except KeyboardInterrupt as exc:  # a second Ctrl-C cuts teardown short, not the safe state
                aborted = True
                errors.append(error_record(exc, "teardown"))
        finally:
            _call_safe_state(rig, errors, ctx, "safe_state")
            if recorder is not None:
                rig.hub.remove_callback(recorder)
            ctx.close_subscriptions()
    _collect_rig_errors(rig, rig_errors, rig_errors_before, errors)
    results = _evaluate(sequence, ctx, limits, errors, report_missing=not aborted and not errors)
    if recorder is not None and recorder.failures:
        exc = recorder.first_failure
        errors.append({"phase": "recording", "type": type(exc).__name__, "module": type(exc).__module__,
                       "message": f"{recorder.failures} block(s) not recorded; first: {exc}", "traceback": ""})
    if aborted:
        outcome = Outcome.ABORTED
    elif errors:
        outcome = Outcome.ERROR
    elif any(r.verdict in (Verdict.FAIL, Verdict.INVALID) for r in results):
        outcome = Outcome.FAIL
    else:
        outcome = Outcome.PASS
    duration_s = time.monotonic() - started
    try:
        writer.update_record(measurements=[r.as_record(unit_type, serial) for r in results], errors=errors,
                             log=ctx.log_entries, attachments_written=ctx.attachments,
                             phase_reached=ctx.current_phase, marginal=any(r.verdict is Verdict.MARGINAL
                                                                          for r in results))
    except Exception as exc:
        errors.append(error_record(exc, "record"))
        outcome = Outcome.ABORTED if aborted else Outcome.ERROR
    try:
        writer.close(str(outcome))
    except Exception as exc:  # the recorder lost samples: the record says so (recorder_error), and so do we
        errors.append(error_record(exc, "close"))
        if outcome is not Outcome.ABORTED:
            outcome = Outcome.ERROR
        try:  # close wrote the record before raising; correct its outcome
            writer.update_record(outcome=str(outcome), errors=errors)
        except Exception as again:
            log.error("run %s: could not write the final outcome %s: %s", writer.run_id, outcome, again)
    if index:
        try:
            with RunIndex(runs_dir / INDEX_FILE) as idx:
                idx.add_run(open_run(writer.path))
        except Exception as exc:  # the run is safe on disk; RunIndex.sync() re-indexes it later
            log.error("run %s: not indexed: %s", writer.run_id, exc)
            try:
                writer.update_record(index_error=f"{type(exc).__name__}: {exc}")
            except Exception:
                log.exception("run %s: could not note the index error in the record", writer.run_id)
    return RunResult(writer.run_id, outcome, writer.path, tuple(results), tuple(errors), duration_s)


def _describe_devices(rig, record: dict[str, Any]) -> None:
    """Sensor identity for the record: a driver may offer ``describe() -> dict`` (model, serial,
    firmware, calibration date); its answer goes into the sensor's entry under ``device``."""
    by_role = {s.get("role"): s for s in record.get("sensors", []) if isinstance(s, dict)}
    for role, driver in getattr(rig, "devices", {}).items():
        describe = getattr(driver, "describe", None)
        if not callable(describe):
            continue
        entry = by_role.setdefault(role, {"role": role})
        try:
            entry["device"] = dict(describe())
        except Exception as exc:  # the run can go on; the record says why the identity is missing
            entry["device_error"] = f"{type(exc).__name__}: {exc}"
    record["sensors"] = list(by_role.values())


def _collect_rig_errors(rig, rig_errors, before: int, errors: list[dict[str, Any]]) -> None:
    """Errors the rig reported during the run (receive threads, safe state) and a trip nobody saw."""
    if isinstance(rig_errors, list):
        for exc in list(rig_errors[before:]):
            errors.append(error_record(exc, "rig"))
    raise_if_tripped = getattr(rig, "raise_if_tripped", None)
    if raise_if_tripped is not None and not any(e["type"] == "InterlockTripped" for e in errors):
        try:
            raise_if_tripped()
        except Exception as exc:  # tripped during teardown or the safe state: the run did not end cleanly
            errors.append(error_record(exc, "interlock"))


def _call_safe_state(rig, errors: list[dict[str, Any]], ctx: SequenceContext, phase: str) -> None:
    try:
        rig.safe_state()
        ctx.log(f"safe state ({phase})")
    except Exception as exc:
        errors.append(error_record(exc, phase))
        ctx.log(f"{type(exc).__name__} in safe_state: {exc}")


def _evaluate(sequence: type[Sequence], ctx: SequenceContext, limits: dict[str, Limits],
              errors: list[dict[str, Any]], *, report_missing: bool) -> list[MeasurementResult]:
    measured = ctx.measured
    results = []
    missing = []
    for m in sequence.measurements:
        lim = limits[m.name]
        got = measured.get(m.name)
        if got is None:
            verdict = Verdict.MISSING
            missing.append(m.name)
        else:
            verdict = lim.evaluate(got.value)
        results.append(MeasurementResult(
            m.name, None if got is None else got.value, m.unit, verdict, lim.low, lim.high, lim.marginal,
            lim.nominal, m.display_unit, m.description, lim.source, None if got is None else got.t_s,
            {} if got is None else dict(got.extra)))
    if missing and report_missing:
        errors.append({"phase": "evaluate", "type": "MissingMeasurement", "module": __name__,
                       "message": f"declared but never measured: {', '.join(missing)}", "traceback": ""})
    return results
