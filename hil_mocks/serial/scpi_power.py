"""A simulated power analyzer in the Yokogawa WT style (DOMAIN.md 5.5), on loopback TCP or a pty.

Written from the WT communication manuals, not from the driver: program headers in long or short
form, any case (``:NUMeric:NORMal:ITEM1 P,1`` = ``:num:norm:item1 p,1``), ``*IDN?``, ``*RST``,
``*CLS``, ``:COMMunicate:HEADer``, ``:NUMeric:FORMat``, ``:NUMeric[:NORMal]:NUMber``,
``:NUMeric[:NORMal]:ITEM<n>``, ``:NUMeric[:NORMal]:VALue?``, ``:STATus:ERRor?`` (error queue;
``-113,"Undefined header"`` and ``-224,"Illegal parameter value"``). Several messages per line
separated by ``;``.

What it measures, from the plant: elements 1–3 are the three phases at the terminals of the motor
under test (axis ``in``): URMS = ``axis.voltage_v``, IRMS = ``axis.current_a``, P = one third of
``axis.electrical_power_w`` (mechanical power plus losses), S = U·I, LAMBDA = P/S (NAN when S is
0); SIGMA sums P and S and averages U and I. The motor function gives SPEED (rpm) from the axis,
TORQUE from the input flange and Pm = 2π·Speed·Torque/60. Values beyond ``voltage_range_v`` /
``current_range_a`` read INF. ``force`` makes an item read NAN or INF on demand.
"""

from __future__ import annotations

import math
import re

from hil_mocks.serial.base import LineInstrument, LineSplitter

# (long form, short form) of the header mnemonics this analyzer knows
_MNEMONICS = [("NUMERIC", "NUM"), ("NORMAL", "NORM"), ("ITEM", "ITEM"), ("VALUE", "VAL"), ("NUMBER", "NUMB"),
              ("FORMAT", "FORM"), ("COMMUNICATE", "COMM"), ("HEADER", "HEAD"), ("VERBOSE", "VERB"),
              ("STATUS", "STAT"), ("ERROR", "ERR")]
_FUNCTIONS = {"URMS", "IRMS", "P", "S", "Q", "LAMBDA", "SPEED", "TORQUE", "PM"}
_ELEMENT_FUNCTIONS = {"URMS", "IRMS", "P", "S", "Q", "LAMBDA"}


def _canonical(node: str) -> str | None:
    """``NUMeric``/``NUM``/``numeric`` → ``NUMERIC``; the numeric suffix of ITEM<n> is kept."""
    match = re.fullmatch(r"([A-Za-z]+)(\d*)", node)
    if not match:
        return None
    word, suffix = match.group(1).upper(), match.group(2)
    for long, short in _MNEMONICS:
        if word in (long, short):
            return long + suffix
    return None


