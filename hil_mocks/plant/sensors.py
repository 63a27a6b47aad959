"""The bench's sensors as the plant sees them: torque flanges, encoders, temperature channels.

The band limit of a flange is computed every step by the core (it is a filter on the true torque);
everything else (noise, quantisation, range clipping, sub-division error, faults) is applied only
when a simulator reads, so unread sensors cost nothing. Each sensor draws its noise from its own
seeded generator, so a run is deterministic for a given seed and sequence of reads.

Faults every sensor has: ``disconnect()`` / ``reconnect()`` (torque and temperature read NaN,
encoders raise :class:`SensorDisconnected`; ``.connected`` tells), ``stick()`` / ``unstick()`` (the
reading freezes at its value when stuck). Encoders also have ``glitch(counts, duration_s)``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from bench.simconfig import EncoderConfig, TorqueSensorConfig
from hil_mocks.plant import core
from hil_mocks.plant.errors import PlantError, SensorDisconnected

if TYPE_CHECKING:
    from hil_mocks.plant.plant import Plant

TWO_PI = 2.0 * math.pi


class _Normal:
    """Standard normal draws in batches (one numpy call per 1024 reads, not per read)."""

    def __init__(self, rng: np.random.Generator, batch: int = 1024):
        self._rng = rng
        self._batch = batch
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._rng.standard_normal(self._batch).tolist()
            self._i = 0
        value = self._buf[self._i]
        self._i += 1
        return value


class _Faults:
    def __init__(self, name: str):
        self.name = name
        self.connected = True
        self.stuck = False

    def disconnect(self) -> None:
        self.connected = False

    def reconnect(self) -> None:
        self.connected = True

    def stick(self) -> None:
        """Freeze the reading at what it reads now."""
        self.stuck = False
        self._stuck_value = self._read_live()
        self.stuck = True

    def unstick(self) -> None:
        self.stuck = False

    def _read_live(self):  # pragma: no cover - overridden
        raise NotImplementedError


class TorqueSensor(_Faults):
    """A torque flange: band-limited, noisy per accuracy class, quantised, clipped at ±range.

    Noise 1σ = accuracy_class/2 % of range; resolution = range / 2**(bits−1).
    ``over_range`` is True after a read where the band-limited torque was beyond ±range.
    """

    def __init__(self, plant: Plant, axis_index: int, name: str, cfg: TorqueSensorConfig,
                 rng: np.random.Generator):
        super().__init__(name)
        self._plant = plant
        self._slot = axis_index * core.AX
        self.cfg = cfg
        self.range_nm = cfg.range_nm
        self.noise_nm = cfg.accuracy_class / 100.0 * cfg.range_nm / 2.0
        self.resolution_nm = cfg.range_nm / 2 ** (cfg.bits - 1)
        self._normal = _Normal(rng)
        self.over_range = False

    @property
    def true_torque_nm(self) -> float:
        """The shaft torque at this flange (no sensor effects)."""
        return float(self._plant._s[self._slot + core.S_TFL])

    @property
    def filtered_torque_nm(self) -> float:
        """The true torque through the flange's bandwidth (no noise, no quantisation)."""
        return float(self._plant._s[self._slot + core.S_TFLF])

    def _read_live(self) -> float:
        value = self.filtered_torque_nm
        self.over_range = abs(value) > self.range_nm
        if self.noise_nm:
            value += self.noise_nm * self._normal()
        value = min(max(value, -self.range_nm), self.range_nm)
        return round(value / self.resolution_nm) * self.resolution_nm

    def read(self) -> float:
        """N·m as the flange outputs it; NaN when disconnected."""
        if not self.connected:
            return math.nan
        if self.stuck:
            return self._stuck_value
        return self._read_live()


