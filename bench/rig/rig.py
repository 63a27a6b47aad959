"""The Rig: every device of a rig file, by role, with its streams and its safe state.

``Rig.from_config(path)`` opens (in this order) the simulated bench when the file has a ``[sim]`` table,
the buses, and the drivers by role; it closes them in reverse order, and a device that fails to open
gives an error naming its role, bus and address after the devices already opened have been closed.
Every decoded sample goes through :attr:`Rig.hub`; interlocks and watchdogs watch it there
(:mod:`bench.rig.safety`); :meth:`Rig.safe_state` is idempotent and callable from any thread.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

from bench.config import DeviceConfig, RigConfig, is_visa_resource, load_rig_config
from bench.errors import (
    BenchError,
    ConfigError,
    ConfigProblem,
    DeviceFault,
    DeviceTimeoutError,
    InterlockTripped,
    TransportError,
)
from bench.rig.registry import DRIVERS
from bench.rig.safety import SafetySupervisor, Trip, interlocks_from_limits
from bench.streams import Hub, RingBuffer
from bench.timebase import Timebase

log = logging.getLogger(__name__)

DEFAULT_SERIAL_TIMEOUT_S = 0.2
LIVE_BUFFER_S = 30.0
# PDOs are decoded in batches this often: the interlocks see a sample at most this much after its frame
# (CanBus's own default is 10 ms; at 5 ms the crossing-to-quick-stop maximum keeps its 20 ms target
# with margin, see benchmarks/rig_endurance.py)
CAN_DECODE_PERIOD_S = 0.005
QUICK_STOP_JOIN_S = 5.0  # a drive's quick_stop() gives up after its state_transition_s (1 s by default)
# How long a thread woken by I/O may wait for the GIL while another runs Python code (Python's default
# is 5 ms). A rig has several receive, decode, poll and safety threads; 1 ms keeps the interlock reaction
# (limit crossed → quick stop on the bus) under 20 ms (benchmarks/rig_endurance.py). Restored on close.
GIL_SWITCH_INTERVAL_S = 0.001
SIM_READY_TIMEOUT_S = 30.0  # first plant step (numba compile when its cache is stale)


class Rig:
    """A bench: devices by role, a hub of live channels, live ring buffers and the safety layer."""

    def __init__(self, config: RigConfig, *, timebase: Timebase | None = None):
        self.config = config
        self.timebase = timebase or Timebase()
        self.hub = Hub()
        self.buses: dict[str, Any] = {}
        self.devices: dict[str, Any] = {}
        self.sim = None  # hil_mocks.simbench.SimulatedBench when simulated
        self.rings: dict[str, RingBuffer] = {}
        self.errors: list[BaseException] = []  # errors reported by receive threads, in order
        self.safety = SafetySupervisor(self.hub, self._safe_state_now, now=self.timebase.now,
                                       on_trip=self._on_trip)
        self._safe_lock = threading.RLock()
        self._closed = False
        self._opened = False
        self.trip_listeners: list = []  # callables(Trip), e.g. the GUI or the recorder

    # construction
    @classmethod
    def from_config(cls, config: RigConfig | str | Path, **kwargs) -> Rig:
        if not isinstance(config, RigConfig):
            config = load_rig_config(config)
        rig = cls(config, **kwargs)
        rig.open()
        return rig

    def __enter__(self) -> Rig:
        if not self._opened:
            self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def is_simulated(self) -> bool:
        return self.config.is_simulated

    def open(self) -> None:
        if self._opened:
            return
        self._opened = True
        self._check_drivers()
        self._switch_interval_before = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval_before, GIL_SWITCH_INTERVAL_S))
        try:
            if self.config.sim is not None:
                from hil_mocks.simbench import SimulatedBench

                self.sim = SimulatedBench(self.config)
                self.sim.start()
                self._wait_for_plant()
            for name in self._buses_in_use():
                self.buses[name] = self._open_bus(name)
                add_callback = getattr(self.buses[name], "add_error_callback", None)
                if callable(add_callback):
                    add_callback(lambda exc, _name=name: self._bus_error(_name, exc))
            for role, device in self.config.devices.items():
                self.devices[role] = self._open_device(role, device)
            for role, driver in self.devices.items():
                for spec in driver.channels():
                    self.hub.register(spec)
                    self._add_ring(spec)
            self.safety.add_interlocks(interlocks_from_limits(self.config))
            self.safety.add_interlocks(self.config.interlocks)
            self.safety.start()
            self._start_streaming()
        except BaseException:
            self.close()
            raise

    def _wait_for_plant(self) -> None:
        """Wait until the plant has taken its first step: that step loads (or compiles) the numba loop
        under the plant lock, which can take longer than an SDO timeout on a busy machine, and the
        simulators answer nothing meanwhile (the first device then seemed not to answer)."""
        runner = getattr(self.sim, "runner", None)
        if runner is None:
            return
        stepped = threading.Event()

        def tick(_plant) -> None:
            stepped.set()

        runner.add_tick_callback(tick)
        try:
            if not stepped.wait(SIM_READY_TIMEOUT_S):
                raise TransportError(f"simulated bench: the plant took no step within {SIM_READY_TIMEOUT_S:g} s")
        finally:
            runner.remove_tick_callback(tick)

    def _check_drivers(self) -> None:
        source = self.config.source
        problems = []
        for role, device in self.config.devices.items():
            entry = DRIVERS.get(device.driver)
            key = f"devices.{role}.driver"
            line = source.line(key) if source else None
            file = str(self.config.path) if self.config.path else None
            if entry is None:
                problems.append(ConfigProblem(key, f"unknown driver {device.driver!r}; known: {', '.join(DRIVERS)}",
                                              line, file))
            elif self.config.buses[device.bus].kind != entry.bus_kind:
                problems.append(ConfigProblem(key, f"driver {device.driver!r} needs a {entry.bus_kind} bus, "
                                                   f"{device.bus!r} is {self.config.buses[device.bus].kind}", line, file))
        if problems:
            raise ConfigError(problems, str(self.config.path) if self.config.path else None)

    def _buses_in_use(self) -> list[str]:
        return [name for name in self.config.buses if any(d.bus == name for d in self.config.devices.values())]

    def _open_bus(self, name: str):
        bus = self.config.buses[name]
        try:
            if bus.kind == "can":
                from bench.drivers.canbus import CanBus

                return CanBus(bus.interface, bus.channel, bus.bitrate, bus.sync_rate_hz, self.timebase,
                              decode_period_s=CAN_DECODE_PERIOD_S)
            from bench.drivers.serial_line import SerialLine

            port = self.sim.serial_port(name) if (self.sim is not None and bus.port.startswith("sim:")) else bus.port
            if is_visa_resource(port):  # USB-TMC, GPIB, VXI-11/HiSLIP, raw socket: SCPI through pyvisa
                from bench.drivers.visa_line import VisaLine

                return VisaLine.open(port, backend=bus.visa_backend, baudrate=bus.baudrate, parity=bus.parity,
                                     stopbits=bus.stopbits, bytesize=bus.bytesize,
                                     timeout_s=DEFAULT_SERIAL_TIMEOUT_S)
            return SerialLine.open(port, baudrate=bus.baudrate, parity=bus.parity, stopbits=bus.stopbits,
                                   bytesize=bus.bytesize, timeout_s=DEFAULT_SERIAL_TIMEOUT_S)
        except BenchError as exc:
            raise TransportError(f"bus {name!r} ({bus.kind} {bus.interface or bus.port} {bus.channel}): {exc}") from exc
        except Exception as exc:  # python-can / pyserial errors, named
            raise TransportError(f"bus {name!r} ({bus.kind} {bus.interface or bus.port} {bus.channel}): "
                                 f"cannot open: {exc}") from exc

    def _open_device(self, role: str, device: DeviceConfig):
        entry = DRIVERS[device.driver]
        cls = entry.load()
        bus = self.buses[device.bus]
        eds = self.config.resolve(device.eds) if device.eds else None
        if eds is None and self.sim is not None:
            eds = self.sim.eds_path(role)
        where = f"{role} ({device.driver} on bus {device.bus!r}, " + (
            f"node {device.node_id})" if device.node_id is not None else f"address {device.address})")
        try:
            if entry.bus_kind == "can":
                driver = cls(bus, device.node_id, name=role, eds=eds, settings=device.settings,
                             timeouts=device.timeouts, publish=self.hub.publish)
            else:
                driver = cls(bus, name=role, address=device.address, settings=device.settings,
                             timeouts=device.timeouts, publish=self.hub.publish, timebase=self.timebase)
        except ConfigError:
            raise
        except Exception as exc:
            raise TransportError(f"cannot set up {where}: {exc}") from exc
        on_error = getattr(driver, "set_error_callback", None)
        if callable(on_error):
            on_error(lambda exc, _role=role: self._device_error(_role, exc))
        try:
            driver.connect()
        except BenchError as exc:
            _close_quietly(driver)
            raise TransportError(f"cannot open {where}: {exc}") from exc
        except Exception as exc:
            _close_quietly(driver)
            raise TransportError(f"cannot open {where}: {type(exc).__name__}: {exc}") from exc
        return driver

    def _add_ring(self, spec) -> None:
        rate = spec.rate_hz or 100.0
        ring = RingBuffer(max(16, int(rate * LIVE_BUFFER_S)), "float64")
        self.rings[spec.name] = ring
        self.hub.add_callback(ring.append_block, [spec.name])

    def _start_streaming(self) -> None:
        for bus in self.buses.values():
            start = getattr(bus, "start_sync", None)
            if callable(start):
                start()
        for driver in self.devices.values():
            start = getattr(driver, "start_streaming", None)
            if callable(start):
                start()

    # errors from receive threads
    def _device_error(self, role: str, exc: BaseException) -> None:
        self.errors.append(exc)
        if isinstance(exc, DeviceFault):
            kind = "fault"
        elif isinstance(exc, DeviceTimeoutError) and str(exc.request).startswith("heartbeat"):
            kind = "watchdog"  # a lost heartbeat is the node's watchdog, as a silent channel is the stream's
        else:
            kind = "transport"
        self.safety.trip(kind, f"{role}: {exc}")

    def _bus_error(self, name: str, exc: BaseException) -> None:
        """An error of a bus that no driver owns (receive error, decoder error, a stray node's PDO)."""
        self.errors.append(exc)
        self.safety.trip("transport", f"bus {name}: {exc}")

    def _on_trip(self, trip: Trip) -> None:
        for listener in list(self.trip_listeners):
            listener(trip)

    # access
    def device(self, role: str):
        """The driver playing ``role``; a clear error if the rig file has none."""
        try:
            return self.devices[role]
        except KeyError:
            raise BenchError(f"this rig has no {role!r} device (roles: {', '.join(self.devices) or 'none'})") from None

    def has(self, role: str) -> bool:
        return role in self.devices

    def latest(self, channel: str) -> float:
        """Newest value of a live channel (NaN if none yet)."""
        ring = self.rings.get(channel)
        if ring is None:
            raise BenchError(f"no live channel {channel!r} (channels: {', '.join(sorted(self.rings))})")
        t, v = ring.snapshot(last=1)
        return float(v[-1]) if len(v) else float("nan")

    def raise_if_tripped(self) -> None:
        """Raise :class:`InterlockTripped` with the first cause if the safety layer has tripped."""
        if self.safety.trips:
            first = self.safety.trips[0]
            raise InterlockTripped(f"safe state tripped ({first.kind}): {first.cause}", first.channel, first.value)

    # safety
    def safe_state(self) -> None:
        """Quick stop and disable every drive, release set points. Idempotent; any thread."""
        self._safe_state_now()

    def _safe_state_now(self, action: str = "quick_stop") -> None:
        """Quick stop (unless ``action`` is "disable": power off at once), disable, release set points."""
        with self._safe_lock:
            errors = []
            drives = [d for d in self.devices.values() if hasattr(d, "quick_stop")]
            if action != "disable":
                _quick_stop_all(drives, errors)
            for driver in drives:
                try:
                    driver.disable()
                except Exception as exc:
                    errors.append(exc)
            for driver in self.devices.values():
                release = getattr(driver, "release_setpoint", None)
                if callable(release):
                    try:
                        release()
                    except Exception as exc:
                        errors.append(exc)
            for exc in errors:
                log.error("safe state: %s", exc)
                self.errors.append(exc)

    def emergency_stop(self, cause: str = "emergency stop") -> None:
        """Bring the rig to its safe state now and latch the trip (GUI button, scripts, Ctrl-C)."""
        self.safety.trip("emergency_stop", cause)
        self._safe_state_now()

    # closing
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self.devices:
                self._safe_state_now()
        finally:
            self.safety.stop()
            for driver in reversed(list(self.devices.values())):
                _close_quietly(driver)
            for bus in reversed(list(self.buses.values())):
                _close_quietly(bus)
            if self.sim is not None:
                _close_quietly(self.sim, "stop")
            before = getattr(self, "_switch_interval_before", None)
            if before is not None:
                sys.setswitchinterval(before)


def _quick_stop_all(drives: list, errors: list) -> None:
    """Quick stop every drive at once: each driver's quick_stop() waits for its drive to change state
    (a statusword after the next SYNC and decode), so in turn the last drive got its command tens of
    ms late; the others run in short-lived threads while the first runs here."""

    def stop(driver) -> None:
        try:
            driver.quick_stop()
        except Exception as exc:  # kept and reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=stop, args=(d,), name=f"quick-stop-{getattr(d, 'name', i)}", daemon=True)
               for i, d in enumerate(drives[1:])]
    for thread in threads:
        thread.start()
    if drives:
        stop(drives[0])
    for thread in threads:
        thread.join(QUICK_STOP_JOIN_S)
        if thread.is_alive():
            errors.append(TransportError(f"safe state: {thread.name} still waiting after {QUICK_STOP_JOIN_S:g} s"))


def _close_quietly(obj, method: str = "close") -> None:
    try:
        getattr(obj, method)()
    except Exception:
        log.exception("closing %r", obj)
