"""The reducer model of the plant, and the true values a perfect measurement of it must find.

Model (all angles and torques at the OUTPUT, input locked or referred through the ratio N)
-------------------------------------------------------------------------------------------
Twist ``δ = θ_out − θ_in/N − e(θ_in/N)``, where ``e`` is the kinematic transmission error (a sum of
the configured harmonics in output angle). The torque the reducer transmits is::

    T(δ) = g_b(δ) + T_h + c·dδ/dt

* ``g_b`` — the three-slope spring (DOMAIN.md §1.1) behind a dead band of total width ``b`` =
  ``backlash_rad``: ``g_b(δ) = 0`` for ``|δ| ≤ b/2`` and ``sign(δ)·f(|δ| − b/2)`` outside, with
  ``f(φ) = K1·φ`` up to T1, then slope K2 up to T2, then K3.
* ``T_h`` — the *hysteresis* element: a Coulomb friction torque of magnitude ``H`` =
  ``hysteresis_nm`` in parallel with the spring (and the dead band). It is an elasto-plastic
  (Prandtl / Jenkins) element: a very stiff pre-slip spring ``k_h`` in series with a slider that slips
  at ``±H``. While the twist keeps moving one way the slider slips and ``T = g_b(δ) ± H``; at a
  reversal it sticks until the torque has changed by ``2H`` (a nearly vertical segment of the loop).
* ``c`` — structural damping (``twist_damping_ratio``); it vanishes in a quasi-static test.

Hence, for a quasi-static loop between ±T_max (with ``T_max > 2H``):

* loading branch (twist increasing):   ``T = g_b(δ) + H``  →  ``δ = g_b⁻¹(T − H)``
* unloading branch (twist decreasing): ``T = g_b(δ) − H``  →  ``δ = g_b⁻¹(T + H)``

with ``g_b⁻¹(y) = sign(y)·(b/2 + f⁻¹(|y|))`` (y ≠ 0). The loop does not close at zero torque: after
unloading from +T_max the twist at T = 0 is ``b/2 + f⁻¹(H)``, after −T_max it is ``−b/2 − f⁻¹(H)``.

* zero-torque width (DOMAIN.md §2.2 "backlash"/hysteresis loss) = ``b + 2·f⁻¹(H)``
  (:func:`expected_zero_torque_width_rad`);
* lost motion at ±W (DOMAIN.md §2.2, mid-line at +W minus mid-line at −W) =
  ``g_b⁻¹(W − H) + g_b⁻¹(W + H)`` (:func:`expected_lost_motion_rad`), which is
  ``b + 2·W/K1`` when ``H < W`` and ``W + H ≤ T1``;
* the mid-line ``½(δ_load + δ_unload)`` at a torque T > H is ``b/2 + ½[f⁻¹(T−H) + f⁻¹(T+H)]``,
  which equals ``b/2 + f⁻¹(T)`` where f is linear over ``[T−H, T+H]``; with b = H = 0 the twist is the
  catalogue three-slope formula :func:`static_twist_rad` (worked case G4).

Loading rate and steps: the slider is rate-independent, but torque applied in discrete steps excites
the output's torsional mode, and the vibration lets the slider creep (dither), which narrows the loop.
Measured on sim_reducer.toml (±39 N·m sine, 61 N·m/s at zero torque), zero-torque width / true value:
0.999 with 0.1 ms steps, 0.996 with 1 ms (ΔT = 0.06 N·m), 0.986 with 2 ms, 0.956 with 5 ms, 0.91 with
10 ms (ΔT ≈ H). A quasi-static test should command torque in steps well below H (a ramp at the 1 kHz
set-point rate of a CST drive is fine); DOMAIN.md §2.1 notes the same dependence on real benches.

Efficiency: the mesh loses the fraction ``load_loss_fraction`` of the transmitted power
(``η_mesh = 1 − load_loss_fraction``, applied as a load-dependent friction torque at the input), and
the input also carries Coulomb and viscous friction (referred to the input). See :func:`true_efficiency`.
Starting torque (input, output free) ≈ Fc; back-driving torque (output, input free) =
``N·(Fc + Fc_motor_in)/η_mesh`` (:func:`back_driving_torque_nm`).
"""

from __future__ import annotations

import math

from bench.simconfig import ReducerConfig


def _breaks(cfg: ReducerConfig) -> tuple[float, float]:
    """Twist (spring part) at T1 and at T2."""
    phi1 = cfg.t1_nm / cfg.k1_nm_rad
    return phi1, phi1 + (cfg.t2_nm - cfg.t1_nm) / cfg.k2_nm_rad


def spring_torque_nm(cfg: ReducerConfig, twist_rad: float) -> float:
    """``f(φ)``: the three-slope spring without backlash or hysteresis (odd in φ)."""
    phi1, phi2 = _breaks(cfg)
    a = abs(twist_rad)
    if a <= phi1:
        t = cfg.k1_nm_rad * a
    elif a <= phi2:
        t = cfg.t1_nm + cfg.k2_nm_rad * (a - phi1)
    else:
        t = cfg.t2_nm + cfg.k3_nm_rad * (a - phi2)
    return math.copysign(t, twist_rad)


