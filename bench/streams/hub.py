"""Fan-out of sample blocks to subscribers without blocking the publisher.

Publishers are receive threads: they must never wait on a slow consumer. Each subscriber therefore
gets its own unbounded deque, drained by the subscriber's own thread (``Subscription.drain``), or a
direct callback for consumers that are themselves non-blocking (ring buffers, interlocks).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterable

from bench.streams.blocks import ChannelSpec, SampleBlock


class Subscription:
    """A queue of blocks for one consumer; ``channels=None`` means all channels."""

    def __init__(self, hub: Hub, channels: Iterable[str] | None):
        self._hub = hub
        self.channels = None if channels is None else frozenset(channels)
        self._queue: collections.deque[SampleBlock] = collections.deque()
        self._event = threading.Event()

    def _offer(self, block: SampleBlock) -> None:
        if self.channels is None or block.channel in self.channels:
            self._queue.append(block)
            self._event.set()

    def drain(self, timeout_s: float | None = 0.0) -> list[SampleBlock]:
        """Return every queued block; wait up to ``timeout_s`` for the first one."""
        if not self._queue and timeout_s:
            self._event.wait(timeout_s)
        self._event.clear()
        out = []
        while self._queue:
            out.append(self._queue.popleft())
        return out

    def close(self) -> None:
        self._hub.unsubscribe(self)


class Hub:
    """Registry of channels and fan-out of their blocks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[str, ChannelSpec] = {}
        self._subscriptions: tuple[Subscription, ...] = ()
        self._callbacks: tuple[tuple[frozenset[str] | None, Callable[[SampleBlock], None]], ...] = ()
        self._callback_errors: list[BaseException] = []

    # registry
    def register(self, spec: ChannelSpec) -> None:
        with self._lock:
            self._channels[spec.name] = spec

    @property
    def channels(self) -> dict[str, ChannelSpec]:
        with self._lock:
            return dict(self._channels)

    # consumers
    def subscribe(self, channels: Iterable[str] | None = None) -> Subscription:
        sub = Subscription(self, channels)
        with self._lock:
            self._subscriptions = self._subscriptions + (sub,)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subscriptions = tuple(s for s in self._subscriptions if s is not sub)

    def add_callback(self, callback: Callable[[SampleBlock], None], channels: Iterable[str] | None = None) -> None:
        """Call ``callback(block)`` in the publisher's thread; it must not block."""
        key = None if channels is None else frozenset(channels)
        with self._lock:
            self._callbacks = self._callbacks + ((key, callback),)

    def remove_callback(self, callback: Callable[[SampleBlock], None]) -> None:
        with self._lock:
            self._callbacks = tuple(c for c in self._callbacks if c[1] is not callback)

    # producers
    def publish(self, block: SampleBlock) -> None:
        """Hand ``block`` to every consumer. Never blocks; a failing callback is kept, not raised."""
        for sub in self._subscriptions:  # tuple snapshot: no lock needed on the hot path
            sub._offer(block)
        for channels, callback in self._callbacks:
            if channels is None or block.channel in channels:
                try:
                    callback(block)
                except Exception as exc:  # reported through take_callback_errors(), never lost
                    self._callback_errors.append(exc)

    def take_callback_errors(self) -> list[BaseException]:
        errors, self._callback_errors = self._callback_errors, []
        return errors
