"""An ideal motor for a simulated drive built without a plant (``axis=None``).

Same attributes as the plant's ``ServoAxis`` (mode, targets, angle_rad, speed_rad_s, torque_nm, fault),
advanced by the drive itself: position and velocity set-points are followed exactly, torque accelerates
an inertia with viscous friction. Enough for protocol tests that do not need a reducer.
"""

from __future__ import annotations

import math


class IdealAxis:
    def __init__(self, inertia_kgm2: float = 1e-3, viscous_nm_s: float = 1e-3, torque_limit_nm: float = 10.0):
        self.inertia_kgm2 = inertia_kgm2
        self.viscous_nm_s = viscous_nm_s
        self.mode = "disabled"
        self.brake_engaged = False
        self.torque_target_nm = 0.0
        self.velocity_target_rad_s = 0.0
        self.position_target_rad = 0.0
        self.torque_limit_nm = torque_limit_nm
        self.angle_rad = 0.0
        self.speed_rad_s = 0.0
        self.torque_nm = 0.0
        self.winding_temperature_c = 25.0
        self.fault: str | None = None

    @property
    def current_a(self) -> float:
        return self.torque_nm  # Kt = 1 N·m/A

    def inject_fault(self, name: str) -> None:
        self.fault = name
        self.mode = "disabled"

    def clear_fault(self) -> None:
        self.fault = None

    def advance(self, dt_s: float) -> None:
        if dt_s <= 0:
            return
        dt_s = min(dt_s, 0.05)
        mode = "disabled" if self.fault else self.mode
        self.torque_nm = 0.0
        if self.brake_engaged:
            self.speed_rad_s = 0.0
            return
        if mode == "position":
            target = self.position_target_rad
            self.speed_rad_s = (target - self.angle_rad) / dt_s
            self.angle_rad = target
        elif mode == "velocity":
            self.speed_rad_s = self.velocity_target_rad_s
            self.angle_rad += self.speed_rad_s * dt_s
        else:
            torque = 0.0
            if mode == "torque":
                limit = abs(self.torque_limit_nm)
                torque = max(-limit, min(limit, self.torque_target_nm))
                self.torque_nm = torque
            accel = (torque - self.viscous_nm_s * self.speed_rad_s) / self.inertia_kgm2
            speed = self.speed_rad_s + accel * dt_s
            if mode == "disabled" and speed * self.speed_rad_s < 0:
                speed = 0.0
            self.angle_rad += 0.5 * (self.speed_rad_s + speed) * dt_s
            self.speed_rad_s = speed
        if not math.isfinite(self.angle_rad):
            self.angle_rad, self.speed_rad_s = 0.0, 0.0
