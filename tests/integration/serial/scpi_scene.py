"""What the SCPI analyzer tests share: the items the driver reads, and a motor operating point in the plant."""

from __future__ import annotations

import pytest

ITEMS = {"u1_v": "URMS,1", "i1_a": "IRMS,1", "p1_w": "P,1", "p_total_w": "P,SIGMA", "pf_1": "LAMBDA,1",
         "speed_rad_s": "SPEED", "torque_nm": "TORQUE", "p_mech_w": "PM"}


def set_motor(plant, speed_rad_s=300.0, torque_nm=1.25, losses_w=40.0, voltage_v=120.0):
    """Put the plant's input motor at an operating point the analyzer measures (power factor 0.9)."""
    axis = plant.axes["in"]
    axis.speed_rad_s = speed_rad_s
    plant.sensors.torque_in.value = torque_nm
    axis.electrical_power_w = speed_rad_s * torque_nm + losses_w
    axis.voltage_v = voltage_v
    axis.current_a = axis.electrical_power_w / (3 * voltage_v * 0.9)


def assert_power_of_the_default_motor(power: dict) -> None:
    """What the analyzer must read at :func:`set_motor`'s default operating point (300 rad/s, 1.25 N·m)."""
    assert power["p_total_w"] == pytest.approx(300.0 * 1.25 + 40.0, rel=1e-5)  # mechanical + losses
    assert power["p1_w"] == pytest.approx(power["p_total_w"] / 3, rel=1e-5)
    assert power["u1_v"] == pytest.approx(120.0, rel=1e-5)
    assert power["pf_1"] == pytest.approx(0.9, rel=1e-4)
    assert power["speed_rad_s"] == pytest.approx(300.0, rel=1e-5)  # sent in rpm, read in rad/s
    assert power["p_mech_w"] == pytest.approx(375.0, rel=1e-5)  # Pm = 2π·n·T/60 = ω·T
