"""What a test sequence is: typed parameters, declared measurements with limits, setup/run/teardown.

A procedure is a subclass of :class:`Sequence`::

    @dataclass(frozen=True)
    class HysteresisParameters:
        peak_torque_fraction: float = 1.0      # of the rated torque
        ramp_time_s: float = 20.0
        lost_motion_window_fraction: float = 0.04

    class Hysteresis(Sequence):
        name = "hysteresis"
        title = "Static torsion loop (input locked)"
        Parameters = HysteresisParameters
        measurements = (
            Measurement("hysteresis_loss", unit="rad", display_unit="arcmin", high=arcmin_to_rad(1.0),
                        description="loop width at T = 0 after ±TN"),
        )

        def setup(self, ctx): ...
        def run(self, ctx): ...      # ctx.wait(), ctx.progress(), ctx.measure(), ctx.attach_plot_data()
        def teardown(self, ctx): ... # always runs; the runner calls rig.safe_state() after it

Limits declared here are defaults; a product specification (:mod:`bench.sequences.spec`) overrides
them per unit type. The runner (:mod:`bench.sequences.runner`) turns measured values into outcomes.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import typing
from dataclasses import dataclass
from typing import ClassVar

from bench.sequences.quantities import canonical_unit, si_unit_of, unit_info


class Outcome(enum.StrEnum):
    """Outcome of a whole run."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"  # an exception other than an abort escaped, or the record could not be completed
    ABORTED = "ABORTED"


class Verdict(enum.StrEnum):
    """Outcome of one measurement against its limits."""

    PASS = "PASS"
    MARGINAL = "MARGINAL"  # inside the limits but within the marginal band of one: passes, flagged
    FAIL = "FAIL"
    INVALID = "INVALID"  # not a finite number: cannot be shown to be inside limits, counts as FAIL
    NO_LIMITS = "NO_LIMITS"  # recorded for information; no limit applies
    MISSING = "MISSING"  # declared, never measured (the run ends in ERROR)


@dataclass(frozen=True)
class Limits:
    """Acceptance limits of one measurement, SI, inclusive (``low ≤ value ≤ high``).

    ``marginal`` is an absolute band (SI) inside each limit: a value closer than ``marginal`` to a
    limit it respects is MARGINAL. ``nominal`` is the catalogue value, shown in reports.
    """

    low: float | None = None
    high: float | None = None
    marginal: float = 0.0
    nominal: float | None = None
    source: str = ""  # where the limits come from ("spec csf-25-50.toml", "sequence default")

    def __post_init__(self) -> None:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low limit {self.low:g} is above high limit {self.high:g}")
        if not self.marginal >= 0:
            raise ValueError(f"marginal band must be ≥ 0, found {self.marginal:g}")

    @property
    def empty(self) -> bool:
        return self.low is None and self.high is None

    def evaluate(self, value: float) -> Verdict:
        """Verdict of ``value`` (SI) against these limits."""
        if self.empty:
            return Verdict.NO_LIMITS
        if not math.isfinite(value):
            return Verdict.INVALID
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            return Verdict.FAIL
        if self.marginal > 0 and ((self.low is not None and value < self.low + self.marginal)
                                  or (self.high is not None and value > self.high - self.marginal)):
            return Verdict.MARGINAL
        return Verdict.PASS


@dataclass(frozen=True)
class Measurement:
    """A declared measurement: name, SI unit, default limits, how to show it.

    ``unit`` is SI (``"rad"``, ``"N·m/rad"``); ``display_unit`` (``"arcmin"``, ``"Nm/arcmin"``) is
    what reports show. ``low`` / ``high`` / ``marginal`` are SI defaults, overridden by a product spec.
    """

    name: str
    unit: str
    low: float | None = None
    high: float | None = None
    marginal: float = 0.0
    display_unit: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"measurement name {self.name!r} must be an identifier (it is a key in specs)")
        object.__setattr__(self, "unit", canonical_unit(self.unit))
        Limits(self.low, self.high, self.marginal)  # same checks

    @property
    def limits(self) -> Limits:
        return Limits(self.low, self.high, self.marginal, source="sequence default")


@dataclass(frozen=True)
class NoParameters:
    """Parameters of a sequence that has none."""


def _field_problems(cls: type) -> list[str]:
    """Unit-suffix check of a Parameters dataclass: every float field names its unit."""
    problems = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        args = typing.get_args(tp)
        floats = tp is float or (args and all(a in (float, Ellipsis, type(None)) for a in args) and float in args)
        if floats and si_unit_of(f.name) is None:
            problems.append(f"{cls.__name__}.{f.name}: a float parameter must carry its unit in its name "
                            f"(e.g. _s, _rad, _rad_s, _nm, _hz, _fraction)")
    return problems


class Sequence:
    """Base class of test procedures. Subclasses set the class attributes and override the phases.

    ``setup`` prepares the rig (modes, enable, homing); ``run`` does the test and measures;
    ``teardown`` always runs (also after an error or an abort) and should leave devices idle; the
    runner calls ``rig.safe_state()`` after it in any case. Waits go through the context
    (``ctx.wait``) so that an abort interrupts them.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    Parameters: ClassVar[type] = NoParameters
    measurements: ClassVar[tuple[Measurement, ...]] = ()
    #: channels to record (None: every channel the hub carries)
    channels: ClassVar[tuple[str, ...] | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        problems = []
        if not cls.name:
            problems.append(f"{cls.__name__}: set the class attribute 'name' (used in records and specs)")
        params = cls.Parameters
        if not (dataclasses.is_dataclass(params) and params.__dataclass_params__.frozen):
            problems.append(f"{cls.__name__}.Parameters must be a frozen dataclass")
        else:
            problems += _field_problems(params)
        names = [m.name for m in cls.measurements]
        if not all(isinstance(m, Measurement) for m in cls.measurements):
            problems.append(f"{cls.__name__}.measurements must hold Measurement objects")
        for m in cls.measurements:
            info = unit_info(m.display_unit) if isinstance(m, Measurement) and m.display_unit else None
            if isinstance(m, Measurement) and m.display_unit and (info is None or info[0] != m.unit):
                problems.append(f"{cls.__name__}: measurement {m.name!r} in {m.unit} cannot be shown in "
                                f"{m.display_unit!r}")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"{cls.__name__}: measurement names declared twice: {', '.join(dupes)}")
        if problems:
            raise TypeError("; ".join(problems))

    @classmethod
    def measurement(cls, name: str) -> Measurement:
        for m in cls.measurements:
            if m.name == name:
                return m
        declared = ", ".join(m.name for m in cls.measurements) or "none"
        raise KeyError(f"sequence {cls.name!r} declares no measurement {name!r} (declared: {declared})")

    def setup(self, ctx) -> None:  # noqa: B027 - optional phase
        """Prepare the rig. Default: nothing."""

    def run(self, ctx) -> None:
        raise NotImplementedError(f"{type(self).__name__}.run")

    def teardown(self, ctx) -> None:  # noqa: B027 - optional phase
        """Leave the devices idle. Default: nothing (the runner calls rig.safe_state() anyway)."""
