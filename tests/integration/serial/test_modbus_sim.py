"""Modbus RTU drivers (pymodbus client) against the simulated slaves and against a pymodbus server."""

from __future__ import annotations

import asyncio
import math
import threading
import time

import numpy as np
import pytest
from serial_waits import wait_for

from bench.drivers.modbus_temperature import ModbusTemperatureModule
from bench.drivers.modbus_torque import ModbusTorqueAmplifier
from bench.drivers.serial_line import SerialLine
from bench.errors import (
    ConfigError,
    DeviceFault,
    DeviceTimeoutError,
    ProtocolError,
    TransportError,
)
from bench.streams import SampleFlag
from hil_mocks.serial.modbus_rtu import SimulatedModbusTorque, TemperatureModuleUnit

TORQUE_SETTINGS = {"speed_register": 2, "status_register": 8, "tare_register": 0x100,
                   "identify_register": 0x200}


@pytest.fixture(params=["pty", "tcp"])
def bus(request, plant):
    """One RS-485 line: torque amplifier at address 1, temperature module at address 2."""
    sim = SimulatedModbusTorque(plant, plant.lock, endpoint=request.param, name="rs485", address=1)
    sim.add_unit(2, TemperatureModuleUnit())
    sim.start()
    line = SerialLine.open(sim.port, baudrate=115200)
    blocks = []
    torque = ModbusTorqueAmplifier(line, name="torque_out", address=1, settings=TORQUE_SETTINGS,
                                   timeouts={"request_s": 0.2}, publish=blocks.append)
    temperature = ModbusTemperatureModule(line, name="temperature", address=2,
                                          timeouts={"request_s": 0.2}, publish=blocks.append)
    yield sim, line, torque, temperature, blocks
    torque.close()
    temperature.close()
    line.close()
    sim.stop()


def test_identify_and_read_si_values(bus, plant):
    sim, line, torque, temperature, _ = bus
    assert torque.connect() == 0x5441
    assert torque.read_torque_nm() == pytest.approx(-12.5)
    plant.output_speed_rad_s = 1500 * 2 * math.pi / 60
    assert torque.read_speed_rad_s() == pytest.approx(plant.output_speed_rad_s, rel=1e-6)
    plant.sensors.temperature.open.add("drive_motor")
    values = temperature.read_temperatures_c()
    assert values["ambient"] == pytest.approx(22.5)
    assert values["reducer"] == pytest.approx(31.2)
    assert values["load_motor"] == pytest.approx(-5.3)
    assert math.isnan(values["drive_motor"])


def test_little_endian_word_order_from_the_settings(plant):
    with SimulatedModbusTorque(plant, plant.lock, endpoint="pty", address=7, word_order="little") as sim, \
            SerialLine.open(sim.port) as line:
        little = ModbusTorqueAmplifier(line, name="t", address=7, settings={"word_order": "little"})
        big = ModbusTorqueAmplifier(line, name="t_wrong", address=7, settings={"word_order": "big"})
        assert little.read_torque_nm() == pytest.approx(-12.5)
        assert big.read_torque_nm() != pytest.approx(-12.5)


def test_scaled_integer_register_from_the_settings(bus):
    sim, line, torque, _, _ = bus
    milli = ModbusTorqueAmplifier(line, name="t_int", address=1, settings={
        "torque_register": 4, "data_type": "int32", "torque_scale": 1e-3, "torque_offset_nm": 0.5})
    assert milli.read_torque_nm() == pytest.approx(-12.5 + 0.5)  # int32 mN·m · 0.001 + offset


def test_tare_writes_a_register(bus, plant):
    sim, line, torque, _, _ = bus
    torque.tare(True)
    assert sim.unit.writes == [(0x100, 1)]
    assert torque.read_torque_nm() == pytest.approx(0.0)


def test_exception_response_is_a_device_fault_not_retried(bus):
    sim, line, torque, _, _ = bus
    with pytest.raises(DeviceFault) as info:
        torque.link.read_registers("input", 0x3000, 1)
    assert info.value.code == 2 and "torque_out" in str(info.value)
    assert torque.stats.retries == 0


