"""One monotonic timebase for every sample of a run.

Drivers stamp samples with :meth:`Timebase.now` (monotonic seconds since the timebase started, so
all devices share one clock). The wall-clock anchor is kept so the run record can say when t = 0 was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Timebase:
    start_monotonic_s: float = field(default_factory=time.monotonic)
    start_wall_s: float = field(default_factory=time.time)

    def now(self) -> float:
        """Seconds since the timebase started (monotonic)."""
        return time.monotonic() - self.start_monotonic_s

    def from_monotonic(self, monotonic_s: float) -> float:
        """Convert a ``time.monotonic()`` reading to this timebase."""
        return monotonic_s - self.start_monotonic_s


DEFAULT_TIMEBASE = Timebase()
