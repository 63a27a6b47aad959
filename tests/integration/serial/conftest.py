"""A stand-in for :class:`hil_mocks.plant.Plant` with the contract's attributes, values set by the test.

Used while the real plant is not there and wherever a test needs exact, known values (the
simulators read only these attributes). ``real_plant`` gives the real one when it can be imported.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest


class StandInSensor:
    def __init__(self, value: float = 0.0):
        self.value = value
        self.connected = True

    def read(self) -> float:
        return self.value if self.connected else float("nan")

    @property
    def true_torque_nm(self) -> float:
        return self.value

    def disconnect(self):
        self.connected = False

    def reconnect(self):
        self.connected = True


class StandInTemperatures:
    channels = ("ambient", "reducer", "drive_motor", "load_motor")

    def __init__(self):
        self.values = {"ambient": 22.5, "reducer": 31.2, "drive_motor": 45.0, "load_motor": -5.3}
        self.open: set[str] = set()

    def read(self, channel: str) -> float:
        return float("nan") if channel in self.open else self.values[channel]


class StandInAxis:
    def __init__(self):
        self.mode = "disabled"
        self.brake_engaged = False
        self.torque_target_nm = 0.0
        self.velocity_target_rad_s = 0.0
        self.speed_rad_s = 0.0
        self.torque_nm = 0.0
        self.current_a = 0.0
        self.voltage_v = 0.0
        self.electrical_power_w = 0.0
        self.winding_temperature_c = 25.0
        self.fault = None


class StandInPlant:
    def __init__(self):
        self.lock = threading.RLock()
        self.t_s = 0.0
        self.axes = {"in": StandInAxis(), "load": StandInAxis()}
        self.sensors = SimpleNamespace(torque_in=StandInSensor(1.25), torque_out=StandInSensor(-12.5),
                                       temperature=StandInTemperatures())
        self.input_speed_rad_s = 100.0
        self.output_speed_rad_s = 2.0
        self.output_torque_nm = -12.5


@pytest.fixture
def plant() -> StandInPlant:
    return StandInPlant()

