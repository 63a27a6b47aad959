"""A whole simulated bench: the plant, its runner, and one simulator per simulated device of a rig file.

The rig starts this before it opens its buses when the rig file has a ``[sim]`` table. CAN simulators
join the rig's python-can ``virtual`` channel; serial simulators create the pseudo-terminal or loopback
port that a ``sim:pty`` / ``sim:tcp`` bus stands for, and :meth:`SimulatedBench.serial_port` tells the rig
which path to open. Nothing here knows the drivers: the simulators speak the wire protocols only.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from bench.config import RigConfig
from bench.errors import ConfigError, ConfigProblem

log = logging.getLogger(__name__)

EDS_DIR = Path(__file__).resolve().parent / "canopen" / "eds"

# driver name in the rig file → (module, class, what the simulator reads from the plant, default EDS)
CAN_SIMULATORS = {
    "cia402": ("hil_mocks.canopen", "SimulatedCia402Drive", "bench_servo_drive.eds"),
    "cia406": ("hil_mocks.canopen", "SimulatedCia406Encoder", "bench_encoder.eds"),
}
SERIAL_SIMULATORS: dict[str, tuple[str, str]] = {  # factories: hil_mocks/serial/factories.py
    name: ("hil_mocks.serial.factories", name) for name in ("dsp7000", "modbus_torque", "modbus_temperature", "scpi_power")
}

AXIS_OF_ROLE = {"drive_in": "in", "drive_load": "load"}
ENCODER_OF_ROLE = {"encoder_in": "encoder_in", "encoder_out": "encoder_out"}


class SimulatedBench:
    """Plant + runner + simulators for every device of ``config`` marked ``simulated`` (the default)."""

    def __init__(self, config: RigConfig):
        if config.sim is None:
            raise ConfigError("a simulated bench needs a [sim] table", str(config.path) if config.path else None)
        self.config = config
        self.plant = None
        self.runner = None
        self.simulators: dict[str, object] = {}
        self._serial_ports: dict[str, str] = {}
        self._started = False

    # life cycle
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        from hil_mocks.plant import Plant, PlantRunner

        try:
            self.plant = Plant.from_rig(self.config)
            self.runner = PlantRunner(self.plant)
            self.runner.start()
            for role, device in self.config.devices.items():
                if device.simulated:
                    self.simulators[role] = self._start_simulator(role)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for sim in reversed(list({id(sim): sim for sim in self.simulators.values()}.values())):  # a shared line once
            try:
                sim.stop()
            except Exception:  # keep stopping the others, but say which one failed
                log.exception("simulator %s did not stop cleanly", getattr(sim, "name", type(sim).__name__))
        self.simulators.clear()
        if self.runner is not None:
            self.runner.stop()
            self.runner = None

    def __enter__(self) -> SimulatedBench:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # endpoints for the rig
    def serial_port(self, bus: str) -> str:
        """The path / URL a driver opens for a ``sim:pty`` or ``sim:tcp`` bus."""
        try:
            return self._serial_ports[bus]
        except KeyError:
            raise ConfigError(f"bus {bus!r}: no simulated device on it") from None

    def eds_path(self, role: str) -> Path | None:
        device = self.config.devices[role]
        entry = CAN_SIMULATORS.get(device.driver)
        return EDS_DIR / entry[2] if entry and not device.eds else None

    # building simulators
    def _share_line(self, role: str, device):
        """One more Modbus slave on a simulated RS-485 line that carries another already (distinct addresses)."""
        from hil_mocks.serial.factories import MODBUS_UNITS, modbus_unit
        from hil_mocks.serial.modbus_rtu import SimulatedModbusRtu

        line = next(sim for r, sim in self.simulators.items() if self.config.devices[r].bus == device.bus)
        if device.driver not in MODBUS_UNITS or not isinstance(line, SimulatedModbusRtu):
            raise self._problem(role, f"bus {device.bus!r} already carries a simulated device; only Modbus RTU "
                                      "devices share a simulated line (give this one its own bus)")
        line.add_unit(*modbus_unit(device.driver, role, device.address, device.settings))  # addresses: checked by the config
        return line

    def _problem(self, role: str, message: str) -> ConfigError:
        key = f"devices.{role}"
        line = self.config.source.line(key) if self.config.source else None
        file = str(self.config.path) if self.config.path else None
        return ConfigError([ConfigProblem(key, message, line, file)], file)

    def _start_simulator(self, role: str):
        device = self.config.devices[role]
        bus = self.config.buses[device.bus]
        plant = self.plant
        if device.driver in CAN_SIMULATORS:
            module, cls_name, default_eds = CAN_SIMULATORS[device.driver]
            cls = getattr(importlib.import_module(module), cls_name)
            eds = self.config.resolve(device.eds) if device.eds else EDS_DIR / default_eds
            if device.driver == "cia402":
                if role not in AXIS_OF_ROLE:
                    raise self._problem(role, f"a simulated CiA 402 drive must play drive_in or drive_load, not {role}")
                axis = plant.axes[AXIS_OF_ROLE[role]]
                motor = self.config.sim.drive_motor if role == "drive_in" else self.config.sim.load_motor
                sim = cls(bus.channel, device.node_id, axis, plant.lock, eds_path=eds,
                          rated_torque_nm=motor.rated_torque_nm)
            else:
                if role not in ENCODER_OF_ROLE:
                    raise self._problem(role, f"a simulated CiA 406 encoder must play encoder_in or encoder_out, not {role}")
                encoder = getattr(plant.sensors, ENCODER_OF_ROLE[role])
                sim = cls(bus.channel, device.node_id, encoder, plant.lock, eds_path=eds)
        elif device.driver in SERIAL_SIMULATORS:
            module, cls_name = SERIAL_SIMULATORS[device.driver]
            cls = getattr(importlib.import_module(module), cls_name)
            endpoint = {"sim:pty": "pty", "sim:tcp": "tcp"}.get(bus.port)
            if endpoint is None:
                raise self._problem(role, f"a simulated serial device needs its bus port to be sim:pty or sim:tcp, "
                                          f"not {bus.port!r}")
            if device.bus in self._serial_ports:
                return self._share_line(role, device)
            sim = cls(plant, plant.lock, endpoint=endpoint, role=role, address=device.address,
                      settings=device.settings)
        else:
            raise self._problem(role, f"no simulator for driver {device.driver!r}; set simulated = false "
                                      "and give a real transport")
        sim.start()
        port = getattr(sim, "port", None)
        if bus.kind == "serial" and port:
            self._serial_ports[device.bus] = port
        return sim
