"""The rig configuration: one TOML file describes a bench.

Sections (see ``configs/example_rig.toml`` for a commented real rig)::

    [unit]            the unit under test: kind, model, ratio, rated torque
    [buses.NAME]      a CAN bus (python-can interface + channel) or a serial line (port or pyserial URL)
    [devices.ROLE]    a device by role (drive_in, drive_load, encoder_in, encoder_out, torque_in,
                      torque_out, temperature, power, dyno): driver, bus, node id / address, settings
    [limits]          bench-wide limits
    [[interlocks]]    limits on any channel, with the action that trips the safe state
    [sim]             parameters of the simulated plant; present only when the bench is simulated

:func:`load_rig_config` reports every problem of a file at once, with key path and line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench.schema import Problems, SourceMap, build, read_toml
from bench.simconfig import SimConfig

ROLES = (
    "drive_in", "drive_load", "encoder_in", "encoder_out", "torque_in", "torque_out",
    "temperature", "power", "dyno",
)

SIM_PORTS = ("sim:pty", "sim:tcp")  # serial endpoints that the simulator creates at start

# A VISA resource string (VPP-4.3: interface type and board, then "::"-separated fields), e.g.
# USB0::0x0B21::0x0025::91M123456::INSTR, GPIB0::12::INSTR, TCPIP0::10.0.0.5::inst0::INSTR,
# TCPIP0::10.0.0.5::5025::SOCKET, ASRL/dev/ttyUSB0::INSTR (pyvisa-py's serial form). Case does not matter.
# A VISA alias (a name given in NI MAX) cannot be told from a path and is not recognised.
_VISA_RESOURCE = re.compile(r"(?:(?:GPIB-VXI|GPIB|PXI|TCPIP|USB|VXI|VICP)\d*|ASRL[^:]*)::\S+", re.IGNORECASE)
# Drivers that exchange whole SCPI messages and so may sit on a VISA resource (bench.drivers.visa_line).
# Modbus RTU needs raw bytes and the DSP7000 stream reads lines as they come: both need a serial port.
VISA_DRIVERS = ("scpi_power",)


def is_visa_resource(port: str) -> bool:
    """True if a bus ``port`` is a VISA resource string (opened through pyvisa, not pyserial)."""
    return _VISA_RESOURCE.fullmatch(port.strip()) is not None


@dataclass(frozen=True)
class UnitConfig:
    """The unit under test."""

    kind: Literal["reducer", "motor"]
    model: str
    rated_torque_nm: float = field(metadata={"gt": 0})
    ratio: float = 1.0  # N = ω_in / ω_out, signed; 1 for a motor
    serial: str = ""
    description: str = ""
    spec: str = ""  # product specification file (limits), relative to the rig file

    def check(self):
        if self.ratio == 0:
            yield "ratio", "must not be 0 (N = ω_in / ω_out)"
        if self.kind == "reducer" and self.ratio < 0:
            yield "ratio", (f"negative ratio {self.ratio:g}: give the magnitude and set the output sense "
                            "of the encoder instead")
        if self.kind == "reducer" and abs(self.ratio) == 1:
            yield "ratio", "a reducer needs a ratio other than 1"


@dataclass(frozen=True)
class BusConfig:
    """A CAN bus or a serial line."""

    kind: Literal["can", "serial"]
    # CAN (python-can)
    interface: str = ""  # socketcan, pcan, kvaser, virtual, ...
    channel: str = ""
    bitrate: int = field(default=1_000_000, metadata={"gt": 0})
    sync_rate_hz: float = field(default=1000.0, metadata={"ge": 0})
    # serial (pyserial serial_for_url): /dev/ttyUSB0, a pty path, socket://127.0.0.1:PORT, sim:pty, sim:tcp;
    # or a VISA resource string (USB0::...::INSTR, GPIB0::12::INSTR, TCPIP0::host::5025::SOCKET) for SCPI
    port: str = ""
    visa_backend: str = ""  # pyvisa backend for a VISA port: "" = pyvisa's default, "@py" = pyvisa-py, "@ivi"
    baudrate: int = field(default=115200, metadata={"gt": 0})
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    bytesize: Literal[7, 8] = 8

    def check(self):
        if self.kind == "can":
            if not self.interface:
                yield "interface", "a CAN bus needs an interface (socketcan, pcan, kvaser, virtual, ...)"
            if self.interface == "udp_multicast":
                yield "interface", "udp_multicast sends to the local network; use 'virtual' for a simulated bus"
            if self.port:
                yield "port", "a CAN bus has no port; use interface and channel"
        else:
            if not self.port:
                yield "port", "a serial line needs a port (/dev/ttyUSB0, socket://HOST:PORT, sim:pty, ...)"
            if self.interface or self.channel:
                yield "interface", "a serial line has no interface/channel; use port"
            if self.visa_backend and not is_visa_resource(self.port):
                yield "visa_backend", f"only for a VISA resource port (USB0::...::INSTR, ...), not {self.port!r}"


@dataclass(frozen=True)
class DeviceConfig:
    """A device by role. ``settings`` are the driver's own keys, checked by the driver's schema."""

    driver: str
    bus: str
    node_id: int | None = field(default=None, metadata={"ge": 1, "le": 127})  # CANopen node
    address: int | None = field(default=None, metadata={"ge": 0, "le": 247})  # Modbus / serial address
    eds: str = ""  # EDS/DCF path, relative to the rig file
    simulated: bool = True  # with a [sim] table: start a simulator for this device
    settings: dict[str, Any] = field(default_factory=dict)
    timeouts: dict[str, float] = field(default_factory=dict)  # e.g. sdo_s, mode_switch_s, homing_s

    def check(self):
        for name, value in self.timeouts.items():
            if not name.endswith("_s"):
                yield f"timeouts.{name}", "timeout names end in _s (seconds)"
            if value <= 0:
                yield f"timeouts.{name}", f"must be > 0, found {value:g}"


@dataclass(frozen=True)
class LimitsConfig:
    """Bench-wide limits (magnitudes, SI)."""

    torque_nm: float = field(default=float("inf"), metadata={"gt": 0})
    speed_rad_s: float = field(default=float("inf"), metadata={"gt": 0})
    temperature_c: float = field(default=float("inf"))
    position_rad: float = field(default=float("inf"), metadata={"gt": 0})
    following_error_rad: float = field(default=float("inf"), metadata={"gt": 0})


@dataclass(frozen=True)
class InterlockConfig:
    """A limit on one channel and what to do when it is crossed."""

    channel: str
    min: float = float("-inf")
    max: float = float("inf")
    action: Literal["quick_stop", "disable"] = "quick_stop"
    silent_timeout_s: float = field(default=0.0, metadata={"ge": 0})  # 0: no watchdog on this channel

    def check(self):
        if self.min >= self.max:
            yield "min", f"min ({self.min:g}) must be below max ({self.max:g})"


@dataclass(frozen=True)
class RigConfig:
    unit: UnitConfig
    buses: dict[str, BusConfig] = field(default_factory=dict)
    devices: dict[str, DeviceConfig] = field(default_factory=dict)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    interlocks: list[InterlockConfig] = field(default_factory=list)
    sim: SimConfig | None = None
    name: str = ""
    operator: str = ""
    runs_dir: str = "runs"  # relative to the rig file's folder unless absolute
    # filled in by the loader, not keys of the file
    path: Path | None = field(default=None, metadata={"internal": True})
    sha256: str = field(default="", metadata={"internal": True})
    source: SourceMap | None = field(default=None, repr=False, compare=False, metadata={"internal": True})

    @property
    def is_simulated(self) -> bool:
        return self.sim is not None

    def resolve(self, relative: str) -> Path:
        """A path of the file, relative to the rig file's folder."""
        p = Path(relative).expanduser()
        if p.is_absolute() or self.path is None:
            return p
        return (self.path.parent / p).resolve()


