"""One physics model of the whole bench; every simulated instrument reads from it.

Topology (reducer bench)::

    axis "in" motor ─ torque_in flange ─ reducer input │ reducer │ output ─ torque_out flange ─ axis "load"

Motor bench (``unit.kind == "motor"``): axis "in" is the motor under test, coupled through the flange
and couplings (a linear spring ``coupling_stiffness_nm_rad`` with damping) to axis "load"; ratio 1.

Signs: N = ω_in/ω_out > 0; twist δ = θ_out − θ_in/N − e; ``output_torque_nm`` > 0 twists the output
positive (it is the torque the load applies to the reducer output at equilibrium). ``torque_in``
reads the torque the drive motor puts into the reducer input (> 0 when it drives forward);
``torque_out`` the torque the load side applies to the output (same sense as the output angle).

The plant steps in fixed internal steps of ``sim.step_s`` (≤ 200 µs); :meth:`Plant.step` accepts any
duration and carries the remainder over, so paced and unpaced runs see the same trajectory.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from bench.config import RigConfig, UnitConfig
from bench.errors import ConfigError, ConfigProblem
from bench.simconfig import Harmonic, MotorConfig, SimConfig
from hil_mocks.plant import core, motor, reducer
from hil_mocks.plant.axis import ServoAxis
from hil_mocks.plant.errors import PlantError
from hil_mocks.plant.sensors import Encoder, Sensors, TemperatureSensors, TorqueSensor

# stability margins of the explicit step: largest ω·dt of the stiffest mode we accept / aim at
_MAX_OMEGA_DT = 1.2
_AUTO_OMEGA_DT = 0.5
_HYST_OMEGA_DT = 0.9


def _harmonics(items: list[Harmonic]) -> np.ndarray:
    table = np.zeros((len(items), 3))
    for i, h in enumerate(items):
        table[i] = (h.order, h.amplitude, h.phase_rad)
    return table


def cogging_order(motor: MotorConfig) -> int:
    """Cogging periods per mechanical revolution: LCM(slots, 2·pole_pairs) (DOMAIN.md G8)."""
    return math.lcm(motor.slots, 2 * motor.pole_pairs)


class Plant:
    """The simulated bench: two servo axes, the reducer (or coupling), sensors. See module doc."""

    def __init__(self, sim: SimConfig, unit: UnitConfig):
        self.sim = sim
        self.unit = unit
        self.lock = threading.RLock()
        self.is_reducer = unit.kind == "reducer"
        self.ratio = float(unit.ratio) if self.is_reducer else 1.0
        if self.ratio <= 0:
            raise PlantError(f"plant: ratio must be > 0 (N = ω_in/ω_out), got {unit.ratio!r}")
        self.dt_s = float(sim.step_s)
        self._s = core.new_state()
        self._p = core.new_params()
        self._te = _harmonics(sim.reducer.transmission_error if self.is_reducer else [])
        self._rip = (_harmonics(sim.drive_motor.ripple), _harmonics(sim.load_motor.ripple))
        self._t_request_s = 0.0
        self._setup_params()
        amb = sim.thermal.ambient_c
        self._s[core.S_TW] = amb
        self._s[core.AX + core.S_TW] = amb
        self._s[core.S_TRED] = amb
        # start at rest in equilibrium: the output where the kinematics put it (twist 0)
        self._s[core.AX + core.S_TH] = float(sum(row[1] * math.sin(row[2]) for row in self._te))
        self.axes = {"in": ServoAxis(self, 0, "in"), "load": ServoAxis(self, 1, "load")}
        seeds = np.random.SeedSequence(sim.seed).spawn(5)
        rngs = [np.random.default_rng(s) for s in seeds]
        self.sensors = Sensors(
            torque_in=TorqueSensor(self, 0, "torque_in", sim.torque_in, rngs[0]),
            torque_out=TorqueSensor(self, 1, "torque_out", sim.torque_out, rngs[1]),
            encoder_in=Encoder(self, 0, "encoder_in", sim.encoder_in, rngs[2]),
            encoder_out=Encoder(self, 1, "encoder_out", sim.encoder_out, rngs[3]),
            temperature=TemperatureSensors(self, sim.thermal.sensor_noise_c, rngs[4]),
        )

    @classmethod
    def from_rig(cls, rig: RigConfig) -> Plant:
        if rig.sim is None:
            raise PlantError(f"plant: rig {rig.name or rig.path!s} has no [sim] table (not a simulated bench)")
        return cls(rig.sim, rig.unit)

    # ---- parameters --------------------------------------------------------------------------------
    def _problem(self, key: str, message: str) -> ConfigError:
        return ConfigError([ConfigProblem(f"sim.{key}", message)], "sim")

    def _setup_params(self) -> None:
        sim, p, dt = self.sim, self._p, self.dt_s
        red = sim.reducer
        n = self.ratio
        jm = (sim.drive_motor.inertia_kgm2, sim.load_motor.inertia_kgm2)
        if self.is_reducer:
            j0 = jm[0] + red.input_inertia_kgm2
            j1 = jm[1] + red.output_inertia_kgm2
            j_eff = 1.0 / (1.0 / j1 + 1.0 / (j0 * n * n))  # the twist mode, at the output
            omega3 = math.sqrt(red.k3_nm_rad / j_eff)
            if omega3 * dt > _MAX_OMEGA_DT:
                raise self._problem("reducer.k3_nm_rad", (
                    f"K3 {red.k3_nm_rad:g} N·m/rad with {j_eff:g} kg·m² at the output is too stiff for "
                    f"step_s {dt:g} (ω·dt = {omega3 * dt:.2f} > {_MAX_OMEGA_DT}); lower step_s or add inertia"))
            # pre-slip stiffness of the hysteresis element: as stiff as the step allows, 1…10 × K1
            kh = red.hysteresis_stiffness_nm_rad or max(red.k1_nm_rad, min(
                10.0 * red.k1_nm_rad, j_eff * (_HYST_OMEGA_DT / dt) ** 2 - red.k3_nm_rad))
            if red.hysteresis_nm > 0 and math.sqrt((kh + red.k3_nm_rad) / j_eff) * dt > _MAX_OMEGA_DT:
                raise self._problem("reducer.hysteresis_stiffness_nm_rad",
                                    f"{kh:g} N·m/rad is too stiff for step_s {dt:g}")
            phi1, phi2 = reducer._breaks(red)
            values = dict(k1=red.k1_nm_rad, k2=red.k2_nm_rad, k3=red.k3_nm_rad, t1=red.t1_nm,
                          t2=red.t2_nm, phi1=phi1, phi2=phi2, bhalf=red.backlash_rad / 2,
                          h=red.hysteresis_nm, kh=kh if red.hysteresis_nm > 0 else 0.0,
                          cs=2 * red.twist_damping_ratio * math.sqrt(red.k1_nm_rad * j_eff),
                          fcred=red.coulomb_friction_nm, cvred=red.viscous_friction_nm_s_rad,
                          eta=1.0 - red.load_loss_fraction, jwg=red.input_inertia_kgm2,
                          jout=red.output_inertia_kgm2)
            j_tuned = (j0 + j1 / n ** 2, j1 + j0 * n ** 2)
        else:
            j0, j1 = jm
            j_eff = 1.0 / (1.0 / j0 + 1.0 / j1)
            kc = sim.coupling_stiffness_nm_rad or j_eff * (_AUTO_OMEGA_DT / dt) ** 2
            if math.sqrt(kc / j_eff) * dt > _MAX_OMEGA_DT:
                raise self._problem("coupling_stiffness_nm_rad", (
                    f"{kc:g} N·m/rad between {j0:g} and {j1:g} kg·m² is too stiff for step_s {dt:g}; "
                    f"at most {j_eff * (_MAX_OMEGA_DT / dt) ** 2:.4g}"))
            big = 1e300
            values = dict(k1=kc, k2=kc, k3=kc, t1=big, t2=big, phi1=big, phi2=big, bhalf=0.0, h=0.0, kh=0.0,
                          cs=2 * sim.coupling_damping_ratio * math.sqrt(kc * j_eff), fcred=0.0, cvred=0.0,
                          eta=1.0, jwg=0.0, jout=0.0)
            j_tuned = (j0 + j1, j0 + j1)
        self.coupling_stiffness_nm_rad = values["k1"]
        self.hysteresis_stiffness_nm_rad = values["kh"]
        p[core.P_DT] = dt
        p[core.P_N] = n
        for key, slot in (("k1", core.P_K1), ("k2", core.P_K2), ("k3", core.P_K3), ("t1", core.P_T1),
                          ("t2", core.P_T2), ("phi1", core.P_PHI1), ("phi2", core.P_PHI2),
                          ("bhalf", core.P_BHALF), ("h", core.P_H), ("kh", core.P_KH), ("cs", core.P_CS),
                          ("fcred", core.P_FCRED), ("cvred", core.P_CVRED), ("eta", core.P_ETA),
                          ("jwg", core.P_JWG), ("jout", core.P_JOUT)):
            p[slot] = values[key]
        th = sim.thermal
        p[core.P_AMB] = th.ambient_c
        p[core.P_RTHRED] = th.reducer_thermal_resistance_k_w
        p[core.P_TAURED] = th.reducer_thermal_time_constant_s
        flanges = (sim.torque_in, sim.torque_out)
        for k, motor_cfg in enumerate((sim.drive_motor, sim.load_motor)):
            q = k * core.AXP
            loops = motor_cfg.loops
            jb = (j0, j1)[k]
            jt = loops.tuned_inertia_kgm2 or j_tuned[k]
            wv = 2 * math.pi * loops.velocity_bandwidth_hz
            kp = min(jt * wv, 0.3 * jb / dt)
            wv_eff = kp / jt
            p[q + core.P_MODE] = core.MODE_DISABLED
            p[q + core.P_TLIM] = motor_cfg.torque_limit_nm
            p[q + core.P_J] = jb
            p[q + core.P_JM] = jm[k]
            p[q + core.P_KT] = motor_cfg.torque_constant_nm_a
            p[q + core.P_FC] = motor_cfg.coulomb_friction_nm
            p[q + core.P_CV] = motor_cfg.viscous_friction_nm_s_rad
            p[q + core.P_COG_A] = motor_cfg.cogging_amplitude_nm
            p[q + core.P_COG_N] = cogging_order(motor_cfg)
            p[q + core.P_COG_PH] = motor_cfg.cogging_phase_rad
            p[q + core.P_KP] = kp
            p[q + core.P_KI] = kp * loops.velocity_integral_ratio * wv_eff
            p[q + core.P_KPP] = min(2 * math.pi * loops.position_bandwidth_hz, wv_eff / 4)
            p[q + core.P_VMAX] = motor_cfg.max_speed_rad_s
            p[q + core.P_ACUR] = 1.0 - math.exp(-dt * 2 * math.pi * loops.current_bandwidth_hz)
            p[q + core.P_R] = motor_cfg.winding_resistance_ohm
            p[q + core.P_IRON] = motor_cfg.iron_loss_w_per_rad_s
            p[q + core.P_RTH] = motor_cfg.thermal_resistance_k_w
            p[q + core.P_TAU] = motor_cfg.thermal_time_constant_s
            p[q + core.P_TMAX] = motor_cfg.max_winding_temperature_c
            p[q + core.P_IOC] = motor_cfg.overcurrent_a or 1.1 * motor_cfg.torque_limit_nm / motor_cfg.torque_constant_nm_a
            p[q + core.P_TOC] = motor_cfg.overcurrent_time_s
            p[q + core.P_FE] = motor_cfg.following_error_limit_rad
            p[q + core.P_PP] = motor_cfg.pole_pairs
            p[q + core.P_RATED] = motor_cfg.rated_torque_nm
            p[q + core.P_AFLT] = 1.0 - math.exp(-dt * 2 * math.pi * flanges[k].bandwidth_hz)

    def loop_gains(self, axis: str) -> dict[str, float]:
        """The gains the plant's drive uses on ``axis`` (Kp N·m·s/rad, Ki N·m/rad, Kpp 1/s)."""
        q = {"in": 0, "load": 1}[axis] * core.AXP
        return {"kp": float(self._p[q + core.P_KP]), "ki": float(self._p[q + core.P_KI]),
                "kpp": float(self._p[q + core.P_KPP])}

    # ---- stepping ----------------------------------------------------------------------------------
    @property
    def t_s(self) -> float:
        """Simulated seconds since start (whole internal steps)."""
        return self._s[core.S_STEPS] * self.dt_s

    def step(self, dt_s: float) -> None:
        """Advance ``dt_s`` simulated seconds in fixed internal steps (remainders carry over)."""
        dt_s = float(dt_s)
        if not (dt_s >= 0 and math.isfinite(dt_s)):
            raise PlantError(f"plant: step dt_s must be finite and >= 0, got {dt_s!r}")
        with self.lock:
            self._t_request_s += dt_s
            n = int(math.floor(self._t_request_s / self.dt_s + 1e-6) - self._s[core.S_STEPS])
            if n > 0:
                core.advance(self._s, self._p, self._te, self._rip[0], self._rip[1], n)
                for k in (0, 1):
                    if self._s[k * core.AX + core.S_FAULT] != core.FAULT_NONE:
                        self._p[k * core.AXP + core.P_MODE] = core.MODE_DISABLED

    # ---- true state ----------------------------------------------------------------------------------
    @property
    def input_angle_rad(self) -> float:
        return float(self._s[core.S_TH])

    @property
    def output_angle_rad(self) -> float:
        return float(self._s[core.AX + core.S_TH])

    @property
    def input_speed_rad_s(self) -> float:
        return float(self._s[core.S_OM])

    @property
    def output_speed_rad_s(self) -> float:
        return float(self._s[core.AX + core.S_OM])

    @property
    def output_torque_nm(self) -> float:
        """Torque transmitted by the reducer's output (+ twists the output +)."""
        return float(self._s[core.S_SPRING])

    @property
    def twist_rad(self) -> float:
        """δ = θ_out − θ_in/N − e(θ_in/N): the elastic part of the TE (incl. backlash)."""
        return float(self._s[core.S_TWIST])

    @property
    def reducer_temperature_c(self) -> float:
        return float(self._s[core.S_TRED])

    def transmission_error_rad(self) -> float:
        """Kinematic TE (the configured harmonics) at the current nominal output angle θ_in/N."""
        if not self.is_reducer:
            return 0.0
        return reducer.transmission_error_rad(self.sim.reducer, self.input_angle_rad / self.ratio)

    # ---- true values for tests and sequences -------------------------------------------------------
    def static_twist_rad(self, torque_nm: float) -> float:
        """Three-slope twist f⁻¹(T) of the configured reducer (no backlash, no hysteresis)."""
        return reducer.static_twist_rad(self.sim.reducer, torque_nm)

    def expected_zero_torque_width_rad(self) -> float:
        return reducer.expected_zero_torque_width_rad(self.sim.reducer)

    def expected_lost_motion_rad(self, window_nm: float) -> float:
        return reducer.expected_lost_motion_rad(self.sim.reducer, window_nm)

    def true_efficiency(self, output_torque_nm: float, input_speed_rad_s: float, driving: bool = True) -> float:
        """Steady-state reducer efficiency the plant realises (see :func:`reducer.true_efficiency`)."""
        return reducer.true_efficiency(self.sim.reducer, self.ratio, output_torque_nm, input_speed_rad_s,
                                       driving)

    def true_motor_efficiency(self, axis: str, shaft_torque_nm: float, speed_rad_s: float) -> float:
        """Steady-state efficiency of axis ``"in"`` or ``"load"`` (see :func:`motor.true_motor_efficiency`)."""
        cfg = {"in": self.sim.drive_motor, "load": self.sim.load_motor}.get(axis)
        if cfg is None:
            raise PlantError(f"plant: unknown axis {axis!r}; axes are: in, load")
        return motor.true_motor_efficiency(cfg, shaft_torque_nm, speed_rad_s)

    def __repr__(self) -> str:
        return f"Plant({self.unit.kind}, N={self.ratio:g}, t_s={self.t_s:.6g})"
