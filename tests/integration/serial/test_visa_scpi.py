"""The SCPI power-analyzer driver through pyvisa (pyvisa-py) on the simulated WT analyzer's loopback port.

The simulator listens on ``socket://127.0.0.1:N``; the driver reaches it as the VISA raw-socket resource
``TCPIP0::127.0.0.1::N::SOCKET``, as it would reach a real analyzer on its SCPI port 5025.
"""

from __future__ import annotations

import math
import socket
import time

import numpy as np
import pytest

pytest.importorskip("pyvisa")
pytest.importorskip("pyvisa_py")

from scpi_scene import ITEMS, assert_power_of_the_default_motor, set_motor
from serial_waits import wait_for

from bench.drivers.scpi_power import ScpiPowerAnalyzer
from bench.drivers.visa_line import VisaLine
from bench.errors import DeviceTimeoutError, TransportError
from hil_mocks.serial.scpi_power import SimulatedPowerAnalyzer


def _resource(sim) -> str:
    return f"TCPIP0::127.0.0.1::{sim.port.rsplit(':', 1)[1]}::SOCKET"


@pytest.fixture
def sim(plant):
    sim = SimulatedPowerAnalyzer(plant, plant.lock, endpoint="tcp", name="wt").start()
    yield sim
    sim.stop()


@pytest.fixture
def analyzer(sim):
    line = VisaLine.open(_resource(sim), backend="@py")
    blocks = []
    driver = ScpiPowerAnalyzer(line, name="power", settings={"items": ITEMS}, timeouts={"request_s": 0.2},
                               publish=blocks.append)
    yield line, driver, blocks
    driver.close()
    line.close()


def test_reads_through_pyvisa_equal_the_plant(sim, analyzer, plant):
    line, driver, _ = analyzer
    set_motor(plant)
    identity = driver.connect()
    assert (identity.manufacturer, identity.model) == ("YOKOGAWA", "WT1806")
    assert sim.items[-3:] == [("SPEED", None), ("TORQUE", None), ("PM", None)]  # the item setup went through
    assert_power_of_the_default_motor(driver.read_power())
    assert line.stats.opens == 1 and line.stats.bytes_in > 0 and driver.stats.retries == 0


def test_streaming_over_visa(sim, analyzer, plant):
    _line, driver, blocks = analyzer
    set_motor(plant, speed_rad_s=200.0, torque_nm=0.5)
    driver.connect()
    seen = sim.requests
    driver.start_streaming(50.0)
    wait_for(lambda: sim.requests >= seen + 5, what="polls")
    driver.stop_streaming()
    torque = np.concatenate([b.values for b in blocks if b.channel == "power.torque_nm"])
    assert len(torque) >= 4 and np.allclose(torque, 0.5, rtol=1e-5)
    assert driver.stats.missed_polls == 0


def test_no_answer_is_a_timeout_naming_device_and_request_then_recovery(sim, analyzer, plant):
    line, driver, _ = analyzer
    set_motor(plant)
    driver.connect()
    sim.faults.inject(drop=1)
    assert driver.read_power()["torque_nm"] == pytest.approx(1.25)  # the retry got it
    assert driver.stats.retries == 1 and driver.stats.timeouts == 1
    sim.faults.inject(drop=3)  # 1 + 2 retries, all unanswered
    with pytest.raises(DeviceTimeoutError) as info:
        driver.read_power()
    assert "power" in str(info.value) and ":NUMERIC:NORMAL:VALUE?" in str(info.value)
    assert driver.stats.timeouts == 4
    set_motor(plant, torque_nm=2.0)
    assert driver.read_power()["torque_nm"] == pytest.approx(2.0)  # recovered, same session
    assert line.stats.reopens == 0


def test_late_answer_is_drained_not_taken_for_the_next(sim, plant):
    with VisaLine.open(_resource(sim), backend="@py") as line:
        driver = ScpiPowerAnalyzer(line, name="power", settings={"items": ITEMS, "retries": 0},
                                   timeouts={"request_s": 0.2})
        set_motor(plant, torque_nm=1.25)
        driver.connect()
        answers = sim.answers
        sim.faults.inject(delay_s=0.4)
        with pytest.raises(DeviceTimeoutError):
            driver.read_power()
        sim.faults.inject(delay_s=0.0)
        wait_for(lambda: sim.answers > answers, what="the late answer")
        set_motor(plant, torque_nm=-3.0)
        assert driver.read_power()["torque_nm"] == pytest.approx(-3.0)  # not the stale 1.25
        assert line.stats.discarded_bytes > 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nobody listens there once the probe is closed


def test_refused_port_is_a_transport_error_naming_the_resource():
    resource = f"TCPIP0::127.0.0.1::{_free_port()}::SOCKET"
    # pyvisa-py connects without waiting for the answer: the refusal shows at open or at the first write
    with pytest.raises(TransportError) as info, VisaLine.open(resource, backend="@py") as line:
        line.write(b"*IDN?\n")
    assert resource in str(info.value) and "refused" in str(info.value).lower()
    line = VisaLine(resource, backend="@py")
    driver = ScpiPowerAnalyzer(line, name="power", settings={"retries": 1})
    with pytest.raises(TransportError) as info:
        driver.connect()
    assert "power" in str(info.value) and "*IDN?" in str(info.value) and resource in str(info.value)
    assert driver.stats.transport_errors == 2
    line.close()


def test_line_lost_and_reopened(sim, analyzer, plant):
    line, driver, _ = analyzer
    set_motor(plant)
    driver.connect()
    sim.unplug(down_s=0.3)
    wait_for(lambda: sim.unplugs == 1, what="the simulator to close its end")
    deadline = time.monotonic() + 5.0
    failures = 0
    while True:
        try:
            value = driver.read_power()["torque_nm"]
            if failures:
                break
        except (TransportError, DeviceTimeoutError):
            failures += 1
        assert time.monotonic() < deadline, "driver did not recover"
        time.sleep(0.02)
    assert value == pytest.approx(1.25) and line.stats.reopens >= 1


def test_rig_opens_a_visa_port_for_the_analyzer(sim, plant, tmp_path):
    rig_module = pytest.importorskip("bench.rig")
    set_motor(plant, torque_nm=0.75)
    rig_file = tmp_path / "visa_rig.toml"
    rig_file.write_text(f"""
[unit]
kind = "motor"
model = "PMSM"
rated_torque_nm = 1.3

[buses.lan_power]
kind = "serial"
port = "{_resource(sim).lower()}"
visa_backend = "@py"

[devices.power]
driver = "scpi_power"
bus = "lan_power"
settings = {{ rate_hz = 20.0, items = {{ p_total_w = "P,SIGMA", torque_nm = "TORQUE" }} }}
""", encoding="utf-8")
    with rig_module.Rig.from_config(rig_file) as rig:
        assert isinstance(rig.buses["lan_power"], VisaLine)
        wait_for(lambda: len(rig.rings["power.torque_nm"]) >= 3, what="streamed samples")
        assert rig.latest("power.torque_nm") == pytest.approx(0.75)
        assert math.isfinite(rig.latest("power.p_total_w")) and rig.errors == []
