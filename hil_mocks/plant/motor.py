"""True values of a simulated servo motor that a perfect measurement must find."""

from __future__ import annotations

import math

from bench.simconfig import MotorConfig


def electromagnetic_torque_nm(cfg: MotorConfig, shaft_torque_nm: float, speed_rad_s: float) -> float:
    """Torque the current must make so the shaft delivers ``shaft_torque_nm`` at steady speed.

    ``T_em = T_shaft + sign(ω)·Fc + c·ω`` (friction of the rotor; ω ≠ 0).
    """
    return shaft_torque_nm + math.copysign(cfg.coulomb_friction_nm, speed_rad_s) \
        + cfg.viscous_friction_nm_s_rad * speed_rad_s


def electrical_power_w(cfg: MotorConfig, electromagnetic_torque_nm_: float, speed_rad_s: float) -> float:
    """``P_el = T_em·ω + 3·R·I² + k_iron·|ω|`` with ``I = T_em/Kt`` (A rms per phase)."""
    current_a = electromagnetic_torque_nm_ / cfg.torque_constant_nm_a
    return (electromagnetic_torque_nm_ * speed_rad_s + 3 * cfg.winding_resistance_ohm * current_a ** 2
            + cfg.iron_loss_w_per_rad_s * abs(speed_rad_s))


def true_motor_efficiency(cfg: MotorConfig, shaft_torque_nm: float, speed_rad_s: float) -> float:
    """Steady-state efficiency shaft power / electrical power (motoring, ``T·ω > 0``).

    Generating (``T·ω < 0``) it is electrical / shaft power instead (IEC 60034-2-1 direct method,
    DOMAIN.md §4). Ripple and cogging average out over a revolution and are not in it.
    """
    t_em = electromagnetic_torque_nm(cfg, shaft_torque_nm, speed_rad_s)
    p_el = electrical_power_w(cfg, t_em, speed_rad_s)
    p_mech = shaft_torque_nm * speed_rad_s
    if p_mech >= 0:
        return p_mech / p_el if p_el else 0.0
    return p_el / p_mech if p_mech else 0.0
