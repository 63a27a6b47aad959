"""Parameters of the simulated bench: the ``[sim]`` table of a rig file.

Only a simulated bench has this table. The plant (``hil_mocks.plant``) is built from it, and every
simulated instrument reads its values from that one plant. All values SI (°C for temperatures).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Harmonic:
    """One harmonic ``amplitude · sin(order · θ + phase)``; ``order`` in cycles per revolution."""

    order: float = field(metadata={"gt": 0})
    amplitude: float = field(metadata={"ge": 0})  # rad for angle errors, N·m for torques
    phase_rad: float = 0.0


@dataclass(frozen=True)
class ServoLoopConfig:
    """The cascaded loops a servo drive runs (current → velocity → position), as bandwidths."""

    current_bandwidth_hz: float = field(default=2000.0, metadata={"gt": 0})
    velocity_bandwidth_hz: float = field(default=100.0, metadata={"gt": 0})
    position_bandwidth_hz: float = field(default=20.0, metadata={"gt": 0})
    velocity_integral_ratio: float = field(default=0.25, metadata={"ge": 0})  # Ki/Kp as a fraction of ωc
    # inertia the drive was tuned for; 0: the whole train as the motor sees it (own body + the other
    # side reflected through the ratio). The plant caps the gains so the loop stays stable if the
    # train decouples (backlash), see hil_mocks.plant.axis.
    tuned_inertia_kgm2: float = field(default=0.0, metadata={"ge": 0})


@dataclass(frozen=True)
class MotorConfig:
    """A PM servo motor with its drive's loops."""

    inertia_kgm2: float = field(default=1.0e-4, metadata={"gt": 0})
    torque_constant_nm_a: float = field(default=0.5, metadata={"gt": 0})  # Kt, N·m/A_rms
    rated_torque_nm: float = field(default=2.0, metadata={"gt": 0})
    torque_limit_nm: float = field(default=6.0, metadata={"gt": 0})
    max_speed_rad_s: float = field(default=630.0, metadata={"gt": 0})
    coulomb_friction_nm: float = field(default=0.01, metadata={"ge": 0})
    viscous_friction_nm_s_rad: float = field(default=1.0e-5, metadata={"ge": 0})
    pole_pairs: int = field(default=5, metadata={"ge": 1})
    slots: int = field(default=12, metadata={"ge": 1})
    cogging_amplitude_nm: float = field(default=0.0, metadata={"ge": 0})  # at order LCM(slots, 2·pole_pairs)
    cogging_phase_rad: float = 0.0
    # torque ripple: orders per ELECTRICAL revolution (× pole_pairs per mechanical revolution);
    # amplitude in N·m at rated torque, scaled in proportion to the torque produced
    ripple: list[Harmonic] = field(default_factory=list)
    winding_resistance_ohm: float = field(default=1.0, metadata={"gt": 0})  # phase, for copper losses
    iron_loss_w_per_rad_s: float = field(default=0.002, metadata={"ge": 0})  # speed-proportional losses
    thermal_resistance_k_w: float = field(default=1.5, metadata={"gt": 0})
    thermal_time_constant_s: float = field(default=600.0, metadata={"gt": 0})
    max_winding_temperature_c: float = 140.0
    # overcurrent fault: demanded current above this (A rms) for longer than overcurrent_time_s;
    # 0: 1.1 × torque_limit_nm / Kt
    overcurrent_a: float = field(default=0.0, metadata={"ge": 0})
    overcurrent_time_s: float = field(default=0.02, metadata={"ge": 0})
    following_error_limit_rad: float = field(default=float("inf"), metadata={"gt": 0})  # position mode
    loops: ServoLoopConfig = field(default_factory=ServoLoopConfig)


