"""The DSP7000 driver against the simulated controller on a pty and on loopback TCP, with faults."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from serial_waits import wait_for

from bench.drivers.dsp7000 import Dsp7000
from bench.drivers.serial_line import SerialLine
from bench.errors import (
    ConfigError,
    DeviceFault,
    DeviceTimeoutError,
    ProtocolError,
    TransportError,
)
from bench.streams import SampleFlag
from hil_mocks.serial.dsp7000 import SimulatedDsp7000

RPM = 2 * math.pi / 60


@pytest.fixture(params=["pty", "tcp"])
def rig(request, plant):
    sim = SimulatedDsp7000(plant, plant.lock, endpoint=request.param, name="dyno").start()
    line = SerialLine.open(sim.port, baudrate=115200, timeout_s=0.5)
    blocks = []
    driver = Dsp7000(line, name="dyno", address=None, settings={"retries": 2},
                     timeouts={"request_s": 0.2}, publish=blocks.append)
    yield sim, line, driver, blocks
    driver.close()
    line.close()
    sim.stop()


def test_identify_and_read_in_si(rig, plant):
    sim, line, driver, _ = rig
    assert driver.connect().startswith("MAGTROL,DSP7001")
    plant.output_speed_rad_s = 1500 * RPM
    plant.sensors.torque_out.value = 12.34
    speed, torque = driver.read()
    assert speed == pytest.approx(1500 * RPM, abs=0.5 * RPM)  # OD carries whole rpm
    assert torque == pytest.approx(12.34, abs=0.005)
    plant.output_speed_rad_s = -30 * RPM  # counter-clockwise: L
    assert driver.read_speed_rad_s() == pytest.approx(-30 * RPM, abs=0.5 * RPM)


def test_torque_set_point_release_and_tare_reach_the_plant(rig, plant):
    sim, line, driver, _ = rig
    plant.output_speed_rad_s = 10.0
    driver.set_torque_nm(5.0)
    driver.read()  # the answer comes after the command was handled
    assert sim.set_point_display == pytest.approx(5.0)
    assert plant.axes["load"].mode == "torque"
    assert plant.axes["load"].torque_target_nm == pytest.approx(-5.0)  # a brake opposes the rotation
    driver.tare(True)
    assert driver.read_torque_nm() == pytest.approx(0.0, abs=0.005)
    driver.tare(False)
    driver.release()
    assert driver.read_torque_nm() == pytest.approx(-12.5, abs=0.005)
    assert plant.axes["load"].torque_target_nm == 0.0


def test_alarm_is_a_device_fault(rig, plant):
    sim, line, driver, _ = rig
    plant.axes["load"].fault = "overtemperature"
    with pytest.raises(DeviceFault, match="dyno"):
        driver.read()
    plant.axes["load"].fault = None
    driver.read()


@pytest.mark.parametrize("rig", ["pty"], indirect=True)  # one endpoint is enough here (test time)
@pytest.mark.parametrize("fault, error", [
    ("garbage", ProtocolError), ("truncate", ProtocolError), ("corrupt", ProtocolError),
    ("drop", DeviceTimeoutError),
])
def test_each_fault_is_retried_counted_and_recovered(rig, fault, error):
    sim, line, driver, _ = rig
    driver.connect()
    sim.faults.inject(**{fault: 1})
    speed, torque = driver.read()  # one bad answer, the retry succeeds
    assert torque == pytest.approx(-12.5, abs=0.005)
    assert driver.stats.retries >= 1  # (more only if the loaded machine made an answer late)
    assert any(isinstance(e, error) for e in driver.stats.recent_errors)
    sim.faults.inject(**{fault: 3})  # more bad answers than retries: the error reaches the caller
    with pytest.raises(error) as info:
        driver.read()
    assert "dyno" in str(info.value)
    if error is ProtocolError:
        assert info.value.raw  # the raw bytes are shown
    else:
        assert "OD1" in str(info.value)
    assert driver.read_torque_nm() == pytest.approx(-12.5, abs=0.005)  # recovered by itself


@pytest.mark.parametrize("rig", ["pty"], indirect=True)  # one endpoint is enough here (test time)
def test_slow_answer_times_out_and_the_late_answer_is_not_taken_for_the_next(rig, plant):
    sim, line, driver, _ = rig
    sim.faults.inject(delay_s=0.7)  # later than all three attempts (3 x 0.2 s)
    with pytest.raises(DeviceTimeoutError, match="OD1"):
        driver.read()
    sim.faults.inject(delay_s=0.0)
    time.sleep(0.65)  # the three late answers arrive now, before the next request
    plant.sensors.torque_out.value = 3.21
    assert driver.read_torque_nm() == pytest.approx(3.21, abs=0.005)
    assert driver.stats.timeouts >= 3


def test_line_closed_and_reopened(rig):
    sim, line, driver, _ = rig
    driver.connect()
    sim.unplug(down_s=1.0 if line.port.startswith("socket:") else 0.3)  # > pyserial's 0.3 s close pause on socket://
    wait_for(lambda: sim.unplugs == 1, what="the simulator to close its end")
    with pytest.raises(TransportError):
        driver.read()
    deadline = time.monotonic() + 3.0
    while True:  # the operator's next requests: it comes back by itself once the line is there
        try:
            driver.read()
            break
        except TransportError:
            assert time.monotonic() < deadline, "driver did not recover"
            time.sleep(0.05)
    assert line.stats.reopens >= 1
    assert driver.stats.transport_errors + driver.stats.timeouts >= 1


def test_missing_port_names_the_port(tmp_path):
    missing = str(tmp_path / "ttyNOPE")
    with pytest.raises(TransportError, match="ttyNOPE"):
        SerialLine.open(missing)


def test_unknown_setting_is_a_config_error(plant):
    with SimulatedDsp7000(plant, plant.lock, endpoint="pty") as sim, SerialLine.open(sim.port) as line:
        with pytest.raises(ConfigError, match="torque_units"):
            Dsp7000(line, name="dyno", settings={"torque_units": "N.m"})


def test_polled_stream_publishes_named_channels(rig, plant):
    sim, line, driver, blocks = rig
    driver.start_streaming(200.0)
    time.sleep(0.3)
    plant.axes["load"].fault = "overcurrent"
    seen = sim.requests
    wait_for(lambda: sim.requests >= seen + 3, what="polls in alarm")
    driver.stop_streaming()
    names = {b.channel for b in blocks}
    assert names == {"dyno.speed_rad_s", "dyno.torque_nm"}
    torque = [b for b in blocks if b.channel == "dyno.torque_nm"]
    values = np.concatenate([b.values for b in torque])
    t = np.concatenate([b.t_s for b in torque])
    assert len(values) == driver.stats.samples >= 30
    assert np.all(np.diff(t) > 0)
    flags = np.concatenate([b.flags if b.flags is not None else np.zeros(len(b)) for b in torque])
    alarm = np.isnan(values)
    assert alarm.any() and np.all(flags[alarm] == SampleFlag.NO_DATA)
    assert np.allclose(values[~alarm], -12.5, atol=0.005)


def test_continuous_stream_with_garbage_keeps_every_good_record(plant):
    with SimulatedDsp7000(plant, plant.lock, endpoint="pty", name="dyno") as sim, \
            SerialLine.open(sim.port) as line:
        blocks = []
        driver = Dsp7000(line, name="dyno", settings={"continuous": True}, publish=blocks.append)
        driver.start_streaming(500.0)
        time.sleep(0.2)
        sim.faults.inject(garbage=1)
        time.sleep(0.2)
        driver.stop_streaming()
        time.sleep(0.05)
        received = sum(len(b) for b in blocks if b.channel == "dyno.torque_nm")
        t = np.concatenate([b.t_s for b in blocks if b.channel == "dyno.torque_nm"])
        assert np.all(np.diff(t) > 0)
        assert sim.stream_rate_hz == 0.0  # the stop command reached the device
        assert driver.stats.bad_records == 1
        assert received + driver.stats.bad_records == sim.stream_sent
        assert received > 100


def test_continuous_stream_survives_the_line_closed_and_reopened(plant):
    with SimulatedDsp7000(plant, plant.lock, endpoint="pty", name="dyno") as sim, \
            SerialLine.open(sim.port) as line:
        blocks, reported = [], []
        driver = Dsp7000(line, name="dyno", settings={"continuous": True}, timeouts={"stream_s": 0.1},
                         publish=blocks.append)
        driver.set_error_callback(reported.append)
        driver.start_streaming(500.0)
        time.sleep(0.15)
        sim.unplug(down_s=0.3)
        time.sleep(0.1)
        before = sum(len(b) for b in blocks if b.channel == "dyno.torque_nm")
        deadline = time.monotonic() + 3.0
        while sim.stream_rate_hz == 0.0 or sim.stream_sent < 50:  # the driver restarts the stream itself
            assert time.monotonic() < deadline, "stream did not resume"
            time.sleep(0.02)
        time.sleep(0.1)
        driver.stop_streaming()
        after = sum(len(b) for b in blocks if b.channel == "dyno.torque_nm")
        assert before > 30 and after > before + 30
        assert len(reported) == 1 and isinstance(reported[0], TransportError)  # once per outage
        assert line.stats.reopens >= 1


@pytest.mark.parametrize("rig", ["pty"], indirect=True)  # one endpoint is enough here (test time)
def test_reader_thread_survives_an_unforeseen_error_and_reports_it(rig, monkeypatch):
    sim, line, driver, blocks = rig
    reported = []
    driver.set_error_callback(reported.append)
    calls = {"n": 0}
    real = driver._to_si

    def flaky(record):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ZeroDivisionError("a bug in a conversion")
        return real(record)

    monkeypatch.setattr(driver, "_to_si", flaky)
    driver.start_streaming(200.0)
    time.sleep(0.3)
    driver.stop_streaming()
    assert len(reported) == 1 and "ZeroDivisionError" in str(reported[0])
    assert sum(len(b) for b in blocks if b.channel == "dyno.torque_nm") > 20  # kept reading afterwards
