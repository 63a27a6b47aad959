"""Product specifications: the acceptance limits of one unit type, in a TOML file under ``specs/``.

A spec file says which unit type it covers and the limit of each measurement, in the unit the
catalogue uses (stated explicitly per limit; converted to SI on load)::

    title = "CSF-25-50-2UH acceptance limits"
    source = "Harmonic Drive AG CHA gear data, tables 54.1–54.4"

    [unit]
    type = "CSF-25-50"            # the key trends are grouped by
    kind = "reducer"
    model = "CSF-25-50-2UH"
    rated_torque_nm = 39.0
    ratio = 50

    [parameters.hysteresis]       # per-procedure parameter defaults (e.g. the vendor's window)
    lost_motion_window_fraction = 0.04

    [limits.hysteresis_loss]      # a measurement name
    unit = "arcmin"               # unit of low / high / marginal / nominal below
    high = 1.0
    marginal = 0.1                # inside the limit but this close to it: MARGINAL
    description = "loop width at T = 0 after ±TN"

    [limits.lost_motion]
    unit = "arcmin"
    high = 1.0
    conditions = { window_fraction = 0.04 }   # the test condition the limit holds for (±4 % TN)

Limits are inclusive. :func:`load_spec` reports every problem of a file at once, with key path and
line (:mod:`bench.schema`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench.errors import ConfigError, ConfigProblem
from bench.schema import Problems, build, read_toml
from bench.sequences.base import Limits, Measurement
from bench.sequences.quantities import (
    accepted_units,
    canonical_unit,
    si_units,
    to_si,
    unit_info,
)


@dataclass(frozen=True)
class UnitSpec:
    """The unit type a spec covers."""

    type: str
    rated_torque_nm: float = field(metadata={"gt": 0})
    kind: Literal["reducer", "motor"] = "reducer"
    model: str = ""
    ratio: float = 1.0
    t1_nm: float | None = field(default=None, metadata={"gt": 0})  # HD three-slope limit torques
    t2_nm: float | None = field(default=None, metadata={"gt": 0})
    description: str = ""

    def check(self):
        if not self.type.strip():
            yield "type", "must not be empty (runs and trends are grouped by it)"
        if self.ratio == 0:
            yield "ratio", "must not be 0 (N = ω_in / ω_out)"
        if self.t1_nm is not None and self.t2_nm is not None and self.t1_nm >= self.t2_nm:
            yield "t2_nm", f"T2 ({self.t2_nm:g} N·m) must be above T1 ({self.t1_nm:g} N·m)"


@dataclass(frozen=True)
class LimitEntry:
    """One ``[limits.NAME]`` table as written (in ``unit``)."""

    unit: str
    low: float | None = None
    high: float | None = None
    marginal: float = field(default=0.0, metadata={"ge": 0})
    nominal: float | None = None
    description: str = ""
    source: str = ""
    conditions: dict[str, float | str] = field(default_factory=dict)  # e.g. window_fraction = 0.04

    def check(self):
        if unit_info(self.unit) is None:
            known = ", ".join(u for si in si_units() for u in [si, *accepted_units(si)] if u)
            yield "unit", f"unknown unit {self.unit!r}; known: {known}"
        if self.low is None and self.high is None:
            yield "", "give low, high or both"
        if self.low is not None and self.high is not None:
            if self.low > self.high:
                yield "low", f"low ({self.low:g}) is above high ({self.high:g})"
            elif self.marginal * 2 > self.high - self.low:
                yield "marginal", (f"marginal band {self.marginal:g} is wider than half the range "
                                   f"{self.low:g}…{self.high:g}")


@dataclass(frozen=True)
class SpecFile:
    unit: UnitSpec
    title: str = ""
    source: str = ""
    limits: dict[str, LimitEntry] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)

    def check(self):
        for name in self.limits:
            if not name.isidentifier():
                yield f"limits.{name}", f"{name!r} is not a measurement name (letters, digits, _)"


@dataclass(frozen=True)
class LimitSpec:
    """A limit converted to SI, with where it was written (for error messages and reports)."""

    name: str
    si_unit: str
    limits: Limits
    unit: str  # as written in the file (reports show limits in it)
    description: str = ""
    line: int | None = None
    conditions: dict[str, float | str] = field(default_factory=dict)  # the test conditions the limit holds for


@dataclass(frozen=True)
class ProductSpec:
    """A loaded product specification; limits in SI."""

    unit: UnitSpec
    limits: dict[str, LimitSpec]
    parameters: dict[str, dict[str, Any]]
    title: str = ""
    source: str = ""
    path: Path | None = None
    sha256: str = ""

    @property
    def unit_type(self) -> str:
        return self.unit.type

    def limits_for(self, measurement: Measurement) -> Limits:
        """Limits for ``measurement``: the spec's if it has them (unit checked), else the declared ones.

        Raises :class:`ConfigError` naming the spec key and line when the spec's unit is not of the
        measurement's dimension (``arcmin`` for a stiffness).
        """
        entry = self.limits.get(measurement.name)
        if entry is None:
            return measurement.limits
        if entry.si_unit != canonical_unit(measurement.unit):
            raise ConfigError([ConfigProblem(
                f"limits.{measurement.name}.unit",
                f"unit {entry.unit!r} is {entry.si_unit}, but measurement {measurement.name!r} is in "
                f"{measurement.unit}", entry.line, str(self.path) if self.path else None)],
                str(self.path) if self.path else None)
        return entry.limits

    def parameters_for(self, sequence_name: str) -> dict[str, Any]:
        return dict(self.parameters.get(sequence_name, {}))

    def record(self) -> dict[str, Any]:
        """What the run record keeps of the spec."""
        return {"path": str(self.path) if self.path else None, "sha256": self.sha256, "title": self.title,
                "type": self.unit.type, "source": self.source}


def load_spec(path: str | Path) -> ProductSpec:
    """Load and validate a spec file; raises :class:`ConfigError` listing every problem."""
    path = Path(path)
    data, source, text = read_toml(path)
    problems = Problems(source, str(path))
    raw = build(SpecFile, data, "", problems)
    problems.raise_if_any()
    limits = {}
    for name, entry in raw.limits.items():
        si_unit, _ = unit_info(entry.unit)

        def si(value, entry=entry):
            return None if value is None else to_si(value, entry.unit)

        # a marginal band is a difference: no offset units exist here, so the factor applies as is
        lim = Limits(si(entry.low), si(entry.high), si(entry.marginal) or 0.0, si(entry.nominal),
                     source=f"spec {path.name}" + (f" ({entry.source})" if entry.source else ""))
        limits[name] = LimitSpec(name, si_unit, lim, entry.unit, entry.description,
                                 source.line(f"limits.{name}.unit"), dict(entry.conditions))
    return ProductSpec(raw.unit, limits, dict(raw.parameters), raw.title, raw.source, path.resolve(),
                       hashlib.sha256(text.encode()).hexdigest())