class Encoder(_Faults):
    """An angle encoder: 2**bits counts per revolution, sub-division error, noise, glitches.

    Reads ``θ + SDE·sin(sde_order·θ) + noise`` and counts ``floor(θ·cpr/2π)`` multi-turn;
    :meth:`read_counts` wraps as uint32 (like CiA 406 0x6004), :meth:`read_rad` does not wrap.
    """

    def __init__(self, plant: Plant, axis_index: int, name: str, cfg: EncoderConfig,
                 rng: np.random.Generator):
        super().__init__(name)
        self._plant = plant
        self._slot = axis_index * core.AX + core.S_TH
        self.cfg = cfg
        self.counts_per_rev = 2 ** cfg.bits
        self._normal = _Normal(rng)
        self._glitch_counts = 0
        self._glitch_until_s = -math.inf

    @property
    def true_angle_rad(self) -> float:
        return float(self._plant._s[self._slot])

    def glitch(self, counts: int, duration_s: float) -> None:
        """Add ``counts`` to the reading for the next ``duration_s`` simulated seconds."""
        if not duration_s >= 0:
            raise PlantError(f"{self.name}: glitch duration_s must be >= 0, got {duration_s!r}")
        self._glitch_counts = int(counts)
        self._glitch_until_s = self._plant.t_s + float(duration_s)

    def _counts_unwrapped(self) -> int:
        theta = self.true_angle_rad
        cfg = self.cfg
        if cfg.sde_amplitude_rad:
            theta += cfg.sde_amplitude_rad * math.sin(cfg.sde_order * theta)
        if cfg.noise_rad:
            theta += cfg.noise_rad * self._normal()
        counts = math.floor(theta / TWO_PI * self.counts_per_rev)
        if self._plant.t_s < self._glitch_until_s:
            counts += self._glitch_counts
        return counts

    def _read_live(self) -> int:
        return self._counts_unwrapped()

    def _read(self) -> int:
        if not self.connected:
            raise SensorDisconnected(self.name)
        if self.stuck:
            return self._stuck_value
        return self._counts_unwrapped()

    def read_counts(self) -> int:
        """Raw multi-turn position counts wrapped as uint32; raises SensorDisconnected if disconnected."""
        return self._read() & 0xFFFFFFFF

    def read_rad(self) -> float:
        """The same reading in rad, multi-turn, not wrapped."""
        return self._read() * TWO_PI / self.counts_per_rev


class TemperatureSensors:
    """Temperature channels (°C): ambient, reducer, drive_motor (winding), load_motor (winding).

    Faults apply to one channel when a channel is named, else to all.
    """

    channels = ("ambient", "reducer", "drive_motor", "load_motor")

    def __init__(self, plant: Plant, noise_c: float, rng: np.random.Generator):
        self.name = "temperature"
        self.connected = True  # the module as a whole (disconnect() without a channel)
        self._plant = plant
        self.noise_c = noise_c
        self._normal = _Normal(rng)
        self._open: set[str] = set()
        self._stuck: dict[str, float] = {}

    def _check(self, channel: str) -> None:
        if channel not in self.channels:
            raise PlantError(f"temperature: unknown channel {channel!r}; channels are: {', '.join(self.channels)}")

    def true_temperature_c(self, channel: str) -> float:
        self._check(channel)
        s = self._plant._s
        if channel == "ambient":
            return float(self._plant._p[core.P_AMB])
        if channel == "reducer":
            return float(s[core.S_TRED])
        if channel == "drive_motor":
            return float(s[core.S_TW])
        return float(s[core.AX + core.S_TW])

    def read(self, channel: str) -> float:
        """°C with noise; NaN if the channel (or the module) is open."""
        self._check(channel)
        if not self.connected or channel in self._open:
            return math.nan
        if channel in self._stuck:
            return self._stuck[channel]
        return self.true_temperature_c(channel) + self.noise_c * self._normal()

    def disconnect(self, channel: str | None = None) -> None:
        if channel is None:
            self.connected = False
        else:
            self._check(channel)
            self._open.add(channel)

    def reconnect(self, channel: str | None = None) -> None:
        if channel is None:
            self.connected = True
            self._open.clear()
        else:
            self._check(channel)
            self._open.discard(channel)

    def stick(self, channel: str | None = None) -> None:
        for ch in (self.channels if channel is None else (channel,)):
            self._check(ch)
            self._stuck[ch] = self.read(ch) if ch not in self._stuck else self._stuck[ch]

    def unstick(self, channel: str | None = None) -> None:
        if channel is None:
            self._stuck.clear()
        else:
            self._stuck.pop(channel, None)

    @property
    def stuck(self) -> bool:
        return bool(self._stuck)


class Sensors:
    """The plant's sensors by role (what the simulators read)."""

    def __init__(self, torque_in: TorqueSensor, torque_out: TorqueSensor, encoder_in: Encoder,
                 encoder_out: Encoder, temperature: TemperatureSensors):
        self.torque_in = torque_in
        self.torque_out = torque_out
        self.encoder_in = encoder_in
        self.encoder_out = encoder_out
        self.temperature = temperature
