"""One serial line (RS-232 / RS-485, a pseudo-terminal or ``socket://`` URL) shared by its devices.

Every line is opened with pyserial's ``serial_for_url`` so a real port, a pty path that a simulator
owns and ``socket://127.0.0.1:PORT`` all behave alike. Several devices on one RS-485 line (distinct
Modbus addresses) and several threads share the line through :attr:`SerialLine.lock`: a driver holds
it for a whole request/response exchange.

A line that fails (device unplugged, simulator closed its end, socket reset) is marked broken and is
reopened by the next request, so a driver recovers by itself once the line is good again.
"""

from __future__ import annotations

import termios
import threading
import time
from dataclasses import dataclass
from typing import Self

import serial

from bench.errors import TransportError


@dataclass
class LineStats:
    """Counters of one line (plain ints; read them for reports and benchmarks)."""

    opens: int = 0
    reopens: int = 0
    failures: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    discarded_bytes: int = 0  # stale answers and noise dropped before a request or from a stream


class ReopeningLine:
    """What every line shares: a lock held for a whole exchange, counters, and a reopen after a failure.

    A subclass opens its transport in ``_connect`` (counting ``stats.opens``, raising
    :class:`TransportError`), closes it quietly in ``_drop`` and tells ``is_open``; ``KIND`` names the
    line in messages ("serial line", "VISA resource").
    """

    KIND = "line"
    #: after a failure, do not try to reopen more often than this
    REOPEN_INTERVAL_S = 0.05

    def __init__(self, port: str, timeout_s: float):
        self.port = port
        self.timeout_s = timeout_s
        self.lock = threading.RLock()
        self.stats = LineStats()
        self._last_attempt_s = 0.0
        self._closed = False

    @property
    def is_open(self) -> bool:
        raise NotImplementedError

    def _connect(self) -> None:
        raise NotImplementedError

    def _drop(self) -> None:
        raise NotImplementedError

    def ensure_open(self) -> None:
        """Reopen a broken line (rate-limited); raise :class:`TransportError` if it stays shut."""
        if self._closed:
            raise TransportError(f"{self.KIND} {self.port}: closed")
        if self.is_open:
            return
        with self.lock:
            if self.is_open:
                return
            wait_s = self.REOPEN_INTERVAL_S - (time.monotonic() - self._last_attempt_s)
            if wait_s > 0:
                time.sleep(wait_s)
            self._drop()
            self._connect()
            self.stats.reopens += 1

    def mark_broken(self) -> None:
        """Close the transport after a failure; the next request reopens it."""
        with self.lock:
            self.stats.failures += 1
            self._drop()

    def close(self) -> None:
        """Close the line for good (idempotent)."""
        with self.lock:
            self._closed = True
            self._drop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SerialLine(ReopeningLine):
    """An open serial line with a lock; create it with :meth:`open`."""

    KIND = "serial line"
    #: pyserial read timeout: the longest a single blocking read waits before the deadline is checked
    POLL_S = 0.05

    def __init__(self, port: str, *, baudrate: int = 115200, parity: str = "N", stopbits: int = 1,
                 bytesize: int = 8, timeout_s: float = 1.0):
        super().__init__(port, timeout_s)
        self.baudrate = baudrate
        self.parity = parity
        self.stopbits = stopbits
        self.bytesize = bytesize
        self._serial: serial.SerialBase | None = None
        self._buffer = bytearray()

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, port_or_url: str, baudrate: int = 115200, parity: str = "N", stopbits: int = 1,
             bytesize: int = 8, timeout_s: float = 1.0) -> SerialLine:
        """Open a line; a missing port or refused socket raises :class:`TransportError` naming it."""
        line = cls(port_or_url, baudrate=baudrate, parity=parity, stopbits=stopbits, bytesize=bytesize,
                   timeout_s=timeout_s)
        line._connect()
        return line

    def _connect(self) -> None:
        self._last_attempt_s = time.monotonic()
        try:
            ser = serial.serial_for_url(
                self.port, baudrate=self.baudrate, parity=self.parity, stopbits=self.stopbits,
                bytesize=self.bytesize, timeout=self.POLL_S, write_timeout=max(self.timeout_s, 0.1),
            )
        except (serial.SerialException, OSError, ValueError, termios.error) as exc:  # termios.error: a pty closed under us
            self.stats.failures += 1
            raise TransportError(f"serial line {self.port}: cannot open: {exc}") from exc
        self._serial = ser
        self._buffer.clear()
        self.stats.opens += 1

    @property
    def serial(self) -> serial.SerialBase:
        """The pyserial object (reopened first if the line is broken)."""
        self.ensure_open()
        assert self._serial is not None
        return self._serial

    @property
    def is_open(self) -> bool:
        return self._serial is not None and self._serial.is_open

    def _drop(self) -> None:
        ser, self._serial = self._serial, None
        self._buffer.clear()
        if ser is not None:
            try:
                ser.close()
            except (serial.SerialException, OSError):
                pass  # the port is already gone; closing it is all we wanted

    # -- I/O ---------------------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        ser = self.serial
        try:
            ser.write(data)
        except (serial.SerialException, OSError) as exc:
            self.mark_broken()
            raise TransportError(f"serial line {self.port}: write failed: {exc}") from exc
        self.stats.bytes_out += len(data)

    def discard_input(self) -> bytes:
        """Drop whatever waits in the input (stale or garbage bytes) and return it."""
        ser = self.serial
        dropped = bytes(self._buffer)
        self._buffer.clear()
        try:
            while n := ser.in_waiting:
                dropped += ser.read(n)
        except (serial.SerialException, OSError) as exc:
            self.mark_broken()
            raise TransportError(f"serial line {self.port}: read failed: {exc}") from exc
        self.stats.discarded_bytes += len(dropped)
        return dropped

    def _fill(self, deadline_s: float) -> bool:
        """Read what arrives until the deadline; False if nothing came."""
        ser = self.serial
        try:
            while True:
                first = ser.read(1)
                if first:
                    n = ser.in_waiting
                    chunk = first + ser.read(n) if n else first
                    self._buffer += chunk
                    self.stats.bytes_in += len(chunk)
                    return True
                if time.monotonic() >= deadline_s:
                    return False
        except (serial.SerialException, OSError) as exc:
            self.mark_broken()
            raise TransportError(f"serial line {self.port}: read failed: {exc}") from exc

    def read_until(self, terminator: bytes, timeout_s: float, max_bytes: int = 4096) -> tuple[bytes, bool]:
        """Read up to and including ``terminator``.

        Returns ``(data, complete)``: ``complete`` is False when the timeout expired first (``data``
        then holds whatever arrived, possibly nothing) or when ``max_bytes`` came without a terminator.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            index = self._buffer.find(terminator)
            if index >= 0:
                end = index + len(terminator)
                data = bytes(self._buffer[:end])
                del self._buffer[:end]
                return data, True
            if len(self._buffer) >= max_bytes:
                data = bytes(self._buffer)
                self._buffer.clear()
                return data, False
            if not self._fill(deadline):
                data = bytes(self._buffer)
                self._buffer.clear()
                return data, False

    def read_lines(self, terminator: bytes, timeout_s: float, max_bytes: int = 65536) -> list[bytes]:
        """Complete lines that arrive within ``timeout_s`` (maybe none); a partial line is kept for later.

        For continuous streams: returns as soon as at least one line is complete.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            end = self._buffer.rfind(terminator)
            if end >= 0:
                end += len(terminator)
                chunk = bytes(self._buffer[:end])
                del self._buffer[:end]
                parts = chunk.split(terminator)[:-1]
                return [part + terminator for part in parts]
            if len(self._buffer) > max_bytes:
                self.stats.discarded_bytes += len(self._buffer)
                self._buffer.clear()  # no terminator in a long run of noise: drop it (counted)
            if not self._fill(deadline):
                return []

    def read_available(self, timeout_s: float) -> bytes:
        """Whatever arrives within ``timeout_s`` (returns as soon as something came)."""
        if not self._buffer:
            self._fill(time.monotonic() + timeout_s)
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"SerialLine({self.port!r}, {self.baudrate} baud, {state})"
