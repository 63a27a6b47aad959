"""The handle a running sequence gets: rig, parameters, interruptible waits, progress, measurements.

Every wait of a sequence goes through :meth:`SequenceContext.wait` or
:meth:`SequenceContext.wait_until`, which wake at once when the abort event is set and then raise
:class:`bench.errors.SequenceAborted`; a long computation calls :meth:`check_abort` now and then.
That is what makes abort cooperative and quick. During teardown the waits no longer raise on abort
(teardown must finish; the runner has already commanded the safe state).
"""

from __future__ import annotations

import json
import math
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bench.errors import DeviceTimeoutError, SequenceAborted
from bench.sequences import plotdata
from bench.sequences.base import Limits, Measurement

#: how often wait_until evaluates its predicate
POLL_S = 0.01
#: longest slice of a wait between two checks of the rig's safety layer (trip latency of a wait)
TRIP_CHECK_S = 0.05


@dataclass(frozen=True)
class Progress:
    """A progress report: ``fraction`` 0…1 of the whole sequence, the current ``phase`` text."""

    fraction: float
    phase: str
    elapsed_s: float


@dataclass
class MeasuredValue:
    """A value measured during the run (mutable while the run goes on; frozen into the result)."""

    measurement: Measurement
    value: float
    limits: Limits
    t_s: float
    extra: dict[str, Any] = field(default_factory=dict)


def _jsonable(value: Any, what: str) -> Any:
    if hasattr(value, "tolist"):
        value = value.tolist()
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what}: not JSON-serialisable ({exc})") from None
    return value


