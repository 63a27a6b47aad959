"""The physics plant of the simulated bench: one model that every simulated instrument reads.

``Plant`` (motors with their drives, reducer or coupling, sensors), ``PlantRunner`` (a thread that
steps it, paced or not) and ``ServoAxis`` (one drive + motor). True values that a perfect
measurement must find are in :mod:`hil_mocks.plant.reducer`. See :mod:`hil_mocks.plant.plant`.
"""

from hil_mocks.plant.axis import ServoAxis
from hil_mocks.plant.errors import PlantError, SensorDisconnected
from hil_mocks.plant.motor import true_motor_efficiency
from hil_mocks.plant.plant import Plant, cogging_order
from hil_mocks.plant.reducer import (
    expected_lost_motion_rad,
    expected_zero_torque_width_rad,
    static_twist_rad,
    true_efficiency,
)
from hil_mocks.plant.runner import PlantRunner
from hil_mocks.plant.sensors import Encoder, TemperatureSensors, TorqueSensor

__all__ = [
    "Plant", "PlantRunner", "ServoAxis", "PlantError", "SensorDisconnected", "cogging_order",
    "Encoder", "TorqueSensor", "TemperatureSensors",
    "expected_lost_motion_rad", "expected_zero_torque_width_rad", "static_twist_rad", "true_efficiency",
    "true_motor_efficiency",
]
