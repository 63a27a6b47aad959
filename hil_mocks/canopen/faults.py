"""Fault injection on a simulated node's wire: drop, delay or corrupt frames.

Set attributes from any thread (``sim.faults.drop_fraction = 0.1``); the node's thread reads them for
every frame it sends (and ``drop_rx_fraction`` for every frame it receives). Counters say what was done,
so a test can check that a fault was actually applied.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

# frame kinds a fault can apply to
FRAME_KINDS = frozenset({"tpdo", "sdo", "emcy", "heartbeat", "bootup"})


@dataclass
class FaultCounters:
    dropped_tx: int = 0
    dropped_rx: int = 0
    delayed: int = 0
    corrupted: int = 0


@dataclass
class FaultInjector:
    """What the node does wrong on purpose.

    drop_fraction : probability (0..1) that an outgoing frame of ``kinds`` is not sent
    drop_rx_fraction : probability that an incoming frame is ignored (a missed command)
    delay_s : every outgoing frame of ``kinds`` leaves this much later (order kept)
    kinds : which outgoing frames the faults touch (default: PDOs, SDO answers, EMCY, heartbeat)
    corrupt_next(n) : the next ``n`` outgoing frames of ``kinds`` are corrupted, alternating a wrong
        length (one byte short, or one byte too long when empty) and garbage payload of the right length
    """

    drop_fraction: float = 0.0
    drop_rx_fraction: float = 0.0
    delay_s: float = 0.0
    kinds: frozenset = field(default_factory=lambda: frozenset({"tpdo", "sdo", "emcy", "heartbeat"}))
    seed: int | None = 0
    counters: FaultCounters = field(default_factory=FaultCounters)

    def __post_init__(self):
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._corrupt_left = 0
        self._corrupt_toggle = 0

    def corrupt_next(self, n: int = 1) -> None:
        if n < 0:
            raise ValueError(f"corrupt_next needs n >= 0, got {n}")
        with self._lock:
            self._corrupt_left += n

    def clear(self) -> None:
        """No more faults (counters kept)."""
        with self._lock:
            self.drop_fraction = 0.0
            self.drop_rx_fraction = 0.0
            self.delay_s = 0.0
            self._corrupt_left = 0

    @property
    def active(self) -> bool:
        return bool(self.drop_fraction or self.delay_s or self._corrupt_left)

    # called by the node thread
    def should_drop_rx(self) -> bool:
        if self.drop_rx_fraction and self._rng.random() < self.drop_rx_fraction:
            self.counters.dropped_rx += 1
            return True
        return False

    def outgoing(self, kind: str, data: bytes) -> tuple[bytes | None, float]:
        """Apply the faults to one outgoing frame: ``(payload or None if dropped, delay_s)``."""
        if kind not in self.kinds:
            return data, 0.0
        if self.drop_fraction and self._rng.random() < self.drop_fraction:
            self.counters.dropped_tx += 1
            return None, 0.0
        with self._lock:
            corrupt = self._corrupt_left > 0
            if corrupt:
                self._corrupt_left -= 1
                self._corrupt_toggle ^= 1
                toggle = self._corrupt_toggle
        if corrupt:
            self.counters.corrupted += 1
            if toggle and data:
                data = bytes(data[:-1])
            elif toggle:
                data = b"\xff"
            else:
                data = bytes(self._rng.randrange(256) for _ in range(len(data))) or b"\xa5"
        delay = self.delay_s
        if delay > 0:
            self.counters.delayed += 1
        return data, delay
