"""A product specification checked against the procedures and the rig, before any run.

Loading a spec checks its own shape; what it says about procedures is otherwise found only when a run
starts (a limit in a unit of the wrong dimension) or never (a misspelt measurement name whose limit is
silently not applied). :func:`check_spec` finds these at once, with key and line, for
``bench check-config``; the runner refuses a spec for another unit through :func:`unit_mismatches`.
A limit that no procedure measures is a problem when its name is close to one that a procedure does
(a misspelling), and otherwise a warning: a catalogue value kept for a procedure to come.
"""

from __future__ import annotations

import difflib

from bench.errors import ConfigError, ConfigProblem
from bench.schema import read_toml
from bench.sequences.quantities import canonical_unit
from bench.sequences.spec import ProductSpec


def unit_mismatches(spec: ProductSpec, unit) -> list[str]:
    """How ``spec`` disagrees with the rig's ``[unit]`` (kind, ratio, rated torque): a list of sentences."""
    problems = []
    if spec.unit.kind != unit.kind:
        problems.append(f"spec {spec.unit.type!r} is for a {spec.unit.kind}, the rig tests a {unit.kind}")
    if abs(spec.unit.ratio - unit.ratio) > 1e-9 * max(1.0, abs(unit.ratio)):
        problems.append(f"spec ratio {spec.unit.ratio:g} differs from the rig's unit ratio {unit.ratio:g}")
    if abs(spec.unit.rated_torque_nm - unit.rated_torque_nm) > 1e-3 * unit.rated_torque_nm:
        problems.append(f"spec rated torque {spec.unit.rated_torque_nm:g} N·m differs from the rig's unit "
                        f"{unit.rated_torque_nm:g} N·m (procedures load to fractions of TN)")
    return problems


def _hint(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_spec(spec: ProductSpec, unit=None) -> tuple[list[ConfigProblem], list[ConfigProblem]]:
    """``(problems, warnings)``: every limit names a measurement some procedure takes, in a unit of its
    dimension; every ``[parameters.PROCEDURE]`` table names a procedure and builds its parameters; with
    the rig's ``unit``, the spec is for that unit. Each with key path, line and file."""
    from bench.sequences.params import build_parameters
    from bench.sequences.procedures import PROCEDURES

    file = str(spec.path) if spec.path else None
    _, source, _ = read_toml(spec.path) if spec.path else ({}, None, "")

    def problem(key: str, message: str) -> ConfigProblem:
        return ConfigProblem(key, message, source.line(key) if source else None, file)

    measured: dict[str, list] = {}
    for cls in PROCEDURES.values():
        for m in cls.measurements:
            measured.setdefault(m.name, []).append((cls.name, m))
    out, warnings = [], []
    for name, entry in spec.limits.items():
        takers = measured.get(name)
        if not takers:
            hint = _hint(name, measured)
            (out if hint else warnings).append(problem(
                f"limits.{name}", f"no procedure measures {name!r}{hint}; this limit is never applied"))
            continue
        procedure, m = takers[0]
        if entry.si_unit != canonical_unit(m.unit):
            out.append(problem(f"limits.{name}.unit", f"unit {entry.unit!r} is {entry.si_unit}, but {procedure} "
                                                      f"measures {name!r} in {m.unit}"))
    for procedure, values in spec.parameters.items():
        cls = PROCEDURES.get(procedure)
        if cls is None:
            out.append(problem(f"parameters.{procedure}",
                               f"no procedure {procedure!r}{_hint(procedure, PROCEDURES)}"))
            continue
        try:
            build_parameters(cls.Parameters, values, sequence=procedure)
        except ConfigError as exc:
            for p in exc.problems:  # key paths "parameters.NAME" → "parameters.PROCEDURE.NAME" in the spec
                key = p.key_path.replace("parameters", f"parameters.{procedure}", 1)
                out.append(problem(key, p.message))
    if unit is not None:
        out += [problem("unit", message) for message in unit_mismatches(spec, unit)]
    return out, warnings
