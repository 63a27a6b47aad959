"""A VISA resource (USB-TMC, GPIB, VXI-11 / HiSLIP, raw TCP socket, serial) as a line for SCPI drivers.

Power analyzers sit on USB-TMC, GPIB or LAN in real labs; pyvisa reaches them all by one resource
string (``USB0::0x0B21::0x0025::91M123456::INSTR``, ``GPIB0::12::INSTR``,
``TCPIP0::10.0.0.5::inst0::INSTR``, ``TCPIP0::10.0.0.5::5025::SOCKET``, ``ASRL/dev/ttyUSB0::INSTR``).
:class:`VisaLine` offers what :class:`bench.drivers.serial_request.LineDevice` uses of a
:class:`~bench.drivers.serial_line.SerialLine` (``lock``, ``stats``, ``port``, ``is_open``,
``discard_input``, ``write``, ``read_until``, ``mark_broken``, ``close``), so the SCPI driver runs on it
unchanged. It is message based: a read ends at the termination character or at the bus's END
(EOI on GPIB, EOM on USB-TMC), and a message ended by END alone gets the terminator appended so that
the line parsers see one form. It has no ``serial`` attribute and no streaming reads: Modbus RTU and
the DSP7000 stream need a serial port (the rig file check refuses them on a VISA port).

Errors: a read timeout returns ``(b"", False)`` like ``SerialLine.read_until``, so ``LineDevice``
raises :class:`DeviceTimeoutError` naming the device and the request; a resource that cannot be
opened, a missing pyvisa and any other I/O failure are :class:`TransportError` naming the resource.
A failed line is reopened by the next request (rate limited), as a serial line is.

A timeout leaves the line "dirty": the answer may still come and must not be taken for the next
one. Before the next request a raw socket or serial resource is drained of what has arrived (reading
there does not disturb the instrument); an instrument resource (GPIB, USB-TMC, VXI-11, HiSLIP) gets a
device clear (``viClear``), since reading from a GPIB or USB-TMC instrument with nothing to say makes it
log a query error.
"""

from __future__ import annotations

import contextlib
import time

from bench.drivers.serial_line import ReopeningLine
from bench.errors import TransportError

#: the extra that installs pyvisa and pyvisa-py (``[project.optional-dependencies]`` of pyproject.toml)
INSTALL_HINT = "pip install -e '.[visa]' in the bench checkout (pyvisa and pyvisa-py)"


_RESOURCE_CLASSES = ("INSTR", "SOCKET", "INTFC", "RAW", "BACKPLANE", "MEMACC", "SERVANT")


def _canonical(resource: str) -> str:
    """The resource class in upper case: VISA names are case-insensitive, pyvisa's parser compares the
    class as written (``...::socket`` would open as a bare Resource). A device path stays as it is."""
    head, sep, last = resource.strip().rpartition("::")
    return head + sep + last.upper() if sep and last.upper() in _RESOURCE_CLASSES else resource.strip()


def _pyvisa(resource: str):
    try:
        import pyvisa
    except ImportError as exc:
        raise TransportError(f"VISA resource {resource}: pyvisa is not installed; {INSTALL_HINT}") from exc
    return pyvisa


