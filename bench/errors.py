"""The one error tree of the bench controller.

Every error the package raises on purpose derives from :class:`BenchError`, so a script or the CLI
can catch one type and still tell the causes apart::

    BenchError
    ├── ConfigError          a rig / spec file is wrong: every problem at once, with key path and line
    ├── TransportError       a bus, port or socket could not be opened, read or written
    │   ├── DeviceTimeoutError   a device did not answer in time (names device and request)
    │   ├── ProtocolError        bytes or frames that break the protocol (shows the raw bytes)
    │   └── DeviceFault          the device itself reports a fault (code and text, e.g. a CiA 402 EMCY)
    ├── InterlockTripped     a limit or watchdog brought the rig to its safe state
    └── SequenceAborted      an operator or script aborted a test sequence

Messages name the device and the code. Nothing is swallowed: an error caught in a receive thread is
handed to whoever owns the thread (the rig, the runner) and reaches the operator.
"""

from __future__ import annotations

from dataclasses import dataclass


class BenchError(Exception):
    """Base of every error raised on purpose by the bench controller."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a configuration file."""

    key_path: str
    message: str
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        key = f" [{self.key_path}]" if self.key_path else ""
        return f"{where}{key}: {self.message}"


class ConfigError(BenchError):
    """A configuration file has one or more problems; all of them are listed."""

    def __init__(self, problems: list[ConfigProblem] | str, file: str | None = None):
        if isinstance(problems, str):
            problems = [ConfigProblem("", problems, None, file)]
        self.problems: list[ConfigProblem] = list(problems)
        self.file = file
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in {file or 'configuration'}"
        super().__init__(head + ":\n  " + "\n  ".join(str(p) for p in self.problems))


class TransportError(BenchError):
    """A bus, serial port or socket failed (open, read or write)."""


class DeviceTimeoutError(TransportError):
    """A device did not answer within its timeout."""

    def __init__(self, device: str, request: str, timeout_s: float | None = None):
        self.device = device
        self.request = request
        self.timeout_s = timeout_s
        after = f" within {timeout_s:g} s" if timeout_s is not None else ""
        super().__init__(f"{device}: no answer to {request}{after}")


class ProtocolError(TransportError):
    """Received bytes or frames that violate the protocol; ``raw`` keeps them for the report."""

    def __init__(self, device: str, message: str, raw: bytes | None = None):
        self.device = device
        self.raw = raw
        shown = f" (raw: {raw.hex(' ')})" if raw else ""
        super().__init__(f"{device}: {message}{shown}")


class DeviceFault(TransportError):
    """The device reports a fault of its own (for example a CiA 402 EMCY or a drive fault state)."""

    def __init__(self, device: str, code: int | None, text: str):
        self.device = device
        self.code = code
        self.text = text
        code_s = f" 0x{code:04X}" if code is not None else ""
        super().__init__(f"{device}: fault{code_s}: {text}")


class InterlockTripped(BenchError):
    """A limit, watchdog or fault brought the rig to its safe state; ``cause`` says which."""

    def __init__(self, cause: str, channel: str | None = None, value: float | None = None):
        self.cause = cause
        self.channel = channel
        self.value = value
        super().__init__(cause)


class SequenceAborted(BenchError):
    """A running test sequence was aborted by the operator or a script."""
