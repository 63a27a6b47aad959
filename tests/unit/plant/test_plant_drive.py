"""The servo axes: loops, limits, faults, thermal and electrical model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from plant_helpers import motor_plant, reducer_plant

from hil_mocks.plant import PlantError


def test_velocity_mode_tracks_its_target():
    plant = reducer_plant()
    drive = plant.axes["in"]
    drive.mode = "velocity"
    drive.velocity_target_rad_s = 100.0
    plant.step(0.5)
    assert drive.speed_rad_s == pytest.approx(100.0, rel=1e-4)
    assert plant.output_speed_rad_s == pytest.approx(2.0, rel=2e-3)  # N = 50


@pytest.mark.parametrize("axis, target_rad", [("in", 3.0), ("load", 0.2)])
def test_position_mode_holds_its_target(axis, target_rad):
    plant = reducer_plant()
    ax = plant.axes[axis]
    ax.mode = "position"
    ax.position_target_rad = target_rad
    plant.step(6.0)
    assert ax.angle_rad == pytest.approx(target_rad, abs=1e-4)
    assert abs(ax.speed_rad_s) < 1e-3


def test_current_loop_is_first_order_with_its_bandwidth():
    plant = reducer_plant()
    drive = plant.axes["in"]
    drive.brake_engaged = True
    drive.mode = "torque"
    drive.torque_target_nm = 1.0
    tau_s = 1 / (2 * math.pi * 2000.0)  # current_bandwidth_hz default 2 kHz
    for n in range(1, 6):
        plant.step(plant.dt_s)
        assert drive.torque_nm == pytest.approx(1 - math.exp(-n * plant.dt_s / tau_s), rel=1e-9)


def test_torque_limit_clips_every_mode():
    plant = reducer_plant()
    drive = plant.axes["in"]
    drive.brake_engaged = True
    drive.mode = "velocity"
    drive.velocity_target_rad_s = 300.0
    plant.step(0.01)
    assert drive.torque_nm == pytest.approx(3.8, rel=1e-6)  # sim.drive_motor.torque_limit_nm
    assert drive.angle_rad == 0.0 and drive.speed_rad_s == 0.0  # the brake holds
    drive.torque_limit_nm = 2.0
    plant.step(0.01)
    assert drive.torque_nm == pytest.approx(2.0, rel=1e-6)
    with pytest.raises(PlantError, match="torque_limit_nm"):
        drive.torque_limit_nm = -1.0


def test_overcurrent_trips_after_its_time_and_disables_the_axis():
    plant = reducer_plant()
    drive = plant.axes["in"]
    drive.brake_engaged = True
    drive.torque_limit_nm = 10.0  # above the config: 10/0.45 = 22 A > 1.1·3.8/0.45 = 9.3 A
    drive.mode = "torque"
    drive.torque_target_nm = 10.0
    plant.step(0.015)
    assert drive.fault is None  # overcurrent_time_s is 0.02
    plant.step(0.010)
    assert drive.fault == "overcurrent"
    assert drive.mode == "disabled" and drive.torque_nm == 0.0
    with pytest.raises(PlantError, match="faulted"):
        drive.mode = "torque"
    drive.clear_fault()
    assert drive.fault is None
    drive.torque_target_nm = 1.0
    drive.mode = "torque"
    plant.step(0.05)
    assert drive.fault is None and drive.torque_nm == pytest.approx(1.0, rel=1e-6)


def test_winding_temperature_is_first_order_and_overtemperature_trips():
    # R = 1 Ω, R_th = 2 K/W, τ = 1 s; 1.35 N·m / 0.45 N·m/A = 3 A → P = 3·3²·1 = 27 W, ΔT∞ = 54 K
    plant = motor_plant(thermal_time_constant_s=1.0, thermal_resistance_k_w=2.0, winding_resistance_ohm=1.0,
                        max_winding_temperature_c=60.0, iron_loss_w_per_rad_s=0.0)
    drive = plant.axes["in"]
    drive.brake_engaged = True
    drive.mode = "torque"
    drive.torque_target_nm = 1.35
    ambient = plant.sim.thermal.ambient_c
    plant.step(1.0)
    assert drive.current_a == pytest.approx(3.0, rel=1e-9)
    assert drive.winding_temperature_c - ambient == pytest.approx(54 * (1 - math.exp(-1)), rel=5e-3)
    assert drive.fault is None
    # 60 °C is 38 K above ambient: reached at t = −τ·ln(1 − 38/54) = 1.217 s
    plant.step(0.15)
    assert drive.fault is None
    plant.step(0.1)
    assert drive.fault == "overtemperature" and drive.mode == "disabled"


def test_following_error_trips_in_position_mode():
    plant = motor_plant(following_error_limit_rad=0.01)
    drive = plant.axes["in"]
    drive.mode = "position"
    drive.position_target_rad = 0.005
    plant.step(0.1)
    assert drive.fault is None
    drive.position_target_rad = 1.0
    plant.step(0.001)
    assert drive.fault == "following_error"


def test_injected_faults_and_bad_commands():
    plant = reducer_plant()
    drive = plant.axes["in"]
    drive.mode = "velocity"
    drive.velocity_target_rad_s = 50.0
    plant.step(0.2)
    drive.inject_fault("overtemperature")
    assert drive.fault == "overtemperature" and drive.mode == "disabled"
    plant.step(0.01)
    assert drive.torque_nm == 0.0
    with pytest.raises(PlantError, match="unknown fault"):
        drive.inject_fault("fire")
    with pytest.raises(PlantError, match="unknown mode"):
        drive.mode = "turbo"
    with pytest.raises(PlantError, match="finite"):
        drive.velocity_target_rad_s = float("nan")
    with pytest.raises(PlantError, match="dt_s"):
        plant.step(-1.0)


def test_electrical_power_balances_shaft_power_and_losses_g9():
    # DOMAIN.md G9: 3000 min⁻¹ × T → Pm = 2π·n·T/60. The motor under test produces 1 N·m while the
    # load motor holds 3000 min⁻¹; electrical input = shaft power at the flange + friction + copper + iron.
    plant = motor_plant()
    dut, load = plant.axes["in"], plant.axes["load"]
    speed = 3000 * 2 * math.pi / 60
    load.mode = "velocity"
    load.velocity_target_rad_s = speed
    dut.mode = "torque"
    dut.torque_target_nm = 1.0
    plant.step(1.0)
    flange, p_el = [], []
    for _ in range(200):
        plant.step(0.001)
        flange.append(plant.sensors.torque_in.true_torque_nm)
        p_el.append(dut.electrical_power_w)
    m = plant.sim.drive_motor
    shaft_w = 2 * math.pi * 3000 * np.mean(flange) / 60
    friction_w = (m.coulomb_friction_nm + m.viscous_friction_nm_s_rad * speed) * speed
    copper_w = 3 * (1.0 / m.torque_constant_nm_a) ** 2 * m.winding_resistance_ohm
    iron_w = m.iron_loss_w_per_rad_s * speed
    assert np.mean(flange) == pytest.approx(1.0 - m.coulomb_friction_nm - m.viscous_friction_nm_s_rad * speed,
                                            rel=2e-3)
    assert np.mean(p_el) == pytest.approx(shaft_w + friction_w + copper_w + iron_w, rel=2e-3)


def test_open_circuit_voltage_gives_ke_g10():
    # DOMAIN.md G10: Kt = 1.654 N·m/A_rms ↔ Ke = 100 V_LL,rms per 1000 min⁻¹. The motor under test,
    # unpowered, is turned at 1000 min⁻¹ by the load motor; its phase voltage is the back-EMF.
    plant = motor_plant(torque_constant_nm_a=1.654)
    load = plant.axes["load"]
    load.mode = "velocity"
    load.velocity_target_rad_s = 1000 * 2 * math.pi / 60
    plant.step(1.0)
    dut = plant.axes["in"]
    assert dut.current_a == 0.0
    assert math.sqrt(3) * dut.voltage_v == pytest.approx(100.0, rel=2e-3)


def test_torque_ripple_at_electrical_orders():
    # sim_motor.toml: ripple order 6 (electrical) 0.01 N·m at rated torque 1.3 N·m; 5 pole pairs → 30
    # periods per mechanical revolution; amplitude in proportion to the torque produced
    for torque_nm in (1.3, 0.65):
        plant = motor_plant(cogging_amplitude_nm=0.0)
        dut, load = plant.axes["in"], plant.axes["load"]
        load.mode = "velocity"
        load.velocity_target_rad_s = 0.5
        dut.mode = "torque"
        dut.torque_target_nm = torque_nm
        plant.step(0.3)
        angle, torque = [], []
        start = plant.input_angle_rad
        span = 2 * math.pi / 15  # two ripple periods of order 30
        while not angle or angle[-1] - start < span * 1.01:
            plant.step(0.0005)
            angle.append(plant.input_angle_rad)
            torque.append(plant.sensors.torque_in.true_torque_nm)
        grid = start + np.arange(2048) * span / 2048
        t_grid = np.interp(grid, angle, torque)
        c = 2 * np.mean((t_grid - t_grid.mean()) * np.cos(30 * grid))
        s = 2 * np.mean((t_grid - t_grid.mean()) * np.sin(30 * grid))
        assert math.hypot(c, s) == pytest.approx(0.01 * torque_nm / 1.3, rel=0.03), torque_nm


def test_motor_efficiency_on_the_bench_equals_the_true_value():
    # motoring at 300 rad/s with 1 N·m demanded; η = shaft power / electrical power, by hand from
    # sim_motor.toml defaults: Fc 0.01, c 1e-5, R 1 Ω, Kt 0.45, iron 0.002 W·s/rad
    plant = motor_plant()
    dut, load = plant.axes["in"], plant.axes["load"]
    load.mode = "velocity"
    load.velocity_target_rad_s = 300.0
    dut.mode = "torque"
    dut.torque_target_nm = 1.0
    plant.step(1.0)
    shaft, p_el = [], []
    for _ in range(200):
        plant.step(0.001)
        shaft.append(plant.sensors.torque_in.true_torque_nm * plant.input_speed_rad_s)
        p_el.append(dut.electrical_power_w)
    measured = np.mean(shaft) / np.mean(p_el)
    t_shaft = 1.0 - 0.01 - 1e-5 * 300
    by_hand = t_shaft * 300 / (1.0 * 300 + 3 * (1 / 0.45) ** 2 + 0.002 * 300)
    assert plant.true_motor_efficiency("in", t_shaft, 300.0) == pytest.approx(by_hand, rel=1e-12)
    assert measured == pytest.approx(by_hand, rel=2e-3)


def test_switch_from_torque_to_position_is_bumpless():
    # the drive holds a loaded input in torque mode, then takes over in position mode: the torque it
    # produces must not drop to zero and the shaft must not move noticeably
    plant = reducer_plant()
    drive, load = plant.axes["in"], plant.axes["load"]
    load.mode = "torque"
    load.torque_target_nm = 20.0  # back-drives the input unless the drive holds it
    drive.mode = "position"
    drive.position_target_rad = 0.0
    plant.step(1.0)
    held = drive.torque_nm
    assert abs(held) > 0.3  # ≈ η·20/50 minus friction
    drive.mode = "torque"
    drive.torque_target_nm = held
    plant.step(0.05)
    angle = drive.angle_rad
    drive.mode = "position"
    drive.position_target_rad = angle
    plant.step(0.002)
    assert drive.torque_nm == pytest.approx(held, rel=0.05)
    plant.step(0.5)
    assert abs(drive.angle_rad - angle) < 1e-3
