"""What the SCPI analyzer tests share: the items the driver reads, and a motor operating point in the plant."""

from __future__ import annotations

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
