"""Fixed-size ring buffer of (t, value) for live views and live analysis."""

from __future__ import annotations

import threading

import numpy as np

from bench.streams.blocks import SampleBlock


class RingBuffer:
    """Keeps the newest ``capacity`` samples of one channel; writers and readers may be different threads."""

    def __init__(self, capacity: int, dtype: str = "float64"):
        if capacity <= 0:
            raise ValueError("RingBuffer capacity must be positive")
        self.capacity = int(capacity)
        self._t = np.zeros(self.capacity)
        self._v = np.zeros(self.capacity, dtype=dtype)
        self._head = 0  # index of the next write
        self._count = 0
        self.total_written = 0
        self._lock = threading.Lock()

    def append_block(self, block: SampleBlock) -> None:
        self.extend(block.t_s, block.values)

    def extend(self, t_s: np.ndarray, values: np.ndarray) -> None:
        n = len(values)
        if n == 0:
            return
        with self._lock:
            if n >= self.capacity:
                t_s, values = t_s[-self.capacity :], values[-self.capacity :]
                n = self.capacity
            first = min(n, self.capacity - self._head)
            self._t[self._head : self._head + first] = t_s[:first]
            self._v[self._head : self._head + first] = values[:first]
            rest = n - first
            if rest:
                self._t[:rest] = t_s[first:]
                self._v[:rest] = values[first:]
            self._head = (self._head + n) % self.capacity
            self._count = min(self.capacity, self._count + n)
            self.total_written += len(values)

    def __len__(self) -> int:
        return self._count

    def snapshot(self, last: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the newest ``last`` samples (all if None), oldest first."""
        with self._lock:
            n = self._count if last is None else min(last, self._count)
            idx = (np.arange(self._head - n, self._head)) % self.capacity
            return self._t[idx].copy(), self._v[idx].copy()
