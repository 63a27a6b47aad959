"""The safety layer: interlocks on the data as it arrives, watchdogs, and the thread that trips.

Interlocks run as hub callbacks in the receive threads, so a limit is checked on every block the moment
it is decoded, not by a slow poll. A callback must never block, so tripping only records the cause and
wakes the ``safety`` thread, which brings the rig to its safe state (quick stop, disable) at once. The
same thread runs the watchdogs: a channel that goes silent for longer than its timeout trips too.

Trips latch: the rig stays tripped (set points refused by the sequences) until :meth:`reset`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from bench.config import InterlockConfig, RigConfig
from bench.streams import Hub, SampleBlock

log = logging.getLogger(__name__)

WATCHDOG_PERIOD_S = 0.005


@dataclass(frozen=True)
class Trip:
    """Why and when the safe state was tripped (t_s on the run's timebase)."""

    t_s: float
    kind: str  # "interlock", "watchdog", "fault", "transport", "emergency_stop"
    cause: str
    channel: str | None = None
    value: float | None = None
    monotonic_s: float = 0.0
    action: str = "quick_stop"  # "quick_stop": stop on the drives' quick-stop ramp, then disable;
    #                             "disable": remove power at once (the motor coasts or its brake holds)


def interlocks_from_limits(config: RigConfig) -> list[InterlockConfig]:
    """Interlocks implied by the bench-wide ``[limits]`` table.

    ``torque_nm`` guards the output-side torque (``torque_out.torque_nm``, ``drive_load.torque_nm``),
    ``speed_rad_s`` every drive's motor speed ``velocity_rad_s``, ``temperature_c`` every channel of the
    temperature module. Explicit ``[[interlocks]]`` come in addition.
    """
    limits = config.limits
    found: list[InterlockConfig] = []

    def add(channel: str, limit: float) -> None:
        if math.isfinite(limit):
            found.append(InterlockConfig(channel=channel, min=-limit, max=limit))

    roles = set(config.devices)
    for role in ("torque_out", "drive_load"):
        if role in roles:
            add(f"{role}.torque_nm", limits.torque_nm)
    for role in ("drive_in", "drive_load"):
        if role in roles:
            add(f"{role}.velocity_rad_s", limits.speed_rad_s)
    if "temperature" in roles and math.isfinite(limits.temperature_c):
        found.append(InterlockConfig(channel="temperature.*_c", max=limits.temperature_c))
    return found


class SafetySupervisor:
    """Watches channels, trips the safe state, and remembers every trip with its cause."""

    def __init__(self, hub: Hub, safe_state: Callable[[str], None], *, now: Callable[[], float] = time.monotonic,
                 on_trip: Callable[[Trip], None] | None = None):
        self._hub = hub
        self._safe_state = safe_state
        self._now = now
        self._on_trip = on_trip
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pending: list[Trip] = []
        self.trips: list[Trip] = []
        self.safe_state_errors: list[BaseException] = []
        self._watched: dict[str, float] = {}  # channel → silent timeout
        self._last_seen: dict[str, float] = {}
        self._callbacks: list[Callable[[SampleBlock], None]] = []
        self._excursions: list[dict[str, bool]] = []  # per interlock: channels now out of limits
        self._thread: threading.Thread | None = None
        self.safe_state_count = 0

    # life cycle
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="safety", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        for callback in self._callbacks:
            self._hub.remove_callback(callback)
        self._callbacks.clear()

    # state
    @property
    def tripped(self) -> bool:
        return bool(self.trips) or bool(self._pending)

    def reset(self) -> None:
        """Clear the latch after the cause has been dealt with; a value still out of limits trips again."""
        with self._lock:
            self.trips.clear()
            self._pending.clear()
            for outside in self._excursions:
                outside.clear()

    # tripping: callable from any thread, never blocks
    def trip(self, kind: str, cause: str, channel: str | None = None, value: float | None = None,
             action: str = "quick_stop") -> None:
        event = Trip(self._now(), kind, cause, channel, value, time.monotonic(), action)
        with self._lock:
            self._pending.append(event)
        self._wake.set()

    # interlocks
    def add_interlock(self, interlock: InterlockConfig) -> None:
        """Check ``interlock`` on every block of its channel(s); ``role.*_c`` matches by suffix."""
        lo, hi = interlock.min, interlock.max
        pattern = interlock.channel
        prefix, _, suffix = pattern.partition("*")
        wildcard = "*" in pattern

        def matches(name: str) -> bool:
            return name.startswith(prefix) and name.endswith(suffix) if wildcard else name == pattern

        outside: dict[str, bool] = {}  # channel → its last value was out of limits (cleared by reset())
        self._excursions.append(outside)

        def check(block: SampleBlock) -> None:
            if not matches(block.channel):
                return
            values = block.values
            if values.dtype.kind not in "fiu" or len(values) == 0:
                return
            bad = (values < lo) | (values > hi)
            was_out = outside.get(block.channel, False)
            outside[block.channel] = bool(bad[-1])
            # one trip per excursion: a value staying out of limits does not trip again with every block
            entering = bad.copy()
            entering[1:] &= ~bad[:-1]
            entering[0] &= not was_out
            if entering.any():
                first = float(values[np.argmax(entering)])
                side = "above max" if first > hi else "below min"
                limit = hi if first > hi else lo
                self.trip("interlock", f"{block.channel} = {first:.6g} {side} {limit:.6g}",
                          block.channel, first, interlock.action)

        self._hub.add_callback(check, None if wildcard else [pattern])
        self._callbacks.append(check)
        if interlock.silent_timeout_s > 0 and not wildcard:
            self.watch(pattern, interlock.silent_timeout_s)

    def add_interlocks(self, interlocks: Iterable[InterlockConfig]) -> None:
        for interlock in interlocks:
            self.add_interlock(interlock)

    # watchdogs
    def watch(self, channel: str, silent_timeout_s: float) -> None:
        """Trip when ``channel`` publishes nothing for ``silent_timeout_s`` (armed by its first block)."""
        with self._lock:
            first = channel not in self._watched
            self._watched[channel] = silent_timeout_s
        if first:
            def seen(block: SampleBlock, _channel=channel) -> None:
                self._last_seen[_channel] = time.monotonic()

            self._hub.add_callback(seen, [channel])
            self._callbacks.append(seen)

    def _check_watchdogs(self) -> None:
        now = time.monotonic()
        for channel, timeout_s in list(self._watched.items()):
            last = self._last_seen.get(channel)
            if last is not None and now - last > timeout_s:
                self._last_seen.pop(channel, None)  # one trip per silence
                self.trip("watchdog", f"{channel} silent for more than {timeout_s:g} s", channel)

    # the safety thread
    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(WATCHDOG_PERIOD_S)
            self._wake.clear()
            self._check_watchdogs()
            with self._lock:
                pending, self._pending = self._pending, []
                self.trips.extend(pending)
            if pending:
                for event in pending:
                    log.error("safe state tripped (%s): %s", event.kind, event.cause)
                # a quick stop is wanted unless every trip of this batch asked for a plain disable
                self.run_safe_state("disable" if all(e.action == "disable" for e in pending) else "quick_stop")
                if self._on_trip is not None:
                    for event in pending:
                        try:
                            self._on_trip(event)
                        except Exception as exc:  # the observer's bug must not stop the safety thread
                            self.safe_state_errors.append(exc)

    def run_safe_state(self, action: str = "quick_stop") -> None:
        self.safe_state_count += 1
        try:
            self._safe_state(action)
        except Exception as exc:  # kept and reported by the rig; the thread goes on watching
            log.exception("safe state raised")
            self.safe_state_errors.append(exc)