class VisaLine(ReopeningLine):
    """An open VISA resource with a lock; create it with :meth:`open`."""

    KIND = "VISA resource"

    #: how long opening may take (pyvisa-py's TCP connect timeout; NI-VISA's lock wait)
    OPEN_TIMEOUT_S = 5.0
    #: a drain of a dirty raw socket or serial resource reads at most this many chunks
    DRAIN_MAX_READS = 64

    def __init__(self, resource: str, *, backend: str = "", baudrate: int = 115200, parity: str = "N",
                 stopbits: int = 1, bytesize: int = 8, timeout_s: float = 1.0, read_termination: str = "\n"):
        super().__init__(resource, timeout_s)  # port: the name LineDevice and the rig put in their messages
        self.backend = backend
        self.baudrate = baudrate
        self.parity = parity
        self.stopbits = stopbits
        self.bytesize = bytesize
        self.read_termination = read_termination
        self._resource = None
        self._timeout_ms: float | None = None
        self._dirty = False
        upper = resource.upper()
        self._is_serial = upper.startswith("ASRL")
        # raw byte streams: reading there never disturbs the instrument
        self._is_stream = self._is_serial or upper.endswith("::SOCKET")

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, resource: str, *, backend: str = "", baudrate: int = 115200, parity: str = "N",
             stopbits: int = 1, bytesize: int = 8, timeout_s: float = 1.0,
             read_termination: str = "\n") -> VisaLine:
        """Open a resource; a missing pyvisa or a resource that cannot be opened raises
        :class:`TransportError` naming the resource string. ``baudrate`` ... ``bytesize`` apply to
        ``ASRL`` resources only."""
        line = cls(resource, backend=backend, baudrate=baudrate, parity=parity, stopbits=stopbits,
                   bytesize=bytesize, timeout_s=timeout_s, read_termination=read_termination)
        line._connect()
        return line

    def _options(self, pyvisa) -> dict:
        options = {"read_termination": self.read_termination, "write_termination": "",
                   "timeout": self.timeout_s * 1000.0}
        if self._is_serial:
            constants = pyvisa.constants
            options.update(
                baud_rate=self.baudrate, data_bits=self.bytesize,
                parity={"N": constants.Parity.none, "E": constants.Parity.even, "O": constants.Parity.odd}[
                    self.parity],
                stop_bits={1: constants.StopBits.one, 2: constants.StopBits.two}[self.stopbits])
        return options

    def _connect(self) -> None:
        self._last_attempt_s = time.monotonic()
        pyvisa = _pyvisa(self.port)
        backend = f" (backend {self.backend!r})" if self.backend else ""
        try:
            manager = pyvisa.ResourceManager(self.backend)
        except Exception as exc:  # no VISA library for this backend (OSError, ValueError, ...)
            self.stats.failures += 1
            raise TransportError(f"VISA resource {self.port}: no VISA library{backend}: "
                                 f"{type(exc).__name__}: {exc}; {INSTALL_HINT}") from exc
        try:
            resource = manager.open_resource(_canonical(self.port), open_timeout=int(self.OPEN_TIMEOUT_S * 1000),
                                             **self._options(pyvisa))
        except Exception as exc:  # VisaIOError (not found, refused, bad name), and pyvisa-py's ValueError,
            # OSError, bare Exception ("could not connect") and missing-module errors: all named here
            self.stats.failures += 1
            raise TransportError(f"VISA resource {self.port}: cannot open{backend}: "
                                 f"{type(exc).__name__}: {exc}") from exc
        self._resource = resource
        self._timeout_ms = self.timeout_s * 1000.0
        self._dirty = False
        self.stats.opens += 1

    @property
    def is_open(self) -> bool:
        return self._resource is not None

    def _drop(self) -> None:
        resource, self._resource = self._resource, None
        if resource is not None:
            with contextlib.suppress(Exception):  # the session is already gone; closing it is all we wanted
                resource.close()

    # -- I/O ---------------------------------------------------------------------------------------
    def _open_resource(self):
        self.ensure_open()
        assert self._resource is not None
        return self._resource

    def _failed(self, what: str, exc: BaseException) -> TransportError:
        self.mark_broken()
        error = TransportError(f"VISA resource {self.port}: {what} failed: {type(exc).__name__}: {exc}")
        error.__cause__ = exc
        return error

    def _set_timeout(self, resource, timeout_s: float) -> None:
        timeout_ms = max(timeout_s, 0.0) * 1000.0
        if timeout_ms != self._timeout_ms:
            resource.timeout = timeout_ms  # below 1 ms pyvisa makes it VI_TMO_IMMEDIATE
            self._timeout_ms = timeout_ms

    def write(self, data: bytes) -> None:
        with self.lock:
            resource = self._open_resource()
            try:
                resource.write_raw(data)
            except Exception as exc:  # VisaIOError, or pyvisa-py's socket errors (refused, reset, broken pipe)
                raise self._failed("write", exc) from exc
            self.stats.bytes_out += len(data)

    def discard_input(self) -> bytes:
        """Drop a late answer after a timeout (see the module docstring); returns the bytes drained
        from a raw socket or serial resource (a device clear tells nothing of what it dropped)."""
        with self.lock:
            resource = self._open_resource()
            if not self._dirty:
                return b""
            pyvisa = _pyvisa(self.port)
            dropped = bytearray()
            try:
                if self._is_stream:
                    self._set_timeout(resource, 0.0)
                    for _ in range(self.DRAIN_MAX_READS):
                        try:
                            dropped += resource.read_raw()
                        except pyvisa.errors.VisaIOError as exc:
                            if exc.error_code != pyvisa.constants.StatusCode.error_timeout:
                                raise
                            break  # nothing more has arrived
                else:
                    resource.clear()
            except Exception as exc:  # any failure here is the line's: named and re-raised
                raise self._failed("clear", exc) from exc
            self._dirty = False
            self.stats.discarded_bytes += len(dropped)
            return bytes(dropped)

    def read_until(self, terminator: bytes, timeout_s: float, max_bytes: int = 4096) -> tuple[bytes, bool]:
        """Read one message, ended by ``terminator`` (its last byte is the VISA termination character).

        Returns ``(data, complete)`` as :meth:`SerialLine.read_until` does: ``(b"", False)`` when the
        timeout expired (what came before it is lost inside VISA), ``(data, False)`` when more than
        ``max_bytes`` came.
        """
        with self.lock:
            resource = self._open_resource()
            pyvisa = _pyvisa(self.port)
            termination = terminator.decode("ascii")
            if termination != self.read_termination:
                resource.read_termination = termination
                self.read_termination = termination
            self._set_timeout(resource, timeout_s)
            try:
                data = resource.read_raw()
            except pyvisa.errors.VisaIOError as exc:
                if exc.error_code == pyvisa.constants.StatusCode.error_timeout:
                    self._dirty = True
                    return b"", False
                raise self._failed("read", exc) from exc
            except Exception as exc:  # pyvisa-py's socket / serial errors (reset, closed)
                raise self._failed("read", exc) from exc
            self.stats.bytes_in += len(data)
            if len(data) > max_bytes:
                self._dirty = True
                return data, False
            if not data.endswith(terminator):
                data += terminator  # ended by END (EOI / EOM) alone: a complete message all the same
            return data, True

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"VisaLine({self.port!r}, backend {self.backend or 'default'!r}, {state})"
