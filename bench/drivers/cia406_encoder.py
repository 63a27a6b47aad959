"""CiA 406 encoder over CANopen: position (0x6004) streamed by TPDO, scaled to a continuous angle.

The position value wraps at the total measuring range (0x6002, or 2**32 when the device has no such
object); the driver unwraps it so ``<name>.angle_rad`` is continuous over a run.  Speed (0x6030:01)
is mapped too when ``settings.stream_speed`` is set and the device has it.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from bench.drivers import canopen_od
from bench.drivers.canbus import CanBus
from bench.drivers.canopen_node import CanopenDevice, PdoObject, Publish, _Tpdo
from bench.errors import BenchError
from bench.protocols import cia406
from bench.streams import ChannelSpec


@dataclass(frozen=True)
class Cia406Settings:
    """``[devices.ROLE.settings]`` of a ``cia406`` device."""

    units_per_rev: int = field(default=0, metadata={"ge": 0})  # 0: from 0x6001
    range_counts: int = field(default=0, metadata={"ge": 0})  # 0: from 0x6002, else 2**32
    speed_units_per_rev: float = field(default=0.0, metadata={"ge": 0})  # 0: units_per_rev (units/s)
    sign: int = field(default=1, metadata={"ge": -1, "le": 1})  # -1 to turn the output sense around
    stream_speed: bool = False
    device_type: int | None = None
    vendor_id: int | None = None
    product_code: int | None = None
    heartbeat_period_ms: int = field(default=100, metadata={"ge": 0})
    tpdo_transmission_type: int = field(default=1, metadata={"ge": 0, "le": 255})
    tpdo_event_timer_ms: int = field(default=0, metadata={"ge": 0})
    rpdo_transmission_type: int = 255
    fresh_s: float = field(default=0.05, metadata={"gt": 0})  # streamed value older: read by SDO

    def check(self):
        if self.sign == 0:
            yield "sign", "must be 1 or -1"


@dataclass(frozen=True)
class Cia406Timeouts:
    """``[devices.ROLE.timeouts]`` of a ``cia406`` device (seconds)."""

    sdo_s: float = field(default=0.5, metadata={"gt": 0})
    heartbeat_s: float = field(default=0.5, metadata={"gt": 0})


OBJECTS_406 = {
    "position": PdoObject("position", cia406.POSITION_VALUE, 0, "angle_rad", "rad"),
    "speed": PdoObject("speed", cia406.SPEED_VALUE, 1, "speed_rad_s", "rad/s"),
}


class Cia406Encoder(CanopenDevice):
    """A CiA 406 absolute encoder (see the module docstring)."""

    PROFILE = cia406.DEVICE_PROFILE
    SETTINGS = Cia406Settings
    TIMEOUTS = Cia406Timeouts
    OBJECTS = OBJECTS_406

    def __init__(self, bus: CanBus, node_id: int, *, name: str, eds=None, settings: dict | None = None,
                 timeouts: dict | None = None, publish: Publish | None = None):
        super().__init__(bus, node_id, name=name, eds=eds, settings=settings, timeouts=timeouts, publish=publish)
        self.units_per_rev: int | None = self.settings.units_per_rev or None
        self.range_counts: int | None = self.settings.range_counts or None
        self._unwrap_lock = threading.Lock()
        self._previous: int | None = None  # last unwrapped count
        self._latest_at = -math.inf
        self._latest: dict[str, float] = {}

    def _builtin_od(self):
        return canopen_od.builtin_cia406_od(self.node_id)

    def _tpdo_layout(self):
        objs = ("position", "speed") if self.settings.stream_speed and self._has(cia406.SPEED_VALUE, 1) else ("position",)
        return (objs, (), (), ())

    def _needed_objects(self):
        needed = super()._needed_objects()
        if not self.settings.units_per_rev:
            needed[(cia406.MEASURING_UNITS_PER_REVOLUTION, 0)] = "measuring units per revolution (or settings.units_per_rev)"
        return needed

    def connect(self) -> None:
        """Check identity, read the scaling, map the position into TPDO1, start the node."""
        with self._lock:
            self._attach()
            self._nmt("PRE-OPERATIONAL")
            self._check_identity()
            if self.units_per_rev is None:
                self.units_per_rev = int(self.sdo_read(cia406.MEASURING_UNITS_PER_REVOLUTION))
                if self.units_per_rev <= 0:
                    raise BenchError(f"{self.device}: 0x6001 measuring units per revolution is {self.units_per_rev}")
            if self.range_counts is None:
                total = self.sdo_read_optional(cia406.TOTAL_MEASURING_RANGE)
                self.range_counts = int(total) if total else 1 << 32
            self._start_heartbeat()
            self._configure_pdos()
            self._nmt("OPERATIONAL")
            self._confirm_operational()
            self._raise_pending()

    def start_streaming(self) -> None:
        """Nothing to do: TPDO1 streams once the node is OPERATIONAL and the bus sends SYNC."""

    def _on_records(self, tpdo: _Tpdo, records: np.ndarray, t_s: np.ndarray) -> None:
        latest = {}
        for obj in tpdo.objects:
            raw = records[obj.key]
            if obj.key == "position":
                with self._unwrap_lock:
                    counts, self._previous = cia406.unwrap_counts(raw, self.range_counts, self._previous)
                values = cia406.counts_to_rad(counts, self.units_per_rev) * self.settings.sign
            else:
                per_rev = self.settings.speed_units_per_rev or self.units_per_rev
                values = raw * (cia406.TWO_PI / per_rev) * self.settings.sign
            latest[obj.quantity] = float(values[-1])
            self._publish(obj.quantity, t_s, np.asarray(values, dtype=np.float64))
        self._latest.update(latest)
        self._latest_at = time.monotonic()

    def channels(self) -> list[ChannelSpec]:
        rate = self._channel_rate_hz()
        return [ChannelSpec(f"{self.name}.{self.OBJECTS[k].quantity}", self.OBJECTS[k].unit, "float64", rate, self.name,
                            f"CiA 406 0x{self.OBJECTS[k].index:04X} of node {self.node_id}")
                for k in self._tpdo_layout()[0]]

    def read_angle_rad(self) -> float:
        """Angle: the streamed (unwrapped) value when fresh, else 0x6004 by SDO (within one range)."""
        with self._lock:
            self._raise_pending()
            value = self._latest.get("angle_rad")
            if value is not None and time.monotonic() - self._latest_at <= self.settings.fresh_s:
                return value
            counts = int(self.sdo_read(cia406.POSITION_VALUE))
            with self._unwrap_lock:
                unwrapped, self._previous = cia406.unwrap_counts([counts], self.range_counts, self._previous)
            return float(cia406.counts_to_rad(unwrapped[-1], self.units_per_rev)) * self.settings.sign

    def latest_speed(self) -> float | None:
        """Latest streamed speed (rad/s) when 0x6030:01 is mapped, else None."""
        return self._latest.get("speed_rad_s")

    def preset(self, angle_rad: float) -> None:
        """Set the present position to ``angle_rad`` (writes 0x6003); the unwrapped angle restarts there."""
        with self._lock:
            self._raise_pending()
            counts = cia406.rad_to_counts(angle_rad * self.settings.sign, self.units_per_rev, self.range_counts)
            self.sdo_write(cia406.PRESET_VALUE, 0, counts)
            with self._unwrap_lock:  # continue the unwrapped count from the preset angle
                self._previous = int(round(angle_rad * self.settings.sign * self.units_per_rev / cia406.TWO_PI))
                self._latest.clear()
