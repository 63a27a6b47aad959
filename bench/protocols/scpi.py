"""SCPI / IEEE 488.2 messages of a power analyzer in the Yokogawa WT style (DOMAIN.md 5.5).

Program messages are ASCII lines ended by LF. Numeric data come from ``:NUMeric[:NORMal]:VALue?``
as a comma-separated list in the order of the items selected with ``:NUMeric:NORMal:ITEM<n>
<function>[,<element>]`` (``:NUMeric:FORMat ASCii``), or as an IEEE 488.2 definite-length block of
big-endian float32 (``:NUMeric:FORMat FLOat``). No data is ``NAN`` (float 9.91E+37, 0x7E951BEE);
over range is ``INF`` (9.9E+37, 0x7E94F56A). Both decode to NaN with a :class:`Status`.
"""

from __future__ import annotations

import enum
import math
import re
import struct
from dataclasses import dataclass

from bench.errors import ProtocolError
from bench.units import RPM_RAD_S

TERMINATOR = b"\n"
NAN_VALUE = 9.91e37
INF_VALUE = 9.9e37
NAN_FLOAT32 = 0x7E951BEE
INF_FLOAT32 = 0x7E94F56A


class Status(enum.IntEnum):
    OK = 0
    NO_DATA = 1  # "NAN"
    OVER_RANGE = 2  # "INF"


#: measurement functions → (SI unit, factor from the analyzer's unit to SI, needs an element)
FUNCTIONS: dict[str, tuple[str, float, bool]] = {
    "URMS": ("V", 1.0, True), "UMN": ("V", 1.0, True), "UDC": ("V", 1.0, True),
    "IRMS": ("A", 1.0, True), "IMN": ("A", 1.0, True), "IDC": ("A", 1.0, True),
    "P": ("W", 1.0, True), "S": ("VA", 1.0, True), "Q": ("var", 1.0, True),
    "LAMBDA": ("1", 1.0, True), "PHI": ("deg", 1.0, True), "FU": ("Hz", 1.0, True),
    "FI": ("Hz", 1.0, True),
    "SPEED": ("rad/s", RPM_RAD_S, False),  # the analyzer shows rpm
    "TORQUE": ("N·m", 1.0, False),
    "PM": ("W", 1.0, False),  # Pm = 2π·Speed·Torque/60
    "SYNCSP": ("rad/s", RPM_RAD_S, False),
    "SLIP": ("%", 1.0, False),
}
ELEMENTS = ("1", "2", "3", "4", "5", "6", "SIGMA", "SIGMB", "SIGMC")


@dataclass(frozen=True)
class Item:
    """One numeric item: ``function`` (e.g. ``P``) and ``element`` (``1``…``6``, ``SIGMA``, or None)."""

    function: str
    element: str | None = None

    @classmethod
    def parse(cls, text: str) -> Item:
        """``"P,SIGMA"`` / ``"URMS,1"`` / ``"SPEED"`` → Item; ValueError names what is wrong."""
        parts = [p.strip().upper() for p in text.split(",")]
        function = parts[0]
        if function not in FUNCTIONS:
            raise ValueError(f"unknown function {function!r} (known: {', '.join(FUNCTIONS)})")
        needs_element = FUNCTIONS[function][2]
        if needs_element and len(parts) != 2:
            raise ValueError(f"{function} needs an element: '{function},1' or '{function},SIGMA'")
        if not needs_element and len(parts) != 1:
            raise ValueError(f"{function} has no element")
        element = parts[1] if needs_element else None
        if element is not None and element not in ELEMENTS:
            raise ValueError(f"unknown element {element!r} (known: {', '.join(ELEMENTS)})")
        return cls(function, element)

    @property
    def si_unit(self) -> str:
        return FUNCTIONS[self.function][0]

    @property
    def to_si(self) -> float:
        return FUNCTIONS[self.function][1]

    def scpi(self) -> str:
        return self.function if self.element is None else f"{self.function},{self.element}"


@dataclass(frozen=True)
class Identity:
    manufacturer: str
    model: str
    serial: str
    firmware: str


def command(text: str) -> bytes:
    if "\n" in text or "\r" in text:
        raise ValueError(f"SCPI message must be one line: {text!r}")
    return text.encode("ascii") + TERMINATOR


def item_setup(items: list[Item]) -> list[bytes]:
    """Messages selecting ``items`` (in order) for ``:NUMeric:NORMal:VALue?`` in ASCII."""
    if not 1 <= len(items) <= 255:
        raise ValueError(f"1..255 numeric items, got {len(items)}")
    messages = [command(":NUMERIC:FORMAT ASCII"), command(f":NUMERIC:NORMAL:NUMBER {len(items)}")]
    messages += [command(f":NUMERIC:NORMAL:ITEM{n} {item.scpi()}") for n, item in enumerate(items, 1)]
    return messages