def static_twist_rad(cfg: ReducerConfig, torque_nm: float) -> float:
    """``f⁻¹(T)``: the catalogue three-slope torsion angle (DOMAIN.md §1.1), odd in T.

    This is the spring alone: no backlash and no hysteresis (it is the mid-line of the loop,
    measured from the centre of the backlash, wherever f is linear over ``[T−H, T+H]``).
    """
    a = abs(torque_nm)
    if a <= cfg.t1_nm:
        phi = a / cfg.k1_nm_rad
    elif a <= cfg.t2_nm:
        phi = cfg.t1_nm / cfg.k1_nm_rad + (a - cfg.t1_nm) / cfg.k2_nm_rad
    else:
        phi = (cfg.t1_nm / cfg.k1_nm_rad + (cfg.t2_nm - cfg.t1_nm) / cfg.k2_nm_rad
               + (a - cfg.t2_nm) / cfg.k3_nm_rad)
    return math.copysign(phi, torque_nm)


def _g_b_inverse(cfg: ReducerConfig, torque_nm: float) -> float:
    """Twist at which the dead band + spring carries ``torque_nm`` (the edge of the band for 0+)."""
    if torque_nm == 0.0:
        return 0.0
    return math.copysign(cfg.backlash_rad / 2 + abs(static_twist_rad(cfg, torque_nm)), torque_nm)


def loading_branch_twist_rad(cfg: ReducerConfig, torque_nm: float) -> float:
    """Twist on a fully developed loading branch (twist increasing) at ``torque_nm``."""
    return _g_b_inverse(cfg, torque_nm - cfg.hysteresis_nm)


def unloading_branch_twist_rad(cfg: ReducerConfig, torque_nm: float) -> float:
    """Twist on a fully developed unloading branch (twist decreasing) at ``torque_nm``."""
    return _g_b_inverse(cfg, torque_nm + cfg.hysteresis_nm)


def expected_zero_torque_width_rad(cfg: ReducerConfig) -> float:
    """True loop width at T = 0 after ±T_max (T_max > 2H): ``b + 2·f⁻¹(H)``."""
    return cfg.backlash_rad + 2.0 * static_twist_rad(cfg, cfg.hysteresis_nm)


def expected_lost_motion_rad(cfg: ReducerConfig, window_nm: float) -> float:
    """True lost motion at ±``window_nm`` (mid-line at +W minus mid-line at −W, DOMAIN.md §2.2).

    Valid for a loop run to ±T_max with ``T_max > W + 2H``. Equals ``b + 2·W/K1`` when
    ``H < W`` and ``W + H ≤ T1``.
    """
    w = abs(window_nm)
    mid_plus = 0.5 * (loading_branch_twist_rad(cfg, w) + unloading_branch_twist_rad(cfg, w))
    mid_minus = 0.5 * (loading_branch_twist_rad(cfg, -w) + unloading_branch_twist_rad(cfg, -w))
    return mid_plus - mid_minus


def true_efficiency(cfg: ReducerConfig, ratio: float, output_torque_nm: float,
                    input_speed_rad_s: float, driving: bool = True) -> float:
    """Steady-state efficiency ``|T_out·ω_out| / |T_in·ω_in|`` the plant realises.

    Driving (power from input to output)::

        T_in = Fc + c·|ω_in| + |T_out| / (N·η_mesh),     η = |T_out| / (N·T_in)

    Back-driving (power from output to input, efficiency as output→input)::

        T_in = |T_out|·η_mesh / N − Fc − c·|ω_in|,       η = N·T_in / |T_out|

    with ``η_mesh = 1 − load_loss_fraction``, Fc and c the reducer's Coulomb and viscous friction
    (input side), ``T_in`` the torque at the input flange (steady state: no acceleration).
    """
    n = abs(ratio)
    t_out = abs(output_torque_nm)
    eta_mesh = 1.0 - cfg.load_loss_fraction
    fric = cfg.coulomb_friction_nm + cfg.viscous_friction_nm_s_rad * abs(input_speed_rad_s)
    if t_out == 0.0:
        return 0.0
    if driving:
        return t_out / (n * (fric + t_out / (n * eta_mesh)))
    return max(0.0, n * (t_out * eta_mesh / n - fric) / t_out)


def back_driving_torque_nm(cfg: ReducerConfig, ratio: float, input_side_friction_nm: float = 0.0) -> float:
    """Output torque at which a free input starts to turn: ``N·(Fc + input_side_friction)/η_mesh``.

    ``input_side_friction_nm``: Coulomb friction of whatever else turns with the input (the drive
    motor's rotor). The back-driven mesh passes ``η_mesh·T_out/N`` to the input.
    """
    return abs(ratio) * (cfg.coulomb_friction_nm + input_side_friction_nm) / (1.0 - cfg.load_loss_fraction)


def transmission_error_rad(cfg: ReducerConfig, output_angle_rad: float) -> float:
    """Kinematic TE ``e(θ) = Σ a·sin(order·θ + phase)`` at a nominal output angle."""
    return sum(h.amplitude * math.sin(h.order * output_angle_rad + h.phase_rad)
               for h in cfg.transmission_error)
