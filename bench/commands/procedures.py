"""``bench procedures [NAME]``: what ``bench run`` can run, and each procedure's parameters and results.

Without a name: one line a procedure. With one: its parameters (what ``--set NAME=VALUE`` accepts, with
default, SI unit, bounds or choices) and its measurements (unit shown, limits). With ``--spec FILE`` or
``--rig FILE`` (its ``[unit].spec``), the values and limits that product specification sets are shown
in place of the procedure's own. ``--json`` gives the same for machines and for forms.
"""

from __future__ import annotations

import json
import math
import sys

from bench.commands.status import table
from bench.errors import ConfigError
from bench.units import rad_s_to_rpm, rad_to_arcmin

_BOUND_SIGNS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}


def register(sub) -> None:
    parser = sub.add_parser("procedures", help="list the test procedures, or one procedure's parameters "
                                               "and measurements")
    parser.add_argument("name", nargs="?", metavar="NAME", help="a procedure (as given to bench run)")
    parser.add_argument("--spec", metavar="FILE", help="show the parameters and limits this product "
                        "specification sets")
    parser.add_argument("--rig", metavar="FILE", help="use the product specification of this rig's [unit].spec")
    parser.add_argument("--json", action="store_true", help="print as JSON (for machines)")
    parser.set_defaults(func=run)


def _number(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


#: SI unit → (unit people think in, conversion) for a second reading of a default
_FRIENDLY = {"rad/s": ("rpm", rad_s_to_rpm), "rad": ("arcmin", rad_to_arcmin)}


def _default(info) -> str:
    """The default with its SI unit, and in rpm / arcmin too where that is how people think of it."""
    if info.required:
        return "(required)"
    value = info.default
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        return repr(value)
    values = list(value) if isinstance(value, tuple | list) else [value]
    listed = ", ".join(_number(v) for v in values)
    text = f"[{listed}]" if isinstance(value, tuple | list) else listed
    unit = info.si_unit if info.si_unit not in (None, "1") else ""
    if unit:
        text += f" {unit}"
    if unit in _FRIENDLY and all(isinstance(v, float | int) and v for v in values):
        name, convert = _FRIENDLY[unit]
        text += f" ({', '.join(f'{convert(float(v)):.4g}' for v in values)} {name})"
    return text


def _allowed(info) -> str:
    if info.choices:
        return "one of " + ", ".join(repr(c) for c in info.choices)
    return ", ".join(f"{_BOUND_SIGNS[k]} {_number(v)}" for k, v in info.bounds.items())


def _limit(value, measurement) -> str:
    from bench.units import to_display

    if value is None or (isinstance(value, float) and math.isinf(value)):
        return "-"
    return _number(float(to_display(value, measurement.display_unit))) if measurement.display_unit else _number(value)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    return ["  " + line for line in table(rows)]


def describe(cls, spec=None) -> dict:
    """A procedure as plain data: name, title, parameters, measurements (SI values and units), with
    the values and limits ``spec`` (a :class:`~bench.sequences.spec.ProductSpec`) sets where it does."""
    from bench.sequences.params import parameter_info

    from_spec = spec.parameters_for(cls.name) if spec is not None else {}
    limits = {m.name: spec.limits_for(m) if spec is not None else m.limits for m in cls.measurements}
    return {
        "name": cls.name, "title": cls.title, "version": cls.version,
        "spec": str(spec.path) if spec is not None and spec.path else None,
        "parameters": [{"name": p.name, "type": p.type_name, "default": None if p.required else p.default,
                        "spec_value": from_spec.get(p.name), "required": p.required, "si_unit": p.si_unit,
                        "choices": list(p.choices), "bounds": p.bounds, "doc": p.doc}
                       for p in parameter_info(cls.Parameters)],
        "measurements": [{"name": m.name, "unit": m.unit, "display_unit": m.display_unit or m.unit,
                          "low": limits[m.name].low, "high": limits[m.name].high,
                          "description": m.description} for m in cls.measurements],
    }


def _load_spec(args):
    from bench.sequences.spec import load_spec

    if args.spec:
        return load_spec(args.spec)
    if args.rig:
        from bench.config import load_rig_config

        rig = load_rig_config(args.rig)
        if rig.unit is None or not rig.unit.spec:
            raise ConfigError(f"rig file {args.rig} names no product specification ([unit].spec)", args.rig)
        return load_spec(rig.resolve(rig.unit.spec))
    return None


def run(args) -> int:
    from bench.sequences.procedures import PROCEDURES

    spec = _load_spec(args)
    if args.name is None:
        if args.json:
            print(json.dumps([describe(cls, spec) for cls in PROCEDURES.values()], indent=2, default=list))
            return 0
        print("\n".join(_table([(name, cls.title) for name, cls in PROCEDURES.items()])))
        print("\nbench procedures NAME shows one's parameters and measurements; "
              "bench run NAME --rig FILE runs it.")
        return 0
    cls = PROCEDURES.get(args.name)
    if cls is None:
        print(f"bench: no procedure {args.name!r}; procedures: {', '.join(PROCEDURES)}", file=sys.stderr)
        return 2
    info = describe(cls, spec)
    if args.json:
        print(json.dumps(info, indent=2, default=list))
        return 0
    from bench.sequences.params import parameter_info

    source = f"the product spec {spec.path}" if spec is not None else "the procedure's defaults"
    print(f"{cls.name}: {cls.title}")
    params = parameter_info(cls.Parameters)
    if params:
        print("\nparameters (bench run ... --set NAME=VALUE; a value may carry a unit, e.g. 1500rpm, 3arcmin):")
        rows = [("NAME", "DEFAULT", "ALLOWED", "WHAT")]
        for p, row in zip(params, info["parameters"]):
            value = _default(p) if row["spec_value"] is None else f"{_number(row['spec_value'])} (from the spec)"
            rows.append((p.name, value, _allowed(p), p.doc))
        print("\n".join(_table(rows)))
    print(f"\nmeasurements (limits: {source}):")
    rows = [("NAME", "UNIT", "LOW", "HIGH", "WHAT")]
    rows += [(m.name, m.display_unit or m.unit, _limit(row["low"], m), _limit(row["high"], m), m.description)
             for m, row in zip(cls.measurements, info["measurements"])]
    print("\n".join(_table(rows)))
    return 0
