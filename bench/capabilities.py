"""What a device can do, as ``typing.Protocol`` s: sequences depend on capabilities, not vendors.

A driver satisfies a capability by having the methods (structural typing); ``isinstance`` works for
the runtime-checkable ones. All values SI.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Stoppable(Protocol):
    def quick_stop(self) -> None:
        """Stop as fast as the device safely can (e.g. CiA 402 quick stop)."""

    def disable(self) -> None:
        """Remove power from the motor / release the set point."""


@runtime_checkable
class Enableable(Protocol):
    def enable(self) -> None: ...


@runtime_checkable
class SpeedControlled(Protocol):
    def set_mode(self, mode: str) -> None: ...

    def set_velocity_rad_s(self, speed_rad_s: float) -> None: ...


@runtime_checkable
class TorqueControlled(Protocol):
    def set_mode(self, mode: str) -> None: ...

    def set_torque_nm(self, torque_nm: float) -> None: ...


@runtime_checkable
class PositionControlled(Protocol):
    def set_mode(self, mode: str) -> None: ...

    def set_position_rad(self, angle_rad: float) -> None: ...


@runtime_checkable
class AngleSensor(Protocol):
    def read_angle_rad(self) -> float: ...


@runtime_checkable
class TorqueSensor(Protocol):
    def read_torque_nm(self) -> float: ...


@runtime_checkable
class TemperatureSensor(Protocol):
    def read_temperatures_c(self) -> dict[str, float]: ...


@runtime_checkable
class PowerMeter(Protocol):
    def read_power(self) -> dict[str, float]: ...


@runtime_checkable
class Streaming(Protocol):
    """A device that publishes :class:`bench.streams.SampleBlock` s while it runs."""

    def channels(self) -> list: ...
