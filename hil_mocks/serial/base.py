"""What every simulated line instrument shares: the endpoint, one thread, and fault injection.

A subclass implements :meth:`LineInstrument.on_bytes` (split the received bytes into requests and
answer them with :meth:`reply`) and may implement :meth:`on_tick` (periodic output such as a
continuous data stream) with :meth:`next_tick_s`.

Faults (:class:`Faults`) act on the next answers: ``garbage`` (the answer is replaced by noise),
``truncate`` (only its first half is sent), ``corrupt`` (one byte flipped, for Modbus the CRC),
``drop`` (no answer), ``delay_s`` (every answer late by so much), and :meth:`LineInstrument.unplug`
(the line closed, then opened again after ``down_s``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from hil_mocks.serial.endpoint import make_endpoint

GARBAGE = bytes([0x00, 0xFF, 0x13, 0x7F, 0xA5, 0x5A, 0xFE]) + b"#?~"


@dataclass
class Faults:
    """Counts of faults to apply to the next answers; thread-safe to set from a test."""

    garbage: int = 0
    truncate: int = 0
    corrupt: int = 0
    drop: int = 0
    delay_s: float = 0.0
    applied: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def inject(self, **counts: float) -> None:
        """``faults.inject(garbage=1, drop=2, delay_s=0.3)``: set several at once."""
        with self._lock:
            for key, value in counts.items():
                if key not in ("garbage", "truncate", "corrupt", "drop", "delay_s"):
                    raise ValueError(f"unknown fault {key!r}")
                setattr(self, key, value)

    def clear(self) -> None:
        self.inject(garbage=0, truncate=0, corrupt=0, drop=0, delay_s=0.0)

    def take(self, name: str) -> bool:
        with self._lock:
            count = getattr(self, name)
            if count <= 0:
                return False
            setattr(self, name, count - 1)
            self.applied[name] = self.applied.get(name, 0) + 1
            return True


class LineInstrument:
    """Base of the simulated instruments: owns the endpoint and the thread ``sim-<name>``."""

    kind = "instrument"

    def __init__(self, source, plant_lock=None, endpoint: str = "pty", name: str | None = None):
        self.source = source
        self.plant_lock = plant_lock if plant_lock is not None else getattr(source, "lock", None) \
            or threading.RLock()
        self.name = name or self.kind
        self.faults = Faults()
        self.requests = 0
        self.answers = 0
        self._endpoint = make_endpoint(endpoint, self.name)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._delayed: list[tuple[float, bytes]] = []
        self._unplug_request: float | None = None
        self._plug_at_s: float | None = None
        self._control = threading.Lock()
        self.unplugs = 0

    @property
    def port(self) -> str:
        """What a driver opens: the pty link path or ``socket://127.0.0.1:N``."""
        return self._endpoint.port

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> LineInstrument:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"sim-{self.name}", daemon=False)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        self._endpoint.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def unplug(self, down_s: float = 0.2) -> None:
        """Close the line now and open it again after ``down_s`` (done by the simulator thread)."""
        with self._control:
            self._unplug_request = down_s

    def read_source(self, fn):
        """Call ``fn(source)`` under the plant lock (values must come from one consistent instant)."""
        with self.plant_lock:
            return fn(self.source)

    # -- subclass hooks ---------------------------------------------------------------------------
    def on_bytes(self, data: bytes) -> None:
        raise NotImplementedError

    def on_tick(self, now_s: float) -> None:
        """Periodic work (streams); called when :meth:`next_tick_s` is due."""

    def next_tick_s(self) -> float | None:
        return None

    def on_unplug(self) -> None:
        """The line went down: forget partial requests and streams."""

    def corrupt(self, answer: bytes) -> bytes:
        """Flip one byte in the middle (an ASCII instrument has no checksum to break)."""
        if not answer:
            return answer
        index = len(answer) // 2
        return answer[:index] + bytes([answer[index] ^ 0x20]) + answer[index + 1:]

    # -- answering --------------------------------------------------------------------------------
    def reply(self, answer: bytes) -> None:
        """Send an answer through the fault injector."""
        faults = self.faults
        if faults.take("drop"):
            return
        if faults.take("garbage"):
            answer = GARBAGE + (b"\r\n" if answer.endswith(b"\n") else b"")
        elif faults.take("truncate"):
            answer = answer[: max(1, len(answer) // 2)]
        elif faults.take("corrupt"):
            answer = self.corrupt(answer)
        if faults.delay_s > 0:
            self._delayed.append((time.monotonic() + faults.delay_s, answer))
            return
        self.answers += 1
        self._endpoint.write(answer)

    def write_raw(self, data: bytes) -> None:
        """Write without faults (a continuous stream applies its own)."""
        self._endpoint.write(data)

    # -- the thread ------------------------------------------------------------------------------
    def _run(self) -> None:
        endpoint = self._endpoint
        while not self._stop.is_set():
            now = time.monotonic()
            with self._control:
                down_s, self._unplug_request = self._unplug_request, None
            if down_s is not None:
                self.unplugs += 1
                endpoint.unplug()
                self._delayed.clear()
                self.on_unplug()
                self._plug_at_s = now + down_s
            if self._plug_at_s is not None:
                if now >= self._plug_at_s:
                    endpoint.plug()
                    self._plug_at_s = None
                else:
                    self._stop.wait(min(0.01, self._plug_at_s - now))
                    continue
            wait_s = 0.02
            tick = self.next_tick_s()
            if tick is not None:
                wait_s = min(wait_s, tick - now)
            if self._delayed:
                wait_s = min(wait_s, min(t for t, _ in self._delayed) - now)
            if endpoint.wait_readable(max(wait_s, 0.0)):
                data = endpoint.read()
                if data:
                    self.on_bytes(data)
            now = time.monotonic()
            if self._delayed:
                due = [d for d in self._delayed if d[0] <= now]
                if due:
                    self._delayed = [d for d in self._delayed if d[0] > now]
                    for _, answer in due:
                        self.answers += 1
                        endpoint.write(answer)
            tick = self.next_tick_s()
            if tick is not None and now >= tick:
                self.on_tick(now)


class LineSplitter:
    """Accumulate bytes and hand out complete lines (a bounded buffer: noise never grows it)."""

    def __init__(self, terminator: bytes = b"\n", max_bytes: int = 1024):
        self.terminator = terminator
        self.max_bytes = max_bytes
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        lines = []
        while (index := self._buffer.find(self.terminator)) >= 0:
            lines.append(bytes(self._buffer[:index]))
            del self._buffer[: index + len(self.terminator)]
        if len(self._buffer) > self.max_bytes:
            self._buffer.clear()
        return lines

    def clear(self) -> None:
        self._buffer.clear()
