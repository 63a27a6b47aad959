"""Quantities written by people: ``"3 arcmin"``, ``"1500 rpm"``, ``"39 Nm"`` → SI floats.

Sequence parameters given on the command line (``--set speed_rad_s=1500rpm``) and limits written in a
product specification (``unit = "arcmin"``) are the two places where a display unit enters the
bench. Both go through :func:`parse_quantity` / :func:`to_si`, which know, for each SI unit, the
units a person may write instead, and refuse a unit of another dimension (``"5 Nm"`` for a speed).

The SI unit of a parameter comes from its name's suffix (``_rad_s`` → rad/s, see
:data:`NAME_SUFFIXES`), the convention of DESIGN.md. Conversion factors come from :mod:`bench.units`.
"""

from __future__ import annotations

import math
import re

from bench import units

# SI unit → {accepted spelling: factor to SI}; the SI spelling itself is always accepted.
_ACCEPTED: dict[str, dict[str, float]] = {
    "rad": {"rad": 1.0, "mrad": 1e-3, "urad": 1e-6, "µrad": 1e-6, "deg": units.DEG_RAD, "°": units.DEG_RAD,
            "arcmin": units.ARCMIN_RAD, "'": units.ARCMIN_RAD, "′": units.ARCMIN_RAD,
            "arcsec": units.ARCSEC_RAD, '"': units.ARCSEC_RAD, "″": units.ARCSEC_RAD, "rev": 2.0 * math.pi},
    "rad/s": {"rad/s": 1.0, "rpm": units.RPM_RAD_S, "1/min": units.RPM_RAD_S, "min-1": units.RPM_RAD_S,
              "deg/s": units.DEG_RAD},
    "rad/s²": {"rad/s²": 1.0, "rad/s2": 1.0, "rad/s^2": 1.0, "rpm/s": units.RPM_RAD_S, "deg/s2": units.DEG_RAD},
    "N·m": {"N·m": 1.0, "Nm": 1.0, "N*m": 1.0, "N.m": 1.0, "mNm": 1e-3, "N·cm": 1e-2, "Ncm": 1e-2, "kNm": 1e3},
    "N·m/rad": {"N·m/rad": 1.0, "Nm/rad": 1.0, "N*m/rad": 1.0, "kNm/rad": 1e3,
                "Nm/arcmin": units.NM_PER_ARCMIN_IN_NM_PER_RAD,
                "N·m/arcmin": units.NM_PER_ARCMIN_IN_NM_PER_RAD},
    "s": {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "min": 60.0, "h": 3600.0},
    "Hz": {"Hz": 1.0, "kHz": 1e3},
    "A": {"A": 1.0, "mA": 1e-3},
    "V": {"V": 1.0, "mV": 1e-3},
    "W": {"W": 1.0, "kW": 1e3, "mW": 1e-3},
    "°C": {"°C": 1.0, "C": 1.0, "degC": 1.0},
    "kg·m²": {"kg·m²": 1.0, "kgm2": 1.0, "kg*m^2": 1.0, "kg.m2": 1.0, "kg·cm²": 1e-4},
    "N·m·s/rad": {"N·m·s/rad": 1.0, "Nms/rad": 1.0},
    "N·m/A": {"N·m/A": 1.0, "Nm/A": 1.0},  # motor torque constant Kt
    "V·s/rad": {"V·s/rad": 1.0, "Vs/rad": 1.0, "V/krpm": 1.0 / (1000.0 * units.RPM_RAD_S)},  # back-EMF Ke
    "1": {"1": 1.0, "": 1.0, "%": 0.01},
}

#: name suffix → SI unit, longest first (``speed_rad_s`` is rad/s, not s).
NAME_SUFFIXES: tuple[tuple[str, str], ...] = tuple(sorted({
    "_rad": "rad", "_rad_s": "rad/s", "_rad_s2": "rad/s²", "_nm": "N·m", "_nm_rad": "N·m/rad",
    "_nm_s_rad": "N·m·s/rad", "_s": "s", "_hz": "Hz", "_a": "A", "_v": "V", "_w": "W", "_c": "°C",
    "_kgm2": "kg·m²", "_fraction": "1", "_ratio": "1", "_factor": "1",
}.items(), key=lambda kv: -len(kv[0])))

_NUMBER = re.compile(r"^\s*([+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|nan))\s*(.*?)\s*$", re.IGNORECASE)


def si_units() -> tuple[str, ...]:
    """The SI units this module knows."""
    return tuple(_ACCEPTED)


def si_unit_of(name: str) -> str | None:
    """SI unit implied by a unit-suffixed name (``"torque_nm"`` → ``"N·m"``), or None."""
    for suffix, unit in NAME_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return None


def unit_info(unit: str) -> tuple[str, float] | None:
    """``(si_unit, factor)`` for a unit spelling (``"arcmin"`` → ``("rad", 2.9e-4)``), or None if unknown."""
    if unit in _ACCEPTED:
        return unit, 1.0
    for si, spellings in _ACCEPTED.items():
        if unit in spellings:
            return si, spellings[unit]
    lowered = unit.lower()
    for si, spellings in _ACCEPTED.items():  # forgiving on case ("RPM", "nm"), exact matches won above
        for spelling, factor in spellings.items():
            if spelling.lower() == lowered and spelling not in ("mNm",):
                return si, factor
    return None


def canonical_unit(unit: str) -> str:
    """The SI spelling a unit belongs to (``"Nm/rad"`` → ``"N·m/rad"``); unknown units unchanged."""
    info = unit_info(unit)
    return info[0] if info and info[1] == 1.0 else unit


def accepted_units(si_unit: str) -> list[str]:
    return [u for u in _ACCEPTED.get(si_unit, {}) if u]


def to_si(value: float, unit: str, si_unit: str | None = None) -> float:
    """``value`` in ``unit`` → SI. With ``si_unit``, refuse a unit of another dimension (ValueError)."""
    info = unit_info(unit)
    if info is None:
        raise ValueError(f"unknown unit {unit!r}")
    if si_unit is not None and info[0] != canonical_unit(si_unit):
        raise ValueError(f"unit {unit!r} is {info[0]}, expected {si_unit} "
                         f"({', '.join(accepted_units(canonical_unit(si_unit))) or si_unit})")
    return float(value) * info[1]


def from_si(value_si: float, unit: str) -> float:
    """SI → ``unit`` (the inverse of :func:`to_si`)."""
    info = unit_info(unit)
    if info is None:
        raise ValueError(f"unknown unit {unit!r}")
    return float(value_si) / info[1]


def parse_quantity(text: str, si_unit: str | None) -> float:
    """``"1500 rpm"`` → 157.08 for ``si_unit="rad/s"``. A bare number is taken as SI.

    Raises ValueError naming the problem (not a number, unknown unit, unit of another dimension).
    """
    match = _NUMBER.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a number (optionally followed by a unit)")
    number, unit = float(match.group(1)), match.group(2)
    if not unit:
        return number
    if si_unit is None:
        raise ValueError(f"{text!r} has a unit but the name carries none; give a bare number")
    return to_si(number, unit, si_unit)
