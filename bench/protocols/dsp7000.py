"""Magtrol DSP7000 dynamometer controller: the ASCII command set (DOMAIN.md 5.6, Magtrol manual ch. 7).

Commands are uppercase ASCII, one per line, ended by CR LF. ``OD1`` / ``OD2`` return a fixed-length
record ``SddddddTdddd.R`` + CR LF: speed in rpm (no leading zeroes), torque in the unit selected on
the front panel (always with a decimal point), then ``R`` (clockwise, seen at the dynamometer shaft),
``L`` (counter-clockwise) or ``A`` (alarm). ``Q1,xx.xx`` sets the closed-loop torque point (brake on),
``Q1`` releases it, ``TS1`` / ``TR1`` switch tare on / off.

Streaming: the real DSP7000 is polled. ``stream_command`` builds ``ODS<ch>,<rate>``, a convention of
this project's simulator for a continuously transmitting readout in the same OD format (it is not
in the Magtrol manual; on a real controller poll ``OD``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bench.errors import ProtocolError

TERMINATOR = b"\r\n"

#: torque display units of the DSP7000 setup → N·m per unit
TORQUE_UNITS_NM: dict[str, float] = {
    "N.m": 1.0,
    "N.cm": 1e-2,
    "mN.m": 1e-3,
    "kg.cm": 0.0980665,
    "g.cm": 9.80665e-5,
    "oz.in": 0.00706155181640625,  # 1 ozf·in = 0.0283495 kg · 9.80665 m/s² · 0.0254 m
    "oz.ft": 0.0847386217968750,
    "lb.in": 0.1129848290276167,
    "lb.ft": 1.3558179483314004,
}

_OD = re.compile(rb"^S *(-?\d+)T *(-?\d*\.\d*)([RLA])\r\n$")


@dataclass(frozen=True)
class OdRecord:
    """One ``OD`` answer as the controller sends it (display units, direction letter)."""

    speed_rpm: float
    torque_display: float
    direction: str  # "R" clockwise, "L" counter-clockwise, "A" alarm

    @property
    def alarm(self) -> bool:
        return self.direction == "A"


def command(text: str) -> bytes:
    """Encode one command line (uppercase ASCII + CR LF)."""
    if "\r" in text or "\n" in text:
        raise ValueError(f"DSP7000 command must be one line: {text!r}")
    return text.upper().encode("ascii") + TERMINATOR


def identify() -> bytes:
    return command("*IDN?")


def output_data(channel: int = 1) -> bytes:
    _check_channel(channel)
    return command(f"OD{channel}")


def set_torque(value_display: float, channel: int = 1) -> bytes:
    """``Q<ch>,xx.xx``: closed-loop torque set point in display units (brake ON)."""
    _check_channel(channel)
    if value_display < 0:
        raise ValueError(f"DSP7000 torque set point must be >= 0 (the brake only loads), got {value_display}")
    return command(f"Q{channel},{value_display:.2f}")


def release(channel: int = 1) -> bytes:
    """``Q<ch>``: release the closed-loop set point."""
    _check_channel(channel)
    return command(f"Q{channel}")


def tare(on: bool, channel: int = 1) -> bytes:
    _check_channel(channel)
    return command(f"{'TS' if on else 'TR'}{channel}")


def stream_command(rate_hz: float, channel: int = 1) -> bytes:
    """Start (rate > 0) or stop (rate 0) continuous OD output (simulator convention, see module doc)."""
    _check_channel(channel)
    return command(f"ODS{channel},{rate_hz:g}")


def parse_od(line: bytes, device: str = "dsp7000") -> OdRecord:
    """Decode one OD record including its CR LF; raise :class:`ProtocolError` with the raw bytes."""
    match = _OD.match(line)
    if match is None:
        raise ProtocolError(device, "malformed OD record (expected SddddddTdddd.R|L|A CR LF)", line)
    speed, torque, direction = match.groups()
    try:
        torque_value = float(torque)
    except ValueError:
        raise ProtocolError(device, "OD torque field has no digits", line) from None
    return OdRecord(float(speed), torque_value, direction.decode("ascii"))


def parse_idn(line: bytes, device: str = "dsp7000") -> str:
    """The ``*IDN?`` answer as text (printable ASCII, not empty)."""
    if not line.endswith(TERMINATOR):
        raise ProtocolError(device, "*IDN? answer not terminated by CR LF", line)
    text = line[:-2]
    if not text or any(b < 0x20 or b > 0x7E for b in text):
        raise ProtocolError(device, "*IDN? answer is empty or not printable ASCII", line)
    return text.decode("ascii")


def _check_channel(channel: int) -> None:
    if channel not in (1, 2):
        raise ValueError(f"DSP7000 channel must be 1 or 2, got {channel}")