def _check_rig(rig: RigConfig, problems: Problems) -> None:
    """Checks across sections; ``rig`` may be partly built when sections had problems."""
    if not hasattr(rig, "devices"):
        return
    buses = getattr(rig, "buses", {})
    for role, dev in rig.devices.items():
        if role not in ROLES:
            problems.add(f"devices.{role}", f"unknown role {role!r}; roles are: {', '.join(ROLES)}")
        bus = buses.get(dev.bus)
        if bus is None:
            known = ", ".join(buses) or "none defined"
            problems.add(f"devices.{role}.bus", f"names unknown bus {dev.bus!r} (buses: {known})")
            continue
        if bus.kind == "can" and dev.node_id is None:
            problems.add(f"devices.{role}.node_id", f"a device on CAN bus {dev.bus!r} needs node_id (1..127)")
    seen: dict[tuple[str, int], str] = {}
    for role, dev in rig.devices.items():
        key_id = dev.node_id if dev.node_id is not None else dev.address
        if key_id is None:
            continue
        key = (dev.bus, key_id)
        if key in seen:
            what = "node id" if dev.node_id is not None else "address"
            problems.add(f"devices.{role}.{'node_id' if dev.node_id is not None else 'address'}",
                         f"duplicate {what} {key_id} on bus {dev.bus!r} (also used by {seen[key]!r})")
        else:
            seen[key] = role
    for name, bus in buses.items():
        if bus.kind == "serial" and bus.port in SIM_PORTS and getattr(rig, "sim", None) is None:
            problems.add(f"buses.{name}.port", f"{bus.port!r} needs a [sim] table (a simulated bench)")
        if bus.kind == "can" and bus.interface == "virtual" and getattr(rig, "sim", None) is None:
            problems.add(f"buses.{name}.interface", "'virtual' CAN needs a [sim] table (a simulated bench)")
        if bus.kind == "serial" and is_visa_resource(bus.port):
            raw = [f"{role} ({dev.driver})" for role, dev in rig.devices.items()
                   if dev.bus == name and dev.driver not in VISA_DRIVERS]
            if raw:
                problems.add(f"buses.{name}.port",
                             f"VISA resource {bus.port!r} carries SCPI messages only; {', '.join(raw)} "
                             f"must be on a serial port (/dev/ttyUSB0, socket://HOST:PORT) "
                             f"(drivers for a VISA port: {', '.join(VISA_DRIVERS)})")


def load_rig_config(path: str | Path) -> RigConfig:
    """Load and validate a rig file; raises :class:`bench.errors.ConfigError` listing every problem."""
    path = Path(path)
    data, source, text = read_toml(path)
    problems = Problems(source, str(path))
    rig = build(RigConfig, data, "", problems)
    _check_rig(problems.partials.get("", rig), problems)
    problems.raise_if_any()
    return _with_origin(rig, path.resolve(), hashlib.sha256(text.encode()).hexdigest(), source)


def _with_origin(rig: RigConfig, path: Path, sha256: str, source: SourceMap) -> RigConfig:
    object.__setattr__(rig, "path", path)
    object.__setattr__(rig, "sha256", sha256)
    object.__setattr__(rig, "source", source)
    return rig