@dataclass(frozen=True)
class ReducerConfig:
    """A precision reducer: three-slope stiffness, backlash, hysteresis, friction, TE harmonics.

    The ratio comes from ``[unit].ratio``. Stiffness K1 on 0…T1, K2 on T1…T2, K3 above T2 (DOMAIN.md
    §1.1). ``backlash_rad`` is the free play (total); ``hysteresis_nm`` is the friction torque of the
    flexible elements that keeps the loop open (the loop width at zero torque is backlash + twice the
    twist that this torque holds). TE harmonics are in orders per output revolution. The model and
    the true values a measurement must find are in :mod:`hil_mocks.plant.reducer`.
    """

    k1_nm_rad: float = field(default=2.5e4, metadata={"gt": 0})
    k2_nm_rad: float = field(default=3.4e4, metadata={"gt": 0})
    k3_nm_rad: float = field(default=4.4e4, metadata={"gt": 0})
    t1_nm: float = field(default=14.0, metadata={"gt": 0})
    t2_nm: float = field(default=48.0, metadata={"gt": 0})
    backlash_rad: float = field(default=0.0, metadata={"ge": 0})
    hysteresis_nm: float = field(default=0.0, metadata={"ge": 0})
    coulomb_friction_nm: float = field(default=0.05, metadata={"ge": 0})  # referred to the input
    viscous_friction_nm_s_rad: float = field(default=1.0e-4, metadata={"ge": 0})  # referred to the input
    load_loss_fraction: float = field(default=0.15, metadata={"ge": 0, "lt": 1})  # mesh loss ∝ |torque|
    input_inertia_kgm2: float = field(default=4.13e-5, metadata={"ge": 0})  # wave generator
    output_inertia_kgm2: float = field(default=1.0e-3, metadata={"ge": 0})
    transmission_error: list[Harmonic] = field(default_factory=list)
    twist_damping_ratio: float = field(default=0.1, metadata={"ge": 0, "lt": 1})  # structural damping
    # pre-slip stiffness of the hysteresis friction element; 0: 10·K1, capped for a stable step
    hysteresis_stiffness_nm_rad: float = field(default=0.0, metadata={"ge": 0})

    def check(self):
        if self.t2_nm <= self.t1_nm:
            yield "t2_nm", f"T2 ({self.t2_nm:g}) must be above T1 ({self.t1_nm:g})"


@dataclass(frozen=True)
class TorqueSensorConfig:
    range_nm: float = field(default=100.0, metadata={"gt": 0})
    accuracy_class: float = field(default=0.05, metadata={"ge": 0})  # % of range, as noise (1σ = class/2)
    bandwidth_hz: float = field(default=1000.0, metadata={"gt": 0})
    bits: int = field(default=24, metadata={"ge": 8, "le": 32})


@dataclass(frozen=True)
class EncoderConfig:
    bits: int = field(default=29, metadata={"ge": 8, "le": 32})  # counts per revolution = 2**bits
    sde_amplitude_rad: float = field(default=0.0, metadata={"ge": 0})  # sub-division error
    sde_order: float = field(default=0.0, metadata={"ge": 0})  # SDE period: lines per revolution
    noise_rad: float = field(default=0.0, metadata={"ge": 0})  # 1σ


@dataclass(frozen=True)
class ThermalConfig:
    ambient_c: float = 22.0
    reducer_thermal_resistance_k_w: float = field(default=2.0, metadata={"gt": 0})
    reducer_thermal_time_constant_s: float = field(default=900.0, metadata={"gt": 0})
    sensor_noise_c: float = field(default=0.02, metadata={"ge": 0})


@dataclass(frozen=True)
class SimConfig:
    seed: int = 1
    step_s: float = field(default=100e-6, metadata={"gt": 0, "le": 200e-6})  # fixed internal step
    realtime: bool = True  # pace the plant to the wall clock (off for fast offline tests)
    drive_motor: MotorConfig = field(default_factory=MotorConfig)
    load_motor: MotorConfig = field(default_factory=MotorConfig)
    reducer: ReducerConfig = field(default_factory=ReducerConfig)
    torque_in: TorqueSensorConfig = field(default_factory=lambda: TorqueSensorConfig(range_nm=5.0))
    torque_out: TorqueSensorConfig = field(default_factory=TorqueSensorConfig)
    encoder_in: EncoderConfig = field(default_factory=lambda: EncoderConfig(bits=23))
    encoder_out: EncoderConfig = field(default_factory=EncoderConfig)
    thermal: ThermalConfig = field(default_factory=ThermalConfig)
    # motor bench only: torsional stiffness of the coupling + flange between the two motors;
    # 0: as stiff as the fixed step allows (see hil_mocks.plant.plant)
    coupling_stiffness_nm_rad: float = field(default=0.0, metadata={"ge": 0})
    coupling_damping_ratio: float = field(default=0.1, metadata={"ge": 0, "lt": 1})
