"""The physics plant of the simulated bench: one model that every simulated instrument reads.

``Plant`` (motors with their drives, reducer or coupling, sensors), ``PlantRunner`` (a thread that
steps it, paced or not) and ``ServoAxis`` (one drive + motor); see :mod:`hil_mocks.plant.plant` for the
topology and sign conventions. True values that a perfect measurement must find:

* reducer (:mod:`hil_mocks.plant.reducer`, also as ``Plant`` methods): ``static_twist_rad(cfg, T)``,
  ``expected_zero_torque_width_rad(cfg)`` = b + 2·f⁻¹(H), ``expected_lost_motion_rad(cfg, window_nm)``,
  ``true_efficiency(cfg, N, T_out, ω_in, driving)``, ``back_driving_torque_nm(cfg, N, motor_friction)``;
* motor (:mod:`hil_mocks.plant.motor`): ``true_motor_efficiency(cfg, shaft_torque_nm, speed_rad_s)``;
  cogging periods per revolution ``cogging_order(motor_cfg)`` = LCM(slots, 2·pole_pairs).

The step loop (:mod:`hil_mocks.plant.core`) is compiled by numba; it runs as plain Python without it.
"""

from hil_mocks.plant.axis import ServoAxis
from hil_mocks.plant.errors import PlantError, SensorDisconnected
from hil_mocks.plant.motor import true_motor_efficiency
from hil_mocks.plant.plant import Plant, cogging_order
from hil_mocks.plant.reducer import (
    back_driving_torque_nm,
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
    "true_motor_efficiency", "back_driving_torque_nm",
]
