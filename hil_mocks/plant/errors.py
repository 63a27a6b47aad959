"""Errors of the plant, in the project's error tree."""

from __future__ import annotations

from bench.errors import BenchError, TransportError


class PlantError(BenchError, ValueError):
    """A bad command or parameter given to the plant (names the axis or sensor and the value)."""


class SensorDisconnected(TransportError):
    """A read from a simulated sensor whose fault 'disconnected' is active."""

    def __init__(self, sensor: str):
        self.sensor = sensor
        super().__init__(f"{sensor}: sensor disconnected")