@pytest.mark.parametrize("bus", ["pty"], indirect=True)  # one endpoint is enough here (test time)
@pytest.mark.parametrize("fault, error", [
    ("garbage", ProtocolError), ("truncate", ProtocolError), ("corrupt", ProtocolError),
    ("drop", DeviceTimeoutError),
])
def test_each_fault_is_retried_counted_and_recovered(bus, fault, error):
    sim, line, torque, _, _ = bus
    sim.faults.inject(**{fault: 1})
    assert torque.read_torque_nm() == pytest.approx(-12.5)
    assert torque.stats.retries >= 1  # (more only if the loaded machine made an answer late)
    assert any(isinstance(e, error) for e in torque.stats.recent_errors)
    sim.faults.inject(**{fault: 3})
    with pytest.raises(error) as info:
        torque.read_torque_nm()
    text = str(info.value)
    assert "torque_out" in text
    if error is ProtocolError:
        assert info.value.raw
    else:
        assert "input register" in text and "address 1" in text
    assert torque.read_torque_nm() == pytest.approx(-12.5)


@pytest.mark.parametrize("bus", ["pty"], indirect=True)  # one endpoint is enough here (test time)
def test_slow_answer(bus):
    sim, line, torque, _, _ = bus
    sim.faults.inject(delay_s=0.05)  # slow but within the timeout
    assert torque.read_torque_nm() == pytest.approx(-12.5)
    sim.faults.inject(delay_s=0.7)  # later than all attempts (3 x 0.2 s)
    with pytest.raises(DeviceTimeoutError):
        torque.read_torque_nm()
    sim.faults.inject(delay_s=0.0)
    time.sleep(0.65)
    assert torque.read_torque_nm() == pytest.approx(-12.5)


def test_line_closed_and_reopened(bus):
    sim, line, torque, _, _ = bus
    torque.connect()
    sim.unplug(down_s=1.0 if line.port.startswith("socket:") else 0.3)  # > pyserial's 0.3 s close pause on socket://
    wait_for(lambda: sim.unplugs == 1, what="the simulator to close its end")
    with pytest.raises(TransportError):
        torque.read_torque_nm()
    deadline = time.monotonic() + 4.0
    while True:
        try:
            assert torque.read_torque_nm() == pytest.approx(-12.5)
            break
        except TransportError:
            assert time.monotonic() < deadline, "driver did not recover"
            time.sleep(0.05)
    assert line.stats.reopens >= 1


