"""Modbus RTU requests through pymodbus's client, on a :class:`SerialLine` shared by several slaves.

pymodbus (tested 3.10–3.16, ``device_id`` keyword) frames, checks the CRC and decodes the PDUs;
this module adds what a bench needs around it: the line's lock (several devices and threads on one
RS-485 line), our own retries of idempotent reads with counters, and error translation:

- nothing came back → :class:`DeviceTimeoutError` naming device, address and request;
- bytes came back but no valid frame (noise, truncated frame, bad CRC) → :class:`ProtocolError`
  with the raw bytes (captured by pymodbus's ``trace_packet`` hook);
- a Modbus exception response → :class:`DeviceFault` with the exception code;
- the port failed → :class:`TransportError`; the line is reopened by the next request.

The pymodbus client never opens or closes the port itself: it is handed the line's pyserial object.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from bench.drivers.serial_line import SerialLine
from bench.drivers.serial_request import (
    PolledDevice,
    RequestStats,
    check_timeouts,
    describe_device,
)
from bench.errors import (
    BenchError,
    ConfigError,
    DeviceFault,
    DeviceTimeoutError,
    ProtocolError,
    TransportError,
)
from bench.schema import load_section

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # its retries log errors we raise ourselves

EXCEPTION_TEXT = {
    1: "illegal function", 2: "illegal data address", 3: "illegal data value",
    4: "server device failure", 5: "acknowledge", 6: "server device busy",
    8: "memory parity error", 10: "gateway path unavailable", 11: "gateway target failed to respond",
}

RegisterKind = Literal["holding", "input"]


class _LineClient(ModbusSerialClient):
    """pymodbus's serial client, waking on arriving bytes instead of polling every millisecond.

    pymodbus still frames, checks the CRC and decodes; only :meth:`recv` differs: it blocks on the
    port (select) until the first byte or the response timeout, then takes what is there, so a
    transaction costs the line time plus a wake-up, not two 1 ms polling periods.
    """

    def recv(self, size: int | None) -> bytes:
        if not self.socket:
            raise ConnectionException(str(self))
        deadline = time.monotonic() + self.comm_params.timeout_connect
        try:
            if size is not None:
                return self.socket.read(size)
            while True:
                first = self.socket.read(1)  # the line's pyserial timeout is short: loop to the deadline
                if first:
                    waiting = self.socket.in_waiting
                    return first + self.socket.read(waiting) if waiting else first
                if time.monotonic() >= deadline:
                    return b""
        except OSError:
            self.close()
            raise ConnectionException(str(self)) from None


class ModbusRtuLink:
    """One slave (``address``) on a shared line, with retries and error translation."""

    def __init__(self, line: SerialLine, *, name: str, address: int, timeout_s: float, retries: int):
        if not 1 <= address <= 247:
            raise ConfigError(f"device {name}: Modbus address must be 1..247, got {address}")
        self.line = line
        self.name = name
        self.address = address
        self.timeout_s = timeout_s
        self.retries = retries
        self.stats = RequestStats()
        self._received = bytearray()
        self._client = _LineClient(
            line.port, baudrate=line.baudrate, parity=line.parity, stopbits=line.stopbits,
            bytesize=line.bytesize, timeout=timeout_s, retries=0, trace_packet=self._trace,
            name=name,
        )

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            self._received[:] = data  # pymodbus passes the whole receive buffer each time
        return data

    def _attempt(self, call: Callable[[ModbusSerialClient], object], describe: str):
        with self.line.lock:
            self._client.socket = self.line.serial  # (re)opened by the line, never by pymodbus
            self._received.clear()
            try:
                response = call(self._client)
            except ModbusIOException as exc:
                raw = bytes(self._received)
                if raw:
                    raise ProtocolError(self.name, f"address {self.address}: no valid answer to {describe}",
                                        raw) from exc
                raise DeviceTimeoutError(self.name, f"{describe} (address {self.address})",
                                         self.timeout_s) from exc
            except ConnectionException as exc:
                self.line.mark_broken()
                raise TransportError(f"{self.name}: {describe}: serial line {self.line.port} failed: {exc}") from exc
            except ModbusException as exc:
                raise ProtocolError(self.name, f"address {self.address}: {describe}: {exc}",
                                    bytes(self._received)) from exc
            finally:
                self._client.socket = None
        if response.isError():
            code = getattr(response, "exception_code", None)
            self.stats.device_faults += 1
            raise DeviceFault(self.name, code, f"address {self.address}: {describe}: "
                              f"{EXCEPTION_TEXT.get(code, 'exception')}")
        return response

    def request(self, call: Callable[[ModbusSerialClient], object], describe: str, idempotent: bool):
        attempts = 1 + (self.retries if idempotent else 0)
        error: BenchError | None = None
        for attempt in range(attempts):
            if attempt:
                self.stats.retries += 1
            self.stats.requests += 1
            try:
                return self._attempt(call, describe)
            except DeviceFault:
                raise  # the device answered: asking again gives the same answer
            except DeviceTimeoutError as exc:
                self.stats.timeouts += 1
                error = exc
            except ProtocolError as exc:
                self.stats.protocol_errors += 1
                error = exc
            except TransportError as exc:
                self.stats.transport_errors += 1
                error = exc
            self.stats.note(error)
        assert error is not None
        raise error

    def read_registers(self, kind: RegisterKind, address: int, count: int) -> list[int]:
        """Read ``count`` registers (function 03 holding / 04 input), retried on failure."""
        describe = f"read {count} {kind} register{'s' if count > 1 else ''} at {address}"
        if kind == "holding":
            def call(client):
                return client.read_holding_registers(address, count=count, device_id=self.address)
        else:
            def call(client):
                return client.read_input_registers(address, count=count, device_id=self.address)
        response = self.request(call, describe, idempotent=True)
        registers = list(response.registers)
        if len(registers) != count:
            self.stats.protocol_errors += 1
            raise ProtocolError(self.name, f"{describe}: {len(registers)} registers came back",
                                bytes(self._received))
        return registers

    def write_register(self, address: int, value: int) -> None:
        """Write one holding register (function 06); sent once."""
        self.request(lambda client: client.write_register(address, value, device_id=self.address),
                     f"write {value} to holding register {address}", idempotent=False)


class ModbusDevice(PolledDevice):
    """What every polled Modbus RTU instrument here shares: address check, settings, link, identity.

    A subclass sets ``SETTINGS`` (a settings dataclass with ``identify_register``, ``identify_kind``,
    ``rate_hz``, ``retries``, ``publish_interval_s``, ``model`` / ``serial`` / ``calibration_date``) and
    ``_read_once()`` (the read that proves the device answers when it has no identity register).
    """

    TIMEOUTS = {"request_s": 0.3}
    SETTINGS: type

    def __init__(self, line: SerialLine, *, name: str, address: int | None, settings: dict | None,
                 timeouts: dict | None, publish, timebase):
        if address is None:
            raise ConfigError(f"device {name}: a Modbus device needs an address (1..247)")
        self.line = line
        self.name = name
        self.settings = load_section(self.SETTINGS, settings or {}, f"devices.{name}.settings")
        self.timeouts = check_timeouts(name, timeouts or {}, self.TIMEOUTS)
        self.publish = publish
        self.timebase = timebase
        self.publish_interval_s = self.settings.publish_interval_s
        self.link = ModbusRtuLink(line, name=name, address=address, timeout_s=self.timeouts["request_s"],
                                  retries=self.settings.retries)
        self.stats = self.link.stats
        self.identity: int | None = None

    def _read_once(self) -> None:
        raise NotImplementedError

    def connect(self) -> int | None:
        """Identify by a register read (``identify_register``, else one ordinary read)."""
        s = self.settings
        if s.identify_register >= 0:
            self.identity = self.link.read_registers(s.identify_kind, s.identify_register, 1)[0]
        else:
            self._read_once()
        return self.identity

    def describe(self) -> dict[str, str]:
        code = {} if self.identity is None else {"device_code": f"0x{self.identity:04X}"}
        return describe_device({"address": str(self.link.address), **code}, self.settings)

    def close(self) -> None:
        self.stop_streaming()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
