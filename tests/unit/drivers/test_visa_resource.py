"""VISA resource strings: which ports open through pyvisa, the rig-file check, and the errors of opening."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.config import VISA_DRIVERS, is_visa_resource, load_rig_config
from bench.drivers.visa_line import VisaLine
from bench.errors import ConfigError, TransportError

CONFIGS = Path(__file__).resolve().parents[3] / "configs"

# Resource strings from the VISA specification's address-string examples (VPP-4.3, "Address String
# Grammar"), from Yokogawa WT / NI-VISA manuals (USB-TMC, VXI-11 inst0, HiSLIP), and pyvisa-py's
# ASRL form with a device path. Case does not matter (VPP-4.3: "not case sensitive").
VISA = [
    "GPIB::1::0::INSTR",  # VPP-4.3: primary address 1, secondary 0 on board 0
    "GPIB0::12::INSTR",
    "GPIB0::12",  # INSTR is the default resource class
    "GPIB-VXI::9::INSTR",  # VPP-4.3: GPIB-VXI logical address 9
    "VXI0::1::INSTR",  # VPP-4.3
    "VXI::MEMACC",
    "GPIB2::INTFC",  # VPP-4.3: the GPIB interface of board 2
    "ASRL1::INSTR",  # VPP-4.3: serial port 1
    "ASRL/dev/ttyUSB0::INSTR",  # pyvisa-py: a device path as the board
    "TCPIP0::1.2.3.4::999::SOCKET",  # VPP-4.3: raw socket
    "TCPIP::devicename.company.com::INSTR",  # VPP-4.3: VXI-11 on the default LAN device
    "TCPIP0::10.0.0.5::inst0::INSTR",  # VXI-11 LAN device name
    "TCPIP0::10.0.0.5::hislip0::INSTR",  # HiSLIP (IVI-6.1)
    "TCPIP0::192.168.1.20::5025::SOCKET",  # SCPI raw socket, IANA port 5025
    "USB::0x1234::125::A22-5::INSTR",  # VPP-4.3: USB-TMC, manufacturer 0x1234, model 125, serial A22-5
    "USB0::0x0B21::0x0025::91M123456::INSTR",  # a Yokogawa (vendor 0x0B21) analyzer on USB-TMC
    "USB0::0x1234::0x5678::SN01::RAW",
    "PXI0::21::INSTR",
    "usb0::0x0b21::0x0025::91m123456::instr",
    "tcpip0::127.0.0.1::5025::socket",
]
NOT_VISA = [
    "/dev/ttyUSB0", "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0", "COM3", "socket://127.0.0.1:5025",
    "rfc2217://10.0.0.5:4001", "loop://", "sim:pty", "sim:tcp", "USB0", "GPIB0", "TCPIP", "",
    "/tmp/bench-pty-x/tty-wt",
]


@pytest.mark.parametrize("port", VISA)
def test_visa_resource_strings_are_recognised(port):
    assert is_visa_resource(port)


@pytest.mark.parametrize("port", NOT_VISA)
def test_serial_ports_and_urls_are_not_visa(port):
    assert not is_visa_resource(port)


HEAD = """\
[unit]
kind = "motor"
model = "PMSM"
rated_torque_nm = 1.3

[buses.meter]
kind = "serial"
port = "USB0::0x0B21::0x0025::91M123456::INSTR"
"""
POWER = """
[devices.power]
driver = "scpi_power"
bus = "meter"
"""
TEMPERATURE = """
[devices.temperature]
driver = "modbus_temperature"
bus = "meter"
address = 2
"""


def _write(tmp_path, text):
    path = tmp_path / "rig.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scpi_analyzer_on_a_visa_port_loads(tmp_path):
    rig = load_rig_config(_write(tmp_path, HEAD.replace('INSTR"\n', 'INSTR"\nvisa_backend = "@py"\n') + POWER))
    assert rig.buses["meter"].visa_backend == "@py"
    assert "scpi_power" in VISA_DRIVERS


def test_modbus_device_on_a_visa_port_is_a_config_error_with_key_and_line(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_rig_config(_write(tmp_path, HEAD + POWER + TEMPERATURE))
    (problem,) = info.value.problems
    assert problem.key_path == "buses.meter.port"
    assert problem.line == 8  # the port line of HEAD
    assert "temperature (modbus_temperature) must be on a serial port" in problem.message
    assert "power (scpi_power)" not in problem.message  # the SCPI analyzer may stay on it
    assert "rig.toml:8" in str(info.value)


def test_visa_backend_needs_a_visa_port(tmp_path):
    text = HEAD.replace('"USB0::0x0B21::0x0025::91M123456::INSTR"', '"/dev/ttyUSB0"\nvisa_backend = "@py"')
    with pytest.raises(ConfigError) as info:
        load_rig_config(_write(tmp_path, text + POWER))
    (problem,) = info.value.problems
    assert problem.key_path == "buses.meter.visa_backend" and problem.line == 9


def test_without_pyvisa_opening_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyvisa", None)  # as if not installed: import raises ImportError
    with pytest.raises(TransportError) as info:
        VisaLine.open("GPIB0::12::INSTR")
    assert "GPIB0::12::INSTR" in str(info.value) and "pip install -e '.[visa]'" in str(info.value)


def test_unknown_backend_names_resource_and_backend():
    with pytest.raises(TransportError) as info:
        VisaLine.open("TCPIP0::127.0.0.1::5025::SOCKET", backend="@nosuchbackend")
    text = str(info.value)
    assert "TCPIP0::127.0.0.1::5025::SOCKET" in text and "@nosuchbackend" in text


def test_bad_resource_name_names_it():
    pytest.importorskip("pyvisa")
    with pytest.raises(TransportError) as info:
        VisaLine.open("TCPIP0::127.0.0.1::5025::NOSUCHCLASS", backend="@py")
    assert "TCPIP0::127.0.0.1::5025::NOSUCHCLASS" in str(info.value) and "cannot open" in str(info.value)


def test_closed_line_refuses_io_and_close_is_idempotent():
    line = VisaLine("TCPIP0::127.0.0.1::5025::SOCKET")  # never opened: no I/O happens here
    line.close()
    line.close()
    assert not line.is_open
    with pytest.raises(TransportError, match="TCPIP0::127.0.0.1::5025::SOCKET: closed"):
        line.write(b"*IDN?\n")


def test_commented_visa_example_of_the_example_rig_loads(tmp_path):
    """The commented power-analyzer block of configs/example_rig.toml is a valid rig file section."""
    text = (CONFIGS / "example_rig.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# --- a power analyzer through VISA"))
    block = []
    for line in lines[start + 1:]:
        if not line.startswith("#"):
            break
        block.append(line[2:] if line.startswith("# ") else "")
    rig = load_rig_config(_write(tmp_path, HEAD.split("[buses.meter]")[0] + "\n".join(block) + "\n"))
    assert is_visa_resource(rig.buses["wt"].port) and rig.devices["power"].driver == "scpi_power"