def _line(line: bytes, device: str, what: str) -> str:
    if not line.endswith(TERMINATOR):
        raise ProtocolError(device, f"{what}: answer not terminated by LF", line)
    try:
        text = line.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ProtocolError(device, f"{what}: answer is not ASCII", line) from None
    if not text or not text.isprintable():
        raise ProtocolError(device, f"{what}: empty or unprintable answer", line)
    return text


def parse_idn(line: bytes, device: str = "scpi") -> Identity:
    """IEEE 488.2 ``*IDN?``: four comma-separated fields."""
    fields = [f.strip() for f in _line(line, device, "*IDN?").split(",")]
    if len(fields) != 4:
        raise ProtocolError(device, f"*IDN? answer has {len(fields)} fields, expected 4", line)
    return Identity(*fields)


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _value(token: str) -> tuple[float, Status]:
    upper = token.upper()
    if upper in ("NAN", "+NAN", "-NAN"):
        return math.nan, Status.NO_DATA
    if upper in ("INF", "+INF", "-INF"):
        return math.nan, Status.OVER_RANGE
    if not _NUMBER.match(token):
        raise ValueError(token)
    value = float(token)
    if abs(value) == NAN_VALUE:
        return math.nan, Status.NO_DATA
    if abs(value) == INF_VALUE:
        return math.nan, Status.OVER_RANGE
    return value, Status.OK


def parse_numeric_ascii(line: bytes, count: int | None = None, device: str = "scpi"
                        ) -> tuple[tuple[float, ...], tuple[Status, ...]]:
    """A ``:NUMeric:NORMal:VALue?`` answer in ASCII → values (NaN where NAN/INF) and statuses."""
    text = _line(line, device, ":NUMERIC:NORMAL:VALUE?")
    if ":" in text or " " in text:  # ":NUM:NORM:VAL 1.2E+00,..." when headers are on
        text = text.rsplit(" ", 1)[-1]
    tokens = text.split(",")
    if count is not None and len(tokens) != count:
        raise ProtocolError(device, f"{len(tokens)} numeric values, expected {count}", line)
    values, statuses = [], []
    for token in tokens:
        try:
            value, status = _value(token.strip())
        except ValueError:
            raise ProtocolError(device, f"not a number: {token!r}", line) from None
        values.append(value)
        statuses.append(status)
    return tuple(values), tuple(statuses)


def parse_numeric_block(data: bytes, count: int | None = None, device: str = "scpi"
                        ) -> tuple[tuple[float, ...], tuple[Status, ...]]:
    """``:NUMeric:FORMat FLOat`` answer: ``#`` + digit count + length + big-endian float32s (+ LF)."""
    if len(data) < 2 or data[:1] != b"#" or not data[1:2].isdigit() or data[1:2] == b"0":
        raise ProtocolError(device, "not an IEEE 488.2 definite-length block", data)
    digits = int(data[1:2])
    header_end = 2 + digits
    length_text = data[2:header_end]
    if len(length_text) != digits or not length_text.isdigit():
        raise ProtocolError(device, "block length field is not numeric", data)
    length = int(length_text)
    body = data[header_end:header_end + length]
    if len(body) != length or length % 4:
        raise ProtocolError(device, f"block of {len(body)} bytes, header says {length} (4 per float)", data)
    words = struct.unpack(f">{length // 4}I", body)
    if count is not None and len(words) != count:
        raise ProtocolError(device, f"{len(words)} numeric values, expected {count}", data)
    values, statuses = [], []
    for word in words:
        if word == NAN_FLOAT32:
            values.append(math.nan)
            statuses.append(Status.NO_DATA)
        elif word == INF_FLOAT32:
            values.append(math.nan)
            statuses.append(Status.OVER_RANGE)
        else:
            values.append(struct.unpack(">f", word.to_bytes(4, "big"))[0])
            statuses.append(Status.OK)
    return tuple(values), tuple(statuses)


def parse_error(line: bytes, device: str = "scpi") -> tuple[int, str]:
    """An error-queue answer ``<code>,"<text>"`` (``0,"No error"`` when empty)."""
    text = _line(line, device, "error query")
    code_text, _, message = text.partition(",")
    try:
        code = int(code_text)
    except ValueError:
        raise ProtocolError(device, "error query answer does not start with a code", line) from None
    return code, message.strip().strip('"')
