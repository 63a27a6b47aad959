"""Build a serial simulator for a rig-file device (the call :mod:`hil_mocks.simbench` makes).

Each factory takes ``(plant, plant_lock, *, endpoint, role, address, settings)``: the device's own
``settings`` table (the driver's keys) decides what the simulated instrument must match (torque
unit, word order, channel order); the role decides where in the plant it measures. Unknown or
driver-only keys are ignored here: the driver validates the table.
"""

from __future__ import annotations

from bench.errors import ConfigError
from hil_mocks.serial.dsp7000 import SimulatedDsp7000
from hil_mocks.serial.modbus_rtu import (
    ModbusUnit,
    SimulatedModbusTorque,
    SimulatedTemperatureModule,
    TemperatureModuleUnit,
    TorqueAmplifierUnit,
)
from hil_mocks.serial.scpi_power import SimulatedPowerAnalyzer

#: driver name in a rig file → (module, factory) for hil_mocks.simbench.SERIAL_SIMULATORS
SERIAL_SIMULATORS: dict[str, tuple[str, str]] = {
    "dsp7000": ("hil_mocks.serial.factories", "dsp7000"),
    "modbus_torque": ("hil_mocks.serial.factories", "modbus_torque"),
    "modbus_temperature": ("hil_mocks.serial.factories", "modbus_temperature"),
    "scpi_power": ("hil_mocks.serial.factories", "scpi_power"),
}


def _flange_of(role: str) -> tuple[str, str]:
    """(flange, axis/shaft side) measured by a device playing ``role``."""
    return ("torque_in", "in") if role in ("torque_in", "drive_in", "power") else ("torque_out", "load")


def dsp7000(plant, plant_lock, *, endpoint: str = "pty", role: str = "dyno", address=None, settings=None):
    settings = settings or {}
    flange, axis = _flange_of(role)
    return SimulatedDsp7000(plant, plant_lock, endpoint=endpoint, name=role, flange=flange, axis=axis,
                            torque_unit=settings.get("torque_unit", "N.m"))


def _torque_options(role: str, settings: dict) -> dict:
    flange, side = _flange_of(role)
    return {"flange": flange, "shaft": "input" if side == "in" else "output",
            "word_order": settings.get("word_order", "big")}


def _temperature_options(role: str, settings: dict) -> dict:
    channels = settings.get("channels") or {"ambient": 0, "reducer": 1, "drive_motor": 2, "load_motor": 3}
    ordered = tuple(name for name, _ in sorted(channels.items(), key=lambda kv: kv[1]))
    registers = sorted(channels.values())
    if registers != list(range(registers[0], registers[0] + len(registers))) or registers[0] != 0:
        raise ConfigError(f"devices.{role}.settings.channels: the simulated module holds its channels in "
                          f"registers 0..n-1, got {channels}")
    return {"channels": ordered, "open_code": settings.get("open_code", 0x7FFF)}


#: Modbus driver → (its simulated slave, options from role and settings, default address)
MODBUS_UNITS = {
    "modbus_torque": (TorqueAmplifierUnit, _torque_options, 1),
    "modbus_temperature": (TemperatureModuleUnit, _temperature_options, 2),
}


def modbus_unit(driver: str, role: str, address: int | None, settings: dict | None) -> tuple[int, ModbusUnit]:
    """``(address, slave)`` for one more Modbus device on a simulated RS-485 line that already exists."""
    unit_cls, options, default_address = MODBUS_UNITS[driver]
    return address or default_address, unit_cls(**options(role, settings or {}))


def modbus_torque(plant, plant_lock, *, endpoint: str = "pty", role: str = "torque_out", address=None,
                  settings=None):
    return SimulatedModbusTorque(plant, plant_lock, endpoint=endpoint, name=role, address=address or 1,
                                 **_torque_options(role, settings or {}))


def modbus_temperature(plant, plant_lock, *, endpoint: str = "pty", role: str = "temperature", address=None,
                       settings=None):
    return SimulatedTemperatureModule(plant, plant_lock, endpoint=endpoint, name=role, address=address or 2,
                                      **_temperature_options(role, settings or {}))


def scpi_power(plant, plant_lock, *, endpoint: str = "tcp", role: str = "power", address=None, settings=None):
    return SimulatedPowerAnalyzer(plant, plant_lock, endpoint=endpoint, name=role, axis="in", flange="torque_in")