class SequenceContext:
    """What ``setup`` / ``run`` / ``teardown`` receive. Created by the runner, one per run."""

    def __init__(self, *, sequence, rig, params, limits: dict[str, Limits], spec=None, writer=None,
                 abort_event: threading.Event | None = None,
                 on_progress: Callable[[Progress], None] | None = None, serial: str = ""):
        self.sequence = sequence
        self.rig = rig
        self.params = params
        self.spec = spec
        self.serial = serial
        self.limits = dict(limits)
        self.abort_event = abort_event if abort_event is not None else threading.Event()
        self._writer = writer
        self._on_progress = on_progress
        self._started = time.monotonic()
        self._fraction = 0.0
        self._phase = ""
        self._measured: dict[str, MeasuredValue] = {}
        self._attachments: list[str] = []
        self._log: list[dict[str, Any]] = []
        self._channels: set[str] | None = None if sequence.channels is None else set(sequence.channels)
        self._subscriptions: list = []
        self._lock = threading.Lock()
        self.in_teardown = False

    # the rig, as the lead's Rig exposes it
    @property
    def hub(self):
        return self.rig.hub

    @property
    def devices(self) -> dict:
        return self.rig.devices

    @property
    def config(self):
        return self.rig.config

    @property
    def timebase(self):
        return self.rig.timebase

    @property
    def rated_torque_nm(self) -> float:
        """TN of the unit under test: the spec's if one is loaded, else the rig file's."""
        if self.spec is not None:
            return self.spec.unit.rated_torque_nm
        return self.rig.config.unit.rated_torque_nm

    @property
    def ratio(self) -> float:
        return self.rig.config.unit.ratio

    def now(self) -> float:
        """Seconds on the rig's timebase (the time axis of recorded samples)."""
        return self.rig.timebase.now()

    # abort and waits
    @property
    def aborted(self) -> bool:
        return self.abort_event.is_set()

    def check_abort(self) -> None:
        """Raise :class:`SequenceAborted` if an abort was requested, or the rig's
        :class:`bench.errors.InterlockTripped` if its safety layer tripped (not during teardown)."""
        if self.in_teardown:
            return
        if self.abort_event.is_set():
            raise SequenceAborted(f"sequence {self.sequence.name!r} aborted")
        raise_if_tripped = getattr(self.rig, "raise_if_tripped", None)
        if raise_if_tripped is not None:
            raise_if_tripped()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, waking at once on abort (then raise :class:`SequenceAborted`)."""
        if not seconds >= 0 or math.isinf(seconds):
            raise ValueError(f"wait: seconds must be finite and ≥ 0, found {seconds!r}")
        self.check_abort()
        if self.in_teardown:
            time.sleep(seconds)
            return
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.abort_event.wait(min(left, TRIP_CHECK_S))
            self.check_abort()

    def wait_until(self, predicate: Callable[[], bool], timeout_s: float, *, what: str = "",
                   poll_s: float = POLL_S) -> None:
        """Wait until ``predicate()`` is true; abort raises :class:`SequenceAborted`.

        On timeout raises :class:`DeviceTimeoutError` naming the sequence and ``what`` was awaited.
        """
        if not timeout_s > 0 or math.isinf(timeout_s):
            raise ValueError(f"wait_until: timeout_s must be finite and > 0, found {timeout_s!r}")
        deadline = time.monotonic() + timeout_s
        while True:
            self.check_abort()
            if predicate():
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeviceTimeoutError(f"sequence {self.sequence.name}",
                                         what or getattr(predicate, "__name__", "condition"), timeout_s)
            if self.in_teardown:
                time.sleep(min(poll_s, left))
            else:
                self.abort_event.wait(min(poll_s, left))

    # progress
    def progress(self, fraction: float, phase: str | None = None) -> None:
        """Report progress: ``fraction`` of the whole sequence (clamped to 0…1), optional phase text."""
        if not math.isfinite(fraction):
            raise ValueError(f"progress fraction must be finite, found {fraction!r}")
        self._fraction = min(1.0, max(0.0, float(fraction)))
        if phase is not None:
            self._phase = phase
        self._emit()
        self.check_abort()

    def phase(self, text: str) -> None:
        """Report a new phase without changing the fraction."""
        self._phase = text
        self._emit()

    def _emit(self) -> None:
        if self._on_progress is not None:
            self._on_progress(Progress(self._fraction, self._phase, time.monotonic() - self._started))

    @property
    def current_phase(self) -> str:
        return self._phase

    # measurements
    def measure(self, name: str, value_si: float, **extra: Any) -> Limits:
        """Record the value of a declared measurement (SI); ``extra`` JSON-able details (window, interval).

        Returns the limits that apply. A name not declared by the sequence, or measured twice, is a
        programming error (ValueError).
        """
        measurement = self.sequence.measurement(name) if _declares(self.sequence, name) else None
        if measurement is None:
            declared = ", ".join(m.name for m in self.sequence.measurements) or "none"
            raise ValueError(f"sequence {self.sequence.name!r}: measure({name!r}) but it declares {declared}")
        try:
            value = float(value_si)
        except (TypeError, ValueError):
            raise TypeError(f"measure({name!r}): value must be a number, found {value_si!r}") from None
        extra = {k: _jsonable(v, f"measure({name!r}) extra {k!r}") for k, v in extra.items()}
        with self._lock:
            if name in self._measured:
                raise ValueError(f"sequence {self.sequence.name!r}: {name!r} measured twice")
            limits = self.limits.get(name, measurement.limits)
            self._measured[name] = MeasuredValue(measurement, value, limits, self._safe_now(), extra)
        self.log(f"measured {name} = {value:.6g} {measurement.unit}")
        return limits

    @property
    def measured(self) -> dict[str, MeasuredValue]:
        with self._lock:
            return dict(self._measured)

    # attachments and plot data
    def attach(self, name: str, data: bytes) -> None:
        """Store ``data`` as ``attachments/<name>`` of the run (a plot, a table, a device dump)."""
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"attachment name {name!r} must be a plain file name")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"attachment {name!r}: data must be bytes, found {type(data).__name__}")
        if self._writer is not None:
            self._writer.add_attachment(name, bytes(data))
        self._attachments.append(name)

    def attach_plot_data(self, kind: str, label: str = "", **arrays: Any) -> str:
        """Hand plot data to the report (see :mod:`bench.sequences.plotdata` for kinds and arrays).

        Returns the attachment name (``plot_<kind>[_<label>].npz``).
        """
        if label and not label.replace("-", "_").isidentifier():
            raise ValueError(f"plot label {label!r}: letters, digits, '_' or '-' only")
        name = plotdata.attachment_name(kind, label)
        self.attach(name, plotdata.encode(kind, arrays))
        return name

    @property
    def attachments(self) -> list[str]:
        return list(self._attachments)

    # recording
    def record_channels(self, names: Iterable[str]) -> None:
        """Add channels to the recording (when the sequence records a selection, not everything)."""
        with self._lock:
            if self._channels is not None:
                self._channels.update(names)

    def records(self, channel: str) -> bool:
        channels = self._channels
        return channels is None or channel in channels

    def subscribe(self, channels: Iterable[str] | None = None):
        """A hub subscription closed automatically when the run ends."""
        sub = self.rig.hub.subscribe(channels)
        self._subscriptions.append(sub)
        return sub

    def close_subscriptions(self) -> None:
        while self._subscriptions:
            self._subscriptions.pop().close()

    # log
    def log(self, message: str) -> None:
        """A line in the run record's log, stamped with the rig timebase."""
        with self._lock:
            self._log.append({"t_s": self._safe_now(), "phase": self._phase, "message": str(message)})

    @property
    def log_entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._log)

    def _safe_now(self) -> float:
        return float(self.rig.timebase.now())


def _declares(sequence, name: str) -> bool:
    return any(m.name == name for m in sequence.measurements)


def error_record(exc: BaseException, phase: str) -> dict[str, Any]:
    """An exception as the run record keeps it: type, message, traceback, the phase it escaped from."""
    return {"phase": phase, "type": type(exc).__name__, "module": type(exc).__module__,
            "message": str(exc),
            "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}
