"""Sensors of the plant: flange noise/range/resolution, encoder counts, temperature, sensor faults."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from plant_helpers import reducer_plant

from bench.simconfig import EncoderConfig, TorqueSensorConfig
from hil_mocks.plant import Plant, PlantError, SensorDisconnected


def _plant(**sim_changes) -> Plant:
    base = reducer_plant()
    return Plant(dataclasses.replace(base.sim, **sim_changes), base.unit)


def _hold_output_torque(plant: Plant, torque_nm: float) -> None:
    plant.axes["in"].brake_engaged = True
    load = plant.axes["load"]
    load.mode = "torque"
    load.torque_target_nm = torque_nm
    plant.step(0.3)


def test_flange_noise_follows_the_accuracy_class():
    # class 0.1 on 100 N·m: 1σ = 0.1 % · 100 / 2 = 0.05 N·m
    plant = _plant(torque_out=TorqueSensorConfig(range_nm=100.0, accuracy_class=0.1, bits=24))
    _hold_output_torque(plant, 10.0)
    flange = plant.sensors.torque_out
    reads = np.array([flange.read() for _ in range(4000)])
    assert reads.std() == pytest.approx(0.05, rel=0.06)
    assert reads.mean() == pytest.approx(flange.true_torque_nm, abs=0.005)


def test_flange_quantisation_and_range():
    # 8 bits over ±100 N·m: resolution 100/2**7 = 0.78125 N·m; no noise
    plant = _plant(torque_out=TorqueSensorConfig(range_nm=100.0, accuracy_class=0.0, bits=8))
    _hold_output_torque(plant, 10.0)
    flange = plant.sensors.torque_out
    assert flange.read() == 13 * 0.78125  # 10.0 rounds to 12.8 steps → 13
    assert not flange.over_range
    plant = _plant(torque_out=TorqueSensorConfig(range_nm=20.0, accuracy_class=0.0))
    _hold_output_torque(plant, 30.0)
    assert plant.sensors.torque_out.read() == 20.0
    assert plant.sensors.torque_out.over_range


def test_flange_is_band_limited():
    # first-order flange of 100 Hz: a 100 Hz torque comes through at 1/√2 of its amplitude
    plant = _plant(torque_out=TorqueSensorConfig(range_nm=100.0, accuracy_class=0.0, bandwidth_hz=100.0))
    plant.axes["in"].brake_engaged = True
    load = plant.axes["load"]
    load.mode = "torque"
    t, true, filtered = [], [], []
    for i in range(2000):  # 0.2 s in single steps; keep the last 10 periods
        load.torque_target_nm = 10.0 * math.sin(2 * math.pi * 100 * i * plant.dt_s)
        plant.step(plant.dt_s)
        if i >= 1000:
            t.append(plant.t_s)
            true.append(plant.sensors.torque_out.true_torque_nm)
            filtered.append(plant.sensors.torque_out.filtered_torque_nm)
    w_t = 2 * math.pi * 100 * np.array(t)

    def amplitude(x):
        x = np.asarray(x)
        return math.hypot(2 * np.mean(x * np.sin(w_t)), 2 * np.mean(x * np.cos(w_t)))

    assert amplitude(filtered) / amplitude(true) == pytest.approx(1 / math.sqrt(2), rel=0.02)


def test_sensor_faults_disconnect_and_stick():
    plant = _plant()
    _hold_output_torque(plant, 5.0)
    flange = plant.sensors.torque_out
    flange.disconnect()
    assert math.isnan(flange.read()) and not flange.connected
    flange.reconnect()
    flange.stick()
    frozen = flange.read()
    plant.axes["load"].torque_target_nm = 20.0
    plant.step(0.2)
    assert flange.read() == frozen
    flange.unstick()
    assert flange.read() == pytest.approx(20.0, abs=0.2)


def test_encoder_counts_wrap_as_uint32_and_rad_does_not():
    # 31 bits per revolution: the 32-bit count wraps after two output revolutions
    plant = _plant(encoder_out=EncoderConfig(bits=31))
    drive = plant.axes["in"]
    drive.mode = "velocity"
    drive.velocity_target_rad_s = 150.0  # output 3 rad/s
    enc = plant.sensors.encoder_out
    assert enc.counts_per_rev == 2 ** 31
    plant.step(5.0)
    angle = enc.true_angle_rad
    assert angle > 4 * math.pi  # beyond two turns
    counts = math.floor(angle / (2 * math.pi) * 2 ** 31)
    assert enc.read_counts() == counts % 2 ** 32
    assert enc.read_rad() == pytest.approx(angle, abs=2 * math.pi / 2 ** 31)


def test_encoder_glitch_lasts_its_duration_and_disconnect_raises():
    plant = _plant()
    enc = plant.sensors.encoder_in
    before = enc.read_counts()
    enc.glitch(1000, 0.005)
    assert enc.read_counts() == before + 1000
    plant.step(0.006)
    assert enc.read_counts() == before
    enc.disconnect()
    with pytest.raises(SensorDisconnected, match="encoder_in"):
        enc.read_counts()
    enc.reconnect()
    enc.stick()
    plant.axes["in"].mode = "velocity"
    plant.axes["in"].velocity_target_rad_s = 10.0
    plant.step(0.1)
    assert enc.read_counts() == before
    enc.unstick()
    assert enc.read_counts() != before


def test_encoder_sub_division_error():
    # SDE 2e-6 rad at 4096 lines: reading − truth = 2e-6·sin(4096·θ) to within one count
    plant = _plant(encoder_out=EncoderConfig(bits=32, sde_amplitude_rad=2e-6, sde_order=4096))
    drive = plant.axes["in"]
    drive.mode = "velocity"
    drive.velocity_target_rad_s = 5.0
    enc = plant.sensors.encoder_out
    for _ in range(50):
        plant.step(0.0013)
        theta = enc.true_angle_rad
        assert enc.read_rad() - theta == pytest.approx(2e-6 * math.sin(4096 * theta), abs=2 * math.pi / 2 ** 32)


def test_temperature_channels_and_faults():
    plant = _plant()
    temps = plant.sensors.temperature
    assert temps.channels == ("ambient", "reducer", "drive_motor", "load_motor")
    for channel in temps.channels:
        assert temps.read(channel) == pytest.approx(22.0, abs=0.2)  # ambient, noise 0.02 °C
    temps.disconnect("reducer")
    assert math.isnan(temps.read("reducer")) and not math.isnan(temps.read("ambient"))
    temps.reconnect("reducer")
    temps.stick("ambient")
    assert temps.read("ambient") == temps.read("ambient")
    with pytest.raises(PlantError, match="unknown channel"):
        temps.read("moon")


def test_encoder_noise_has_its_sigma():
    plant = _plant(encoder_out=EncoderConfig(bits=32, noise_rad=1e-6))
    enc = plant.sensors.encoder_out
    errors = np.array([enc.read_rad() - enc.true_angle_rad for _ in range(3000)])
    assert errors.std() == pytest.approx(1e-6, rel=0.06)


def test_reducer_temperature_settles_at_loss_times_thermal_resistance():
    from bench.simconfig import ThermalConfig
    plant = _plant(thermal=ThermalConfig(ambient_c=22.0, reducer_thermal_resistance_k_w=2.0,
                                         reducer_thermal_time_constant_s=0.5, sensor_noise_c=0.0))
    drive, load = plant.axes["in"], plant.axes["load"]
    drive.mode = "velocity"
    drive.velocity_target_rad_s = 100.0
    load.mode = "torque"
    load.torque_target_nm = -20.0
    plant.step(6.0)
    # loss at the input, by hand: (Fc 0.15 + 1e-4·100 + (1/0.85 − 1)·20/50) N·m × 100 rad/s = 23.06 W
    loss_w = (0.15 + 0.01 + (1 / 0.85 - 1) * 20 / 50) * 100
    assert plant.sensors.temperature.read("reducer") == pytest.approx(22.0 + 2.0 * loss_w, rel=5e-3)