class SimulatedPowerAnalyzer(LineInstrument):
    kind = "wt"

    def __init__(self, source, plant_lock=None, endpoint: str = "tcp", name: str | None = None, *,
                 axis: str = "in", flange: str = "torque_in", voltage_range_v: float = 600.0,
                 current_range_a: float = 50.0,
                 idn: str = "YOKOGAWA,WT1806,SIM00001,F1.01 (simulated)"):
        super().__init__(source, plant_lock, endpoint, name)
        self.axis = axis
        self.flange = flange
        self.voltage_range_v = voltage_range_v
        self.current_range_a = current_range_a
        self.idn = idn
        self.force: dict[str, str] = {}  # item text ("P,1") → "NAN" or "INF"
        self.errors: list[tuple[int, str]] = []
        self.header = True
        self.items: list[tuple[str, str | None]] = []
        self.number = 0
        self.reset()
        self._splitter = LineSplitter(b"\n")

    def reset(self) -> None:
        self.header = True
        self.items = [("URMS", "1"), ("IRMS", "1"), ("P", "1"), ("P", "SIGMA")]
        self.number = len(self.items)

    # -- values ---------------------------------------------------------------------------------
    def _snapshot(self) -> dict[str, float]:
        def take(plant):
            axis = plant.axes[self.axis]
            return {"u": axis.voltage_v, "i": axis.current_a, "p": axis.electrical_power_w,
                    "speed": axis.speed_rad_s, "torque": getattr(plant.sensors, self.flange).read()}
        return self.read_source(take)

    def _item_value(self, function: str, element: str | None, world: dict[str, float]) -> str:
        key = function if element is None else f"{function},{element}"
        if key in self.force:
            return self.force[key]
        u, i, p = abs(world["u"]), abs(world["i"]), world["p"]
        p_element = p / 3.0 if element != "SIGMA" else p
        s_element = u * i if element != "SIGMA" else 3.0 * u * i
        if function == "URMS":
            return "INF" if u > self.voltage_range_v else f"{u:.5E}"
        if function == "IRMS":
            return "INF" if i > self.current_range_a else f"{i:.5E}"
        if function in ("P", "S", "Q", "LAMBDA") and (u > self.voltage_range_v or i > self.current_range_a):
            return "INF"  # a power computed from an over-range input is over range too
        if function == "P":
            return f"{p_element:.5E}"
        if function == "S":
            return f"{s_element:.5E}"
        if function == "Q":
            return f"{math.sqrt(max(s_element ** 2 - p_element ** 2, 0.0)):.5E}"
        if function == "LAMBDA":
            return "NAN" if s_element == 0.0 else f"{p_element / s_element:.5E}"
        speed_rpm = world["speed"] * 60.0 / (2.0 * math.pi)
        if function == "SPEED":
            return f"{speed_rpm:.5E}"
        torque = world["torque"]
        if math.isnan(torque):
            return "NAN"
        if function == "TORQUE":
            return f"{torque:.5E}"
        return f"{2.0 * math.pi * speed_rpm * torque / 60.0:.5E}"  # PM

    # -- messages -------------------------------------------------------------------------------
    def on_bytes(self, data: bytes) -> None:
        for raw in self._splitter.feed(data):
            text = raw.decode("ascii", "replace").strip()
            self.requests += 1
            answers = [a for a in (self._message(m.strip()) for m in text.split(";") if m.strip()) if a is not None]
            if answers:
                self.reply((";".join(answers) + "\n").encode("ascii"))

    def _error(self, code: int, text: str) -> None:
        self.errors.append((code, text))
        del self.errors[:-30]

    def _message(self, message: str) -> str | None:
        header, _, argument = message.partition(" ")
        argument = argument.strip()
        upper = header.upper()
        if upper == "*IDN?":
            return self.idn
        if upper == "*RST":
            self.reset()
            return None
        if upper == "*CLS":
            self.errors.clear()
            return None
        query = header.endswith("?")
        nodes = [_canonical(n) for n in header.rstrip("?").lstrip(":").split(":")]
        if None in nodes:
            self._error(-113, "Undefined header")
            return None
        if nodes and nodes[0] == "NUMERIC" and (len(nodes) < 2 or nodes[1] != "NORMAL"):
            nodes.insert(1, "NORMAL")  # [:NORMal] is optional
        path = ":".join(nodes)
        if path == "STATUS:ERROR" and query:
            code, text = self.errors.pop(0) if self.errors else (0, "No error")
            return f'{code},"{text}"'
        if path == "COMMUNICATE:HEADER" and not query:
            self.header = argument.upper() in ("ON", "1")
            return None
        if path in ("COMMUNICATE:VERBOSE", "NUMERIC:NORMAL:FORMAT") and not query:
            if path.endswith("FORMAT") and argument.upper() not in ("ASCII", "ASC"):
                self._error(-224, "Illegal parameter value")  # this simulator sends ASCii only
            return None
        if path == "NUMERIC:NORMAL:NUMBER":
            if query:
                return str(self.number)
            try:
                number = int(argument)
            except ValueError:
                number = 0
            if not 1 <= number <= 255:
                self._error(-224, "Illegal parameter value")
            else:
                self.number = number
            return None
        item = re.fullmatch(r"NUMERIC:NORMAL:ITEM(\d+)", path)
        if item and not query:
            index = int(item.group(1))
            parts = [p.strip().upper() for p in argument.split(",")]
            function = parts[0]
            element = parts[1] if len(parts) > 1 else None
            valid = (function in _FUNCTIONS and 1 <= index <= 255
                     and ((function in _ELEMENT_FUNCTIONS) == (element is not None))
                     and element in (None, "1", "2", "3", "SIGMA"))
            if not valid:
                self._error(-224, "Illegal parameter value")
                return None
            while len(self.items) < index:
                self.items.append(("URMS", "1"))
            self.items[index - 1] = (function, element)
            return None
        if path == "NUMERIC:NORMAL:VALUE" and query:
            world = self._snapshot()
            values = ",".join(self._item_value(f, e, world) for f, e in self.items[: self.number])
            return (":NUM:NORM:VAL " + values) if self.header else values
        self._error(-113, "Undefined header")
        return None

    def on_unplug(self) -> None:
        self._splitter.clear()
