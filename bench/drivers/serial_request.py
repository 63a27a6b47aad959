"""Request / response over a :class:`SerialLine` with retries, error translation and counters.

Shared by the line-based instrument drivers (DSP7000, SCPI). An idempotent request (a query) is
retried ``retries`` times; a command that changes the device is sent once. Every failure is counted
in :class:`RequestStats` and raised as ``DeviceTimeoutError`` (nothing came: names device and
request), ``ProtocolError`` (bytes came but are wrong: shows them) or ``TransportError`` (the line
itself failed; it is reopened by the next request).
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from bench.drivers.serial_line import SerialLine
from bench.errors import (
    BenchError,
    ConfigError,
    DeviceTimeoutError,
    ProtocolError,
    TransportError,
)
from bench.streams import SampleBlock
from bench.timebase import DEFAULT_TIMEBASE, Timebase

T = TypeVar("T")


@dataclass
class RequestStats:
    """Counters of one device (plain ints, for reports, tests and benchmarks)."""

    requests: int = 0
    retries: int = 0
    timeouts: int = 0
    protocol_errors: int = 0
    transport_errors: int = 0
    device_faults: int = 0
    bad_records: int = 0  # stream records that could not be decoded
    samples: int = 0  # samples published
    missed_polls: int = 0  # polls of a streaming reader that produced no sample
    recent_errors: collections.deque = field(default_factory=lambda: collections.deque(maxlen=32))

    def note(self, error: BenchError) -> None:
        self.recent_errors.append(error)


def describe_device(identity: dict[str, str], settings) -> dict[str, str]:
    """``describe()`` of a line instrument: what it says of itself, completed by its settings."""
    info = {k: v for k, v in identity.items() if v}
    for key in ("model", "serial", "calibration_date"):
        value = getattr(settings, key, "")
        if value:
            info[key] = value  # the rig file names the calibrated sensor
    return info


class ErrorReporter:
    """Hands a reader thread's errors to its owner (the rig): once per outage, not once per poll.

    A failure right after a success is reported; further failures are only counted until a poll
    succeeds again. With no callback set, errors stay in ``stats.recent_errors`` only.
    """

    def __init__(self, stats: RequestStats):
        self.stats = stats
        self.callback: Callable[[BaseException], None] | None = None
        self.failing = False

    def failed(self, error: BenchError) -> None:
        if self.failing:
            return
        self.failing = True
        if self.callback is not None:
            try:
                self.callback(error)
            except Exception as exc:  # the owner's handler failed: keep its error too  # noqa: BLE001
                self.stats.note(TransportError(f"error callback failed: {exc!r}"))

    def ok(self) -> None:
        self.failing = False


class LineDevice:
    """Request / response on a shared line for one named device."""

    def __init__(self, line: SerialLine, *, name: str, timeout_s: float, retries: int,
                 terminator: bytes):
        self.line = line
        self.name = name
        self.timeout_s = timeout_s
        self.retries = retries
        self.terminator = terminator
        self.stats = RequestStats()

    def query(self, request: bytes, parse: Callable[[bytes], T], *, describe: str | None = None,
              idempotent: bool = True, timeout_s: float | None = None) -> T:
        """Send ``request``, read one answer line and return ``parse(line)``; retry if idempotent."""
        describe = describe or request.strip().decode("ascii", "replace")
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        attempts = 1 + (self.retries if idempotent else 0)
        error: BenchError | None = None
        for attempt in range(attempts):
            if attempt:
                self.stats.retries += 1
            self.stats.requests += 1
            try:
                with self.line.lock:
                    self.line.discard_input()  # a late answer to an earlier request is not ours
                    self.line.write(request)
                    data, complete = self.line.read_until(self.terminator, timeout_s)
            except TransportError as exc:
                self.stats.transport_errors += 1
                error = TransportError(f"{self.name}: {describe}: {exc}")
                self.stats.note(error)
                continue
            if not complete:
                if data:
                    self.stats.protocol_errors += 1
                    error = ProtocolError(self.name, f"truncated answer to {describe}", data)
                else:
                    self.stats.timeouts += 1
                    error = DeviceTimeoutError(self.name, describe, timeout_s)
                self.stats.note(error)
                continue
            try:
                return parse(data)
            except ProtocolError as exc:
                self.stats.protocol_errors += 1
                error = ProtocolError(self.name, f"bad answer to {describe}: {_reason(exc)}", data)
                self.stats.note(error)
        assert error is not None
        raise error

    def send(self, request: bytes, *, describe: str | None = None) -> None:
        """Send a command that has no answer (not retried: it may change the device)."""
        describe = describe or request.strip().decode("ascii", "replace")
        self.stats.requests += 1
        try:
            with self.line.lock:
                self.line.write(request)
        except TransportError as exc:
            self.stats.transport_errors += 1
            error = TransportError(f"{self.name}: {describe}: {exc}")
            self.stats.note(error)
            raise error from exc


def _reason(exc: ProtocolError) -> str:
    text = str(exc)
    if ": " in text:
        text = text.split(": ", 1)[1]
    return text.split(" (raw:", 1)[0]


class SampleBatcher:
    """Collect samples of several channels and publish them as blocks (one per channel).

    Thread-safe; :meth:`flush` publishes what was collected so far, so that stopping a stream never
    loses a sample already taken. An exception from ``publish`` is counted and kept, not raised
    into the reader thread.
    """

    def __init__(self, channels: list[str], publish: Callable[[SampleBlock], None] | None,
                 stats: RequestStats):
        self.channels = channels
        self.publish = publish
        self.stats = stats
        self._lock = threading.Lock()
        self._t: list[float] = []
        self._values: list[tuple[float, ...]] = []
        self._flags: list[tuple[int, ...]] = []

    def add(self, t_s: float, values: tuple[float, ...], flags: tuple[int, ...]) -> None:
        with self._lock:
            self._t.append(t_s)
            self._values.append(values)
            self._flags.append(flags)

    def __len__(self) -> int:
        return len(self._t)

    def flush(self) -> None:
        with self._lock:
            if not self._t:
                return
            t = np.asarray(self._t, dtype=float)
            values = np.asarray(self._values, dtype=float).reshape(len(t), -1)
            flags = np.asarray(self._flags, dtype=np.uint8).reshape(len(t), -1)
            self._t, self._values, self._flags = [], [], []
        self.stats.samples += len(t)
        if self.publish is None:
            return
        for index, channel in enumerate(self.channels):
            column_flags = flags[:, index]
            block = SampleBlock(channel, t, values[:, index].copy(),
                                column_flags.copy() if column_flags.any() else None)
            try:
                self.publish(block)
            except Exception as exc:  # a subscriber's bug must not kill the reader: keep it  # noqa: BLE001
                error = TransportError(f"publish of {channel} failed: {exc!r}")
                error.__cause__ = exc
                self.stats.note(error)


def check_timeouts(name: str, timeouts: dict, defaults: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(timeouts) - set(defaults))
    if unknown:
        raise ConfigError(f"device {name}: unknown timeouts {unknown}; known: {sorted(defaults)}")
    return {**defaults, **{k: float(v) for k, v in timeouts.items()}}


class PolledDevice:
    """A reader thread ``serial-<name>`` polling ``sample()`` at a rate and publishing the samples."""

    name: str
    stats: RequestStats
    line: SerialLine
    publish: Callable[[SampleBlock], None] | None
    timebase: Timebase = DEFAULT_TIMEBASE
    publish_interval_s: float = 0.05

    def _init_polling(self) -> None:
        self.stream_rate_hz = float(self.settings.rate_hz)  # nominal rate, for channels() and rings
        self.errors = ErrorReporter(self.stats)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._batcher: SampleBatcher | None = None

    def channel_names(self) -> list[str]:
        raise NotImplementedError

    def sample(self) -> tuple[tuple[float, ...], tuple[int, ...]]:
        """One poll: values and flags of every channel, in :meth:`channel_names` order."""
        raise NotImplementedError

    def set_error_callback(self, callback: Callable[[BaseException], None]) -> None:
        """``callback(error)`` from the reader thread when polling starts failing (once per outage)."""
        self.errors.callback = callback

    def start_streaming(self, rate_hz: float | None = None) -> None:
        """Start the reader thread ``serial-<name>`` (rate: ``settings.rate_hz`` unless given)."""
        rate_hz = self.settings.rate_hz if rate_hz is None else rate_hz
        if rate_hz <= 0:
            raise ValueError(f"{self.name}: rate_hz must be > 0, got {rate_hz}")
        if self._thread is not None:
            raise TransportError(f"{self.name}: already streaming")
        self.stream_rate_hz = rate_hz
        self._stop.clear()
        self._batcher = SampleBatcher(self.channel_names(), self.publish, self.stats)
        self._thread = threading.Thread(target=self._reader(), name=f"serial-{self.name}", daemon=False)
        self._thread.start()

    def _reader(self) -> Callable[[], None]:
        """The reader thread's loop: polling :meth:`sample` (a streaming device returns its own)."""
        return self._run

    def stop_streaming(self) -> None:
        """Stop the reader, publish every sample already taken (idempotent)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout=5.0)
        if self._batcher is not None:
            self._batcher.flush()

    def _run(self) -> None:
        period = 1.0 / self.stream_rate_hz
        next_s = time.monotonic()
        last_flush = next_s
        while not self._stop.is_set():
            try:
                # the instrument takes its reading between our request and its answer: stamp the
                # midpoint, not the arrival (a late reader thread would otherwise date it late)
                asked = self.timebase.now()
                values, flags = self.sample()
                self._batcher.add(0.5 * (asked + self.timebase.now()), values, flags)
                self.errors.ok()
            except BenchError as exc:
                self.stats.missed_polls += 1  # the error itself is in stats.recent_errors
                self.errors.failed(exc)
                if not self.line.is_open:
                    self._stop.wait(0.05)
            except Exception as exc:  # a bug or an unforeseen answer: keep reading, report it  # noqa: BLE001
                self.stats.missed_polls += 1
                error = TransportError(f"{self.name}: poll failed unexpectedly: {exc!r}")
                error.__cause__ = exc
                self.stats.note(error)
                self.errors.failed(error)
                self._stop.wait(0.05)
            now = time.monotonic()
            if now - last_flush >= self.publish_interval_s:
                self._batcher.flush()
                last_flush = now
            next_s += period
            if next_s < now - period:
                next_s = now
            delay = next_s - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
