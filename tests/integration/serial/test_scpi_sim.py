"""The SCPI power-analyzer driver against the simulated WT analyzer (TCP and pty), with faults."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from scpi_scene import ITEMS, assert_power_of_the_default_motor, set_motor
from serial_waits import wait_for

from bench.drivers.scpi_power import ScpiPowerAnalyzer
from bench.drivers.serial_line import SerialLine
from bench.errors import (
    ConfigError,
    DeviceFault,
    DeviceTimeoutError,
    ProtocolError,
    TransportError,
)
from bench.streams import SampleFlag
from hil_mocks.serial.scpi_power import SimulatedPowerAnalyzer


@pytest.fixture(params=["tcp", "pty"])
def analyzer(request, plant):
    sim = SimulatedPowerAnalyzer(plant, plant.lock, endpoint=request.param, name="wt").start()
    line = SerialLine.open(sim.port)
    blocks = []
    driver = ScpiPowerAnalyzer(line, name="power", settings={"items": ITEMS}, timeouts={"request_s": 0.2},
                               publish=blocks.append)
    yield sim, line, driver, blocks
    driver.close()
    line.close()
    sim.stop()


def test_connect_selects_items_and_reads_si(analyzer, plant):
    sim, line, driver, _ = analyzer
    set_motor(plant)
    identity = driver.connect()
    assert identity.manufacturer == "YOKOGAWA"
    assert sim.items == [("URMS", "1"), ("IRMS", "1"), ("P", "1"), ("P", "SIGMA"), ("LAMBDA", "1"),
                         ("SPEED", None), ("TORQUE", None), ("PM", None)]
    power = driver.read_power()
    assert_power_of_the_default_motor(power)
    assert power["torque_nm"] == pytest.approx(1.25, rel=1e-5)


@pytest.mark.parametrize("analyzer", ["tcp"], indirect=True)  # one endpoint is enough here (test time)
def test_nan_and_inf_become_flagged_nan_samples(analyzer, plant):
    sim, line, driver, blocks = analyzer
    set_motor(plant)
    driver.connect()
    plant.axes["in"].current_a = 0.0  # no apparent power: the power factor has no value → NAN
    values, statuses = driver.read_numeric()
    assert math.isnan(values[4]) and statuses[4].name == "NO_DATA"
    assert values[0] == pytest.approx(120.0, rel=1e-5)
    set_motor(plant, voltage_v=700.0)  # beyond the 600 V range → INF
    power = driver.read_power()
    assert math.isnan(power["u1_v"]) and math.isnan(power["p1_w"])
    driver.start_streaming(50.0)
    seen = sim.requests
    wait_for(lambda: sim.requests >= seen + 3, what="polls")
    driver.stop_streaming()
    by_channel = {}
    for block in blocks:
        by_channel.setdefault(block.channel, []).append(block)
    u = by_channel["power.u1_v"]
    assert all(np.isnan(b.values).all() and (b.flags == SampleFlag.OVER_RANGE).all() for b in u)
    speed = np.concatenate([b.values for b in by_channel["power.speed_rad_s"]])
    assert np.allclose(speed, 300.0, rtol=1e-5)  # the other items are unaffected
    sim.force["TORQUE"] = "NAN"
    values, statuses = driver.read_numeric()
    assert math.isnan(values[6]) and statuses[6].name == "NO_DATA"


def test_refused_item_is_a_device_fault_from_the_error_queue(analyzer):
    sim, line, driver, _ = analyzer
    driver.connect()
    driver._io.send(b":NUMERIC:NORMAL:ITEM1 URMS,7\n")  # element 7 does not exist on this analyzer
    with pytest.raises(DeviceFault) as info:
        driver.check_errors()
    assert info.value.code == -224 and "power" in str(info.value)


@pytest.mark.parametrize("analyzer", ["tcp"], indirect=True)  # one endpoint is enough here (test time)
@pytest.mark.parametrize("fault, error", [
    ("garbage", ProtocolError), ("truncate", ProtocolError), ("corrupt", ProtocolError),
    ("drop", DeviceTimeoutError),
])
def test_each_fault_is_retried_counted_and_recovered(analyzer, plant, fault, error):
    sim, line, driver, _ = analyzer
    set_motor(plant)
    driver.connect()
    sim.faults.inject(**{fault: 1})
    assert driver.read_power()["torque_nm"] == pytest.approx(1.25)
    assert driver.stats.retries >= 1 and any(isinstance(e, error) for e in driver.stats.recent_errors)
    sim.faults.inject(**{fault: 3})
    with pytest.raises(error) as info:
        driver.read_power()
    assert "power" in str(info.value)
    if error is DeviceTimeoutError:
        assert ":NUMERIC:NORMAL:VALUE?" in str(info.value)
    assert driver.read_power()["torque_nm"] == pytest.approx(1.25)


def test_line_closed_and_reopened(analyzer, plant):
    sim, line, driver, _ = analyzer
    driver.connect()
    sim.unplug(down_s=1.0 if line.port.startswith("socket:") else 0.3)  # > pyserial's 0.3 s close pause on socket://
    wait_for(lambda: sim.unplugs == 1, what="the simulator to close its end")
    with pytest.raises(TransportError):
        driver.read_power()
    deadline = time.monotonic() + 4.0
    while True:
        try:
            driver.read_power()
            break
        except TransportError:
            assert time.monotonic() < deadline, "driver did not recover"
            time.sleep(0.05)


def test_item_names_carry_their_unit():
    with pytest.raises(ConfigError) as info:
        ScpiPowerAnalyzer(SerialLine("unused"), name="power",
                          settings={"items": {"p_total": "P,SIGMA", "u1_v": "URMS,9"}})
    text = str(info.value)
    assert "devices.power.settings.items.p_total" in text and "_w" in text
    assert "devices.power.settings.items.u1_v" in text  # every problem at once
