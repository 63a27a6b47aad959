"""Which driver class a rig file's ``driver = "..."`` names, and how the rig builds it.

Imports are lazy: a rig without serial devices never imports the serial drivers.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class DriverEntry:
    module: str
    cls: str
    bus_kind: str  # "can" or "serial"
    description: str

    def load(self) -> type:
        return getattr(importlib.import_module(self.module), self.cls)


DRIVERS: dict[str, DriverEntry] = {
    "cia402": DriverEntry("bench.drivers.cia402_drive", "Cia402Drive", "can", "CiA 402 servo drive"),
    "cia406": DriverEntry("bench.drivers.cia406_encoder", "Cia406Encoder", "can", "CiA 406 encoder"),
    "dsp7000": DriverEntry("bench.drivers.dsp7000", "Dsp7000", "serial",
                           "Magtrol DSP7000 dynamometer controller (ASCII)"),
    "modbus_torque": DriverEntry("bench.drivers.modbus_torque", "ModbusTorqueAmplifier", "serial",
                                 "Modbus RTU torque-transducer amplifier"),
    "modbus_temperature": DriverEntry("bench.drivers.modbus_temperature", "ModbusTemperatureModule", "serial",
                                      "Modbus RTU multi-channel temperature module"),
    "scpi_power": DriverEntry("bench.drivers.scpi_power", "ScpiPowerAnalyzer", "serial",
                              "SCPI power analyzer, Yokogawa WT style"),
}
