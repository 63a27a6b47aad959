"""Channel descriptions and the blocks of samples that drivers publish."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class SampleFlag(enum.IntFlag):
    """Per-sample quality flags (a NaN sample always carries one of them)."""

    OK = 0
    NO_DATA = 1  # instrument had no value (e.g. SCPI "NAN")
    OVER_RANGE = 2  # instrument over range (e.g. SCPI "INF"), or sensor beyond its range
    SENSOR_OPEN = 4  # disconnected sensor (e.g. open thermocouple)
    INTERPOLATED = 8  # filled in, not measured


@dataclass(frozen=True)
class ChannelSpec:
    """What a channel is: ``name`` like ``out.angle_rad``, SI ``unit``, dtype, nominal rate."""

    name: str
    unit: str
    dtype: str = "float64"
    rate_hz: float = 0.0
    device: str = ""
    description: str = ""


@dataclass(frozen=True)
class SampleBlock:
    """A block of samples of one channel.

    ``t_s`` are seconds on the run's monotonic :class:`bench.timebase.Timebase`; ``values`` in the
    channel's SI unit; ``flags`` (optional, same length) are :class:`SampleFlag` bits.
    """

    channel: str
    t_s: np.ndarray
    values: np.ndarray
    flags: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        if len(self.t_s) != len(self.values):
            raise ValueError(
                f"SampleBlock {self.channel}: {len(self.t_s)} timestamps but {len(self.values)} values"
            )
        if self.flags is not None and len(self.flags) != len(self.values):
            raise ValueError(f"SampleBlock {self.channel}: flags length differs from values")

    def __len__(self) -> int:
        return len(self.values)
