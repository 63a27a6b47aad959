"""A thread that steps the plant, paced to the wall clock or as fast as it can."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from hil_mocks.plant.errors import PlantError
from hil_mocks.plant.plant import Plant

# when paced and this far behind the wall clock, give up catching up (simulated time slips)
_MAX_LAG_S = 0.2


class PlantRunner:
    """Steps ``plant`` in ``chunk_s`` pieces under ``plant.lock`` on its own thread ("plant-runner").

    ``realtime`` (default ``plant.sim.realtime``) paces simulated time to the wall clock; a paced
    runner that falls more than 0.2 s behind drops the lag instead of racing. Tick callbacks run
    after each chunk, under the lock; an exception in one stops the runner and is re-raised by
    :meth:`stop` (nothing is swallowed).
    """

    def __init__(self, plant: Plant, realtime: bool | None = None, chunk_s: float = 0.001):
        if not chunk_s > 0:
            raise PlantError(f"plant runner: chunk_s must be > 0, got {chunk_s!r}")
        self.plant = plant
        self.realtime = plant.sim.realtime if realtime is None else bool(realtime)
        self.chunk_s = float(chunk_s)
        self._callbacks: list[Callable[[Plant], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.slipped_s = 0.0  # simulated time dropped because the host could not keep up

    def add_tick_callback(self, fn: Callable[[Plant], None]) -> Callable[[Plant], None]:
        with self.plant.lock:
            self._callbacks.append(fn)
        return fn

    def remove_tick_callback(self, fn: Callable[[Plant], None]) -> None:
        with self.plant.lock:
            self._callbacks.remove(fn)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> PlantRunner:
        if self.running:
            return self
        self._stop.clear()
        self.error = None
        self._thread = threading.Thread(target=self._run, name="plant-runner", daemon=False)
        self._thread.start()
        return self

    def _run(self) -> None:
        plant = self.plant
        start = time.monotonic()
        ticks = 0
        try:
            while not self._stop.is_set():
                with plant.lock:
                    plant.step(self.chunk_s)
                    for fn in tuple(self._callbacks):
                        fn(plant)
                ticks += 1
                if self.realtime:
                    lag = time.monotonic() - (start + ticks * self.chunk_s)
                    if lag < 0:
                        self._stop.wait(-lag)
                    elif lag > _MAX_LAG_S:
                        start += lag
                        self.slipped_s += lag
                else:
                    time.sleep(0)  # let other threads take the GIL between chunks
        except BaseException as exc:  # handed to stop(): nothing is swallowed
            self.error = exc

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop and join (idempotent); re-raises an error that ended the thread."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                raise PlantError(f"plant runner: thread did not stop within {timeout_s:g} s")
            self._thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise PlantError(f"plant runner stopped by an error in a step or tick callback: {error!r}") from error

    def __enter__(self) -> PlantRunner:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
