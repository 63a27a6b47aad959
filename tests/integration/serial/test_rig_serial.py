"""The serial instruments in a whole simulated rig: built by role from a rig file, streaming into the hub."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
rig_module = pytest.importorskip("bench.rig")

SERIAL_DEVICES = """
[buses.rs485_torque]
kind = "serial"
port = "sim:pty"

[buses.rs485_temperature]
kind = "serial"
port = "sim:pty"

[buses.lan_power]
kind = "serial"
port = "sim:tcp"

[devices.torque_out]
driver = "modbus_torque"
bus = "rs485_torque"
address = 1
settings = { word_order = "little", rate_hz = 50.0, tare_register = 256 }

[devices.temperature]
driver = "modbus_temperature"
bus = "rs485_temperature"
address = 2
settings = { rate_hz = 10.0 }

[devices.power]
driver = "scpi_power"
bus = "lan_power"
settings = { rate_hz = 20.0, items = { p_total_w = "P,SIGMA", speed_rad_s = "SPEED", torque_nm = "TORQUE", p_mech_w = "PM" } }
"""


RIG_HEAD = """
name = "serial instruments on a simulated motor bench"

[unit]
kind = "motor"
model = "simulated PMSM"
ratio = 1
rated_torque_nm = 1.3
"""


def test_motor_bench_with_serial_instruments(tmp_path):
    rig_file = tmp_path / "motor_serial.toml"
    rig_file.write_text(RIG_HEAD + SERIAL_DEVICES + "\n[sim]\nseed = 3\n", encoding="utf-8")
    with rig_module.Rig.from_config(rig_file) as rig:
        deadline = time.monotonic() + 3.0
        wanted = ["torque_out.torque_nm", "temperature.ambient_c", "power.p_total_w", "power.p_mech_w"]
        while time.monotonic() < deadline:
            if all(len(rig.rings[name]) >= 3 for name in wanted):
                break
            time.sleep(0.05)
        for name in wanted:
            assert len(rig.rings[name]) >= 3, f"{name}: no samples"
        assert 10.0 < rig.latest("temperature.ambient_c") < 40.0
        assert math.isfinite(rig.latest("power.p_total_w"))
        assert rig.errors == []
        rig.device("torque_out").tare(True)  # a command while the reader polls the same line
        assert rig.device("torque_out").stats.retries == 0
