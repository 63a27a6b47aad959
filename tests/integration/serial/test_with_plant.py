"""Serial instruments backed by the real plant (configs/sim_reducer.toml): each measures its part of one world."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from bench.config import load_rig_config
from bench.drivers.dsp7000 import Dsp7000
from bench.drivers.modbus_temperature import ModbusTemperatureModule
from bench.drivers.modbus_torque import ModbusTorqueAmplifier
from bench.drivers.scpi_power import ScpiPowerAnalyzer
from bench.drivers.serial_line import SerialLine
from hil_mocks.serial import factories

plant_module = pytest.importorskip("hil_mocks.plant")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def world():
    plant = plant_module.Plant.from_rig(load_rig_config(ROOT / "configs" / "sim_reducer.toml"))
    sims = {
        "dyno": factories.dsp7000(plant, plant.lock, endpoint="pty", role="dyno", settings={}),
        "torque_in": factories.modbus_torque(plant, plant.lock, endpoint="pty", role="torque_in", address=4,
                                             settings={"word_order": "little"}),
        "temperature": factories.modbus_temperature(plant, plant.lock, endpoint="pty", role="temperature",
                                                    address=2, settings={}),
        "power": factories.scpi_power(plant, plant.lock, endpoint="tcp", role="power"),
    }
    lines = {}
    try:
        for role, sim in sims.items():
            sim.start()
            lines[role] = SerialLine.open(sim.port)
        drivers = {
            "dyno": Dsp7000(lines["dyno"], name="dyno"),
            "torque_in": ModbusTorqueAmplifier(lines["torque_in"], name="torque_in", address=4,
                                               settings={"word_order": "little", "speed_register": 2}),
            "temperature": ModbusTemperatureModule(lines["temperature"], name="temperature", address=2),
            "power": ScpiPowerAnalyzer(lines["power"], name="power", settings={"items": {
                "p_total_w": "P,SIGMA", "u1_v": "URMS,1", "speed_rad_s": "SPEED", "torque_nm": "TORQUE",
                "p_mech_w": "PM"}}),
        }
        for driver in drivers.values():
            driver.connect()
        yield plant, sims, drivers
    finally:
        for line in lines.values():
            line.close()
        for sim in sims.values():
            sim.stop()


def test_each_instrument_measures_the_plant(world):
    plant, sims, drivers = world
    with plant.lock:
        plant.axes["in"].mode = "velocity"
        plant.axes["in"].velocity_target_rad_s = 100.0
        plant.axes["load"].mode = "torque"
        plant.axes["load"].torque_target_nm = -8.0
        plant.step(1.0)
    out, flange_in = plant.sensors.torque_out, plant.sensors.torque_in
    speed, torque = drivers["dyno"].read()
    assert torque == pytest.approx(out.true_torque_nm, abs=6 * out.noise_nm + 0.005)  # 2 decimals in OD
    assert speed == pytest.approx(plant.output_speed_rad_s, abs=0.5 * 2 * math.pi / 60)  # whole rpm in OD
    assert drivers["torque_in"].read_torque_nm() == pytest.approx(flange_in.true_torque_nm,
                                                                  abs=6 * flange_in.noise_nm + 1e-5)
    assert drivers["torque_in"].read_speed_rad_s() == pytest.approx(plant.input_speed_rad_s, rel=1e-5)
    temperatures = drivers["temperature"].read_temperatures_c()
    sensors = plant.sensors.temperature
    for channel in sensors.channels:
        assert temperatures[channel] == pytest.approx(sensors.true_temperature_c(channel),
                                                      abs=6 * sensors.noise_c + 0.05)
    power = drivers["power"].read_power()
    axis = plant.axes["in"]
    assert power["p_total_w"] == pytest.approx(axis.electrical_power_w, rel=1e-4)  # mech. power + losses
    assert power["speed_rad_s"] == pytest.approx(axis.speed_rad_s, rel=1e-4)
    assert power["p_mech_w"] == pytest.approx(power["speed_rad_s"] * power["torque_nm"], rel=1e-4)
    assert abs(power["p_total_w"]) > abs(power["p_mech_w"]) * 0.5  # a real operating point, not zeros


def test_open_sensor_in_the_plant_reads_nan(world):
    plant, sims, drivers = world
    with plant.lock:
        plant.sensors.temperature.disconnect("reducer")
    values = drivers["temperature"].read_temperatures_c()
    assert math.isnan(values["reducer"]) and not math.isnan(values["ambient"])


def test_streaming_while_the_plant_runs(world):
    plant, sims, drivers = world
    blocks = []
    dyno = drivers["dyno"]
    dyno.publish = blocks.append
    with plant.lock:
        plant.axes["load"].mode = "torque"
        plant.axes["load"].torque_target_nm = 5.0
        plant.axes["in"].brake_engaged = True
    with plant_module.PlantRunner(plant, realtime=True):
        dyno.start_streaming(200.0)
        time.sleep(0.4)
        dyno.stop_streaming()
    torque = np.concatenate([b.values for b in blocks if b.channel == "dyno.torque_nm"])
    assert len(torque) > 40
    assert torque[-1] == pytest.approx(plant.sensors.torque_out.true_torque_nm, abs=0.2)


def test_describe_gives_identity_for_the_run_record(world):
    plant, sims, drivers = world
    assert drivers["dyno"].describe()["manufacturer"] == "MAGTROL"
    assert drivers["power"].describe()["model"] == "WT1806"
    assert drivers["torque_in"].describe() == {"address": "4"}  # connect() read the torque, no code register
