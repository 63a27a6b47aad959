"""A simulated CiA 406 absolute rotary encoder reading one plant encoder (``plant.sensors.encoder_*``).

0x6004 position value (UNSIGNED32, wraps at 0x6002 or 2^32) in 0x6001 measuring units per revolution
(the plant encoder's own counts per revolution unless the master rescales), 0x6003 preset (writing it
makes the current position read the written value), 0x6000 bit 0 code sequence (counting direction),
0x6030:01 speed in measuring units/s divided by 0x6005:02 where the EDS has those objects. A sensor
that reads NaN (disconnected) raises EMCY 0x7300 and sends no position until it reads again.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from bench.errors import BenchError

from .dictionary import ABORT_VALUE_RANGE, PROFILE_ENCODER, abort, clamp_int
from .node import SimulatedNode

DEFAULT_EDS = Path(__file__).resolve().parent / "eds" / "bench_encoder.eds"
TWO_PI = 2.0 * math.pi


class FixedEncoder:
    """Stand-in for a plant encoder when the simulator runs alone: set ``angle_rad`` by hand."""

    def __init__(self, counts_per_rev: int = 1 << 20, angle_rad: float = 0.0):
        self.counts_per_rev = int(counts_per_rev)
        self.angle_rad = float(angle_rad)

    def read_rad(self) -> float:
        return math.floor(self.angle_rad / TWO_PI * self.counts_per_rev) * TWO_PI / self.counts_per_rev

    def read_counts(self) -> int:
        return math.floor(self.angle_rad / TWO_PI * self.counts_per_rev) & 0xFFFFFFFF


class SimulatedCia406Encoder(SimulatedNode):
    """A CiA 406 encoder on a CAN channel; reads ``encoder`` (plant sensor or :class:`FixedEncoder`)."""

    SPEED_WINDOW_S = 0.01

    def __init__(self, channel: str, node_id: int, encoder=None, plant_lock=None,
                 eds_path: str | Path | None = None, *, name: str | None = None, interface: str = "virtual",
                 tick_s: float = 0.002, strict_pdo_mapping: bool = False):
        self.encoder = FixedEncoder() if encoder is None else encoder
        self.plant_lock = plant_lock if plant_lock is not None else threading.RLock()
        super().__init__(channel, node_id, eds_path or DEFAULT_EDS, name=name or f"cia406-{node_id}",
                         interface=interface, tick_s=tick_s, strict_pdo_mapping=strict_pdo_mapping)
        profile = self.store.profile()
        if profile not in (None, PROFILE_ENCODER):
            raise ValueError(f"{self.eds_path}: 0x1000 says device profile {profile}, not a CiA 406 encoder")
        if not self.store.has(0x6004):
            raise ValueError(f"{self.eds_path}: a CiA 406 encoder needs 0x6004 (position value)")
        self._reset_application()
        self._after_store_reset()

    def _reset_application(self) -> None:
        self._offset = 0
        self._process_ok = True
        self._speed_ref: tuple[float, float] | None = None
        self._speed_units_s = 0.0

    def _after_store_reset(self) -> None:
        store = self.store
        if not store.get(0x1000, 0):
            store.set_if_present(0x1000, 0, 0x00010196)
        cpr = int(self.encoder.counts_per_rev)
        for key in ((0x6001, 0), (0x6501, 0)):
            if store.has(*key):
                store.set(*key, cpr)
        if store.has(0x6005, 2):
            var = store.variable(0x6005, 2)
            if var.default is None and var.value is None:
                store.set(0x6005, 2, 1)
        if store.has(0x6002) and store.variable(0x6002, 0).default is None:
            store.set(0x6002, 0, 0)

    # ---------------------------------------------------------------- values
    def _units_per_rev(self) -> int:
        value = self.store.values.get((0x6001, 0))
        return int(value) if value else int(self.encoder.counts_per_rev)

    def _range(self) -> int:
        value = self.store.values.get((0x6002, 0))
        return int(value) if value else 1 << 32

    def _raw_units(self) -> int | None:
        """Position in measuring units before preset and wrap, or None when the sensor gives no reading."""
        with self.plant_lock:
            try:
                units = self._units_per_rev()
                if units == int(self.encoder.counts_per_rev):
                    raw = self.encoder.read_counts()
                    angle = self.encoder.read_rad()
                else:
                    angle = self.encoder.read_rad()
                    raw = math.floor(angle / TWO_PI * units) if math.isfinite(angle) else None
            except (BenchError, ValueError, OverflowError, TypeError):  # e.g. SensorDisconnected
                return None
        if raw is None or not math.isfinite(angle):
            return None
        self._angle_rad = angle
        if int(self.store.values.get((0x6000, 0), 0) or 0) & 0x1:
            raw = -raw
        return int(raw)

    def _update_process(self, now: float, sync: bool) -> None:
        raw = self._raw_units()
        if raw is None:
            if self._process_ok:
                self._process_ok = False
                self.send_emcy(0x7300, 0x01, b"NOSIG")
            return
        if not self._process_ok:
            self._process_ok = True
            self.send_emcy(0x0000, 0x00)
        values = self.store.values
        values[(0x6004, 0)] = (raw + self._offset) % self._range()
        ref = self._speed_ref
        angle = self._angle_rad
        if ref is None:
            self._speed_ref = (now, angle)
        elif now - ref[0] >= self.SPEED_WINDOW_S:
            self._speed_units_s = (angle - ref[1]) / (now - ref[0]) / TWO_PI * self._units_per_rev()
            self._speed_ref = (now, angle)
        if (0x6030, 1) in values:
            step = int(values.get((0x6005, 2), 1) or 1)
            values[(0x6030, 1)] = clamp_int(self._speed_units_s / step, 0x3)

    def _before_read(self, index: int, subindex: int) -> None:
        if index in (0x6004, 0x6030):
            self._update_process(time.monotonic(), sync=False)

    def _on_write(self, index: int, subindex: int, value, source: str) -> None:
        if index == 0x6001 and int(value) <= 0:
            raise abort(ABORT_VALUE_RANGE, "0x6001 measuring units per revolution must be > 0")
        if index == 0x6003 and int(value) >= self._range():
            raise abort(ABORT_VALUE_RANGE, f"preset {value} outside the measuring range {self._range()}")

    def _after_write(self, index: int, subindex: int, value, source: str) -> None:
        if index in (0x6001, 0x6000, 0x6002):
            self._offset = 0
        if index == 0x6003:
            raw = self._raw_units()
            if raw is not None:
                self._offset = (int(value) - raw) % self._range()
        self._update_process(time.monotonic(), sync=False)

    @property
    def position_value(self) -> int:
        with self._lock:
            return int(self.store.get(0x6004, 0, 0))
