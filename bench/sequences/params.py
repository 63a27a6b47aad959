"""Build a sequence's frozen Parameters from defaults, a product spec and overrides.

Overrides come from Python (typed values, taken as SI) or from the CLI (``--set name=value``
strings). A string is parsed to the field's type; for a unit-suffixed float field it may carry a
unit of the same dimension (``ramp_time_s=500ms``, ``speed_rad_s=1500rpm``,
``window_rad=1arcmin``). Every problem (unknown name, bad number, wrong unit, out of bounds) is
reported at once in one :class:`bench.errors.ConfigError`, like a bad rig file.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union

from bench.errors import ConfigError
from bench.schema import Problems, SourceMap, build
from bench.sequences.quantities import parse_quantity, si_unit_of

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_set_options(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["speed_rad_s=100rpm", "cycles=3"]`` → ``{"speed_rad_s": "100rpm", "cycles": "3"}``."""
    out: dict[str, str] = {}
    bad = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            bad.append(item)
            continue
        out[name.strip()] = value.strip()
    if bad:
        raise ConfigError(f"--set expects name=value, got: {', '.join(repr(b) for b in bad)}", "--set")
    return out


def _parse_text(tp: Any, text: str, name: str) -> Any:
    """Parse one string to ``tp``; raises ValueError with the reason."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if type(None) in typing.get_args(tp) and text.lower() in ("none", ""):
            return None
        errors = []
        for arg in args:
            try:
                return _parse_text(arg, text, name)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors))
    if origin is Literal:
        for choice in typing.get_args(tp):
            if str(choice) == text:
                return choice
        raise ValueError(f"expected one of {', '.join(repr(c) for c in typing.get_args(tp))}, found {text!r}")
    if origin in (list, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis] or [str]
        parts = [p.strip() for p in text.strip("[]() ").split(",") if p.strip()]
        return [_parse_text(args[0] if len(args) == 1 else args[i], p, name) for i, p in enumerate(parts)]
    if tp is float:
        return parse_quantity(text, si_unit_of(name))
    if tp is int:
        try:
            return int(text, 0)
        except ValueError:
            raise ValueError(f"expected an integer, found {text!r}") from None
    if tp is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"expected true or false, found {text!r}")
    if tp is str:
        return text
    raise ValueError(f"cannot set a parameter of type {tp!r} from text")


def _as_toml_value(value: Any) -> Any:
    """Typed Python value → what bench.schema expects from TOML (lists for tuples)."""
    if isinstance(value, tuple):
        return [_as_toml_value(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (list, dict)):  # numpy scalar
        return value.item()
    return value


def build_parameters(cls: type, *layers: Mapping[str, Any] | None, sequence: str = "") -> Any:
    """Parameters ``cls`` from its defaults overlaid by ``layers`` (later wins).

    String values are parsed with units (see module doc); other values are taken as SI. Raises
    :class:`ConfigError` listing every problem, with key paths ``parameters.NAME``.
    """
    label = f"parameters of sequence {sequence!r}" if sequence else "sequence parameters"
    problems = Problems(SourceMap(), label)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    merged: dict[str, Any] = {}
    for f in fields.values():
        if f.default is not dataclasses.MISSING:
            merged[f.name] = _as_toml_value(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            merged[f.name] = _as_toml_value(f.default_factory())
    for layer in layers:
        for name, value in (layer or {}).items():
            if isinstance(value, str) and name in fields and hints[name] is not str:
                try:
                    value = _parse_text(hints[name], value, name)
                except ValueError as exc:
                    problems.add(f"parameters.{name}", str(exc))
                    continue
            merged[name] = _as_toml_value(value)
    result = build(cls, merged, "parameters", problems)
    problems.raise_if_any()
    return result


@dataclasses.dataclass(frozen=True)
class ParameterInfo:
    """One parameter as a form or ``--help`` shows it."""

    name: str
    type_name: str
    default: Any  # dataclasses.MISSING-free: None when the parameter is required
    required: bool
    si_unit: str | None  # from the name's suffix; None for ints, strings, choices
    choices: tuple[Any, ...] = ()
    doc: str = ""
    bounds: dict[str, float] = dataclasses.field(default_factory=dict)


def parameter_info(cls: type) -> list[ParameterInfo]:
    """What a GUI form or the CLI needs to offer a sequence's parameters (name, type, default, unit)."""
    from bench.schema import _type_name

    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if f.default is not dataclasses.MISSING:
            default, required = f.default, False
        elif f.default_factory is not dataclasses.MISSING:
            default, required = f.default_factory(), False
        else:
            default, required = None, True
        choices = typing.get_args(tp) if typing.get_origin(tp) is Literal else ()
        unit = si_unit_of(f.name) if not choices and tp is not str else None
        bounds = {k: float(f.metadata[k]) for k in ("gt", "ge", "lt", "le") if k in f.metadata}
        out.append(ParameterInfo(f.name, _type_name(tp), default, required, unit, choices,
                                 str(f.metadata.get("doc", "")), bounds))
    return out


def parameters_record(params: Any) -> dict[str, Any]:
    """Parameters as a JSON-able dict (for the run record): ``{name: value}`` with SI values."""
    out = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


__all__ = ["build_parameters", "parse_set_options", "parameters_record", "parameter_info", "ParameterInfo",
           "ConfigError"]