@pytest.mark.parametrize("bus", ["pty"], indirect=True)  # one endpoint is enough here (test time)
def test_two_devices_share_the_line_from_two_threads(bus):
    sim, line, torque, temperature, _ = bus
    results: dict[str, list] = {"t": [], "c": []}
    errors = []

    def worker(key, fn):
        try:
            for _ in range(30):
                results[key].append(fn())
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=("t", torque.read_torque_nm), name="serial-test-t"),
               threading.Thread(target=worker, args=("c", temperature.read_temperatures_c),
                                name="serial-test-c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert results["t"] == [pytest.approx(-12.5)] * 30
    assert all(r["reducer"] == pytest.approx(31.2) for r in results["c"])
    assert torque.stats.retries == temperature.stats.retries == 0


@pytest.mark.parametrize("bus", ["pty"], indirect=True)  # one endpoint is enough here (test time)
def test_polled_streams_publish_flagged_samples(bus, plant):
    sim, line, torque, temperature, blocks = bus
    plant.sensors.temperature.open.add("reducer")
    torque.start_streaming(100.0)
    temperature.start_streaming(20.0)
    wait_for(lambda: sim.requests >= 10, what="polls")
    plant.sensors.torque_out.disconnect()
    seen = sim.requests
    wait_for(lambda: sim.requests >= seen + 6, what="polls with the flange disconnected")
    torque.stop_streaming()
    temperature.stop_streaming()
    by_channel: dict[str, list] = {}
    for block in blocks:
        by_channel.setdefault(block.channel, []).append(block)
    assert set(by_channel) == {"torque_out.torque_nm", "torque_out.speed_rad_s", "temperature.ambient_c",
                               "temperature.reducer_c", "temperature.drive_motor_c", "temperature.load_motor_c"}
    reducer = by_channel["temperature.reducer_c"]
    assert all(np.isnan(b.values).all() and (b.flags == SampleFlag.SENSOR_OPEN).all() for b in reducer)
    values = np.concatenate([b.values for b in by_channel["torque_out.torque_nm"]])
    flags = np.concatenate([b.flags if b.flags is not None else np.zeros(len(b), np.uint8)
                            for b in by_channel["torque_out.torque_nm"]])
    assert np.isnan(values).any() and np.all(flags[np.isnan(values)] == SampleFlag.SENSOR_OPEN)
    assert np.allclose(values[~np.isnan(values)], -12.5)


def test_configuration_errors(plant):
    with SimulatedModbusTorque(plant, plant.lock, endpoint="pty") as sim, SerialLine.open(sim.port) as line:
        with pytest.raises(ConfigError, match="address"):
            ModbusTorqueAmplifier(line, name="t", address=None)
        with pytest.raises(ConfigError, match="word_oder"):
            ModbusTorqueAmplifier(line, name="t", address=1, settings={"word_oder": "big"})
        with pytest.raises(ConfigError, match="request"):
            ModbusTemperatureModule(line, name="c", address=2, timeouts={"reqest_s": 1.0})


# -- a peer that is not our simulator --------------------------------------------------------------
class PymodbusPeer:
    """pymodbus's own server (RTU framing over loopback TCP) in a thread, stopped by the test."""

    def __init__(self, address: int, input_registers: list[int]):
        from pymodbus import FramerType
        from pymodbus.datastore import (
            ModbusDeviceContext,
            ModbusSequentialDataBlock,
            ModbusServerContext,
        )
        from pymodbus.server import ModbusTcpServer

        # pymodbus data blocks count from 1: block address 1 is protocol address 0
        device = ModbusDeviceContext(ir=ModbusSequentialDataBlock(1, input_registers),
                                     hr=ModbusSequentialDataBlock(1, [0] * 16))
        self._context = ModbusServerContext(devices={address: device}, single=False)
        self._server_cls, self._framer = ModbusTcpServer, FramerType.RTU
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="pymodbus-peer")
        self.port = ""

    async def _main(self):
        self._server = self._server_cls(self._context, framer=self._framer, address=("127.0.0.1", 0))
        self._loop = asyncio.get_running_loop()
        await self._server.serve_forever(background=True)
        self.port = f"socket://127.0.0.1:{self._server.transport.sockets[0].getsockname()[1]}"
        self._ready.set()
        await self._server.serving

    def __enter__(self):
        self._thread.start()
        assert self._ready.wait(5.0), "pymodbus server did not start"
        return self

    def __exit__(self, *exc):
        asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(5.0)
        self._thread.join(5.0)


def test_driver_works_against_a_pymodbus_server():
    # torque -12.5 N·m as float32 big-endian words (0xC148 0x0000), speed 600 rpm (0x4416 0x0000)
    with PymodbusPeer(9, [0xC148, 0x0000, 0x4416, 0x0000, 0, 0, 0, 0, 0]) as peer, \
            SerialLine.open(peer.port) as line:
        torque = ModbusTorqueAmplifier(line, name="torque_in", address=9, settings={"speed_register": 2})
        assert torque.read_torque_nm() == -12.5
        assert torque.read_speed_rad_s() == pytest.approx(600 * 2 * math.pi / 60)
        temperature = ModbusTemperatureModule(line, name="t", address=9, settings={"channels": {"x": 7}})
        assert temperature.read_temperatures_c() == {"x": 0.0}
        with pytest.raises(DeviceFault, match="nobody.*address 3"):  # the peer answers with an exception
            ModbusTorqueAmplifier(line, name="nobody", address=3, settings={"retries": 0},
                                  timeouts={"request_s": 0.1}).read_torque_nm()
        assert torque.read_torque_nm() == -12.5
