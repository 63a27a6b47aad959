"""Typed loading of TOML tables into frozen dataclasses, with every problem reported at once.

A configuration dataclass declares its keys as fields. Field metadata may add bounds
(``field(metadata={"gt": 0})``, ``"ge"``, ``"le"``, ``"lt"``) and a help text (``"doc"``).
:func:`build` walks a parsed TOML mapping against such a class and collects every problem
(unknown key, missing key, wrong type, value out of bounds) with its dotted key path and its line
in the file, so that an operator fixes a broken file in one pass instead of one error at a time.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Union

from bench.errors import ConfigError, ConfigProblem

_MISSING = dataclasses.MISSING


class SourceMap:
    """Line numbers of the keys and tables of a TOML text, by dotted key path.

    ``[[array]]`` tables are indexed (``array[0].key``). Inline tables take the line of their key.
    """

    _header = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _key = re.compile(r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*=")

    def __init__(self, text: str = ""):
        self.lines: dict[str, int] = {}
        array_counts: dict[str, int] = {}
        table = ""
        in_multiline: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            header = self._header.match(line)
            if header:
                name = self._join(self._split(header.group(2)))
                if header.group(1) == "[[":
                    index = array_counts.get(name, 0)
                    array_counts[name] = index + 1
                    name = f"{name}[{index}]"
                else:
                    name = self._resolve_arrays(name, array_counts)
                table = name
                self.lines.setdefault(table, number)
                continue
            key = self._key.match(line)
            if key:
                parts = self._split(key.group(1))
                full = ".".join(p for p in [table, *parts] if p)
                self.lines.setdefault(full, number)
                rest = line[key.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) == 1:
                        in_multiline = quote
                inline = rest.strip()
                if inline.startswith("{"):
                    for inner in re.finditer(r"([A-Za-z0-9_\-]+)\s*=", inline):
                        self.lines.setdefault(f"{full}.{inner.group(1)}", number)

    @staticmethod
    def _split(dotted: str) -> list[str]:
        parts = re.findall(r"\"[^\"]*\"|'[^']*'|[^.\s]+", dotted)
        return [p[1:-1] if p[:1] in "\"'" else p for p in parts]

    @staticmethod
    def _join(parts: list[str]) -> str:
        return ".".join(parts)

    @staticmethod
    def _resolve_arrays(name: str, counts: dict[str, int]) -> str:
        # a sub-table of the latest element of an array of tables: [[a]] then [a.b] → a[N].b
        for array, count in sorted(counts.items(), key=lambda kv: -len(kv[0])):
            if name.startswith(array + "."):
                return f"{array}[{count - 1}]" + name[len(array):]
        return name

    def line(self, key_path: str) -> int | None:
        """Line of ``key_path`` or of its nearest parent that has one."""
        path = key_path
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


class Problems:
    """Collects :class:`ConfigProblem` s for one file."""

    def __init__(self, source: SourceMap, file: str | None):
        self.source = source
        self.file = file
        self.items: list[ConfigProblem] = []
        self.partials: dict[str, Any] = {}  # key path → partly built object, for cross-checks

    def add(self, key_path: str, message: str) -> None:
        self.items.append(ConfigProblem(key_path, message, self.source.line(key_path), self.file))

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items, self.file)


def read_toml(path: str | Path) -> tuple[dict[str, Any], SourceMap, str]:
    """Parse a TOML file; a missing file or a syntax error becomes a :class:`ConfigError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"file not found: {path}", str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise ConfigError([ConfigProblem("", f"TOML syntax error: {exc}", line, str(path))], str(path)) from None
    return data, SourceMap(text), text


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " or ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin in (list, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return f"array of {_type_name(args[0])}" if args else "array"
    if origin is dict:
        return f"table of {_type_name(typing.get_args(tp)[1])}"
    if dataclasses.is_dataclass(tp):
        return "table"
    return {float: "number", int: "integer", str: "string", bool: "boolean"}.get(tp, getattr(tp, "__name__", str(tp)))


def _found(value: Any) -> str:
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "table"}
    return f"{kind.get(type(value), type(value).__name__)} {value!r}" if not isinstance(value, (dict, list)) else kind[type(value)]


def convert(tp: Any, value: Any, key_path: str, problems: Problems) -> Any:
    """Convert ``value`` to type ``tp``; on failure record a problem and return ``_MISSING``."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return convert(args[0], value, key_path, problems)
        for arg in args:  # first that fits, quietly
            trial = Problems(problems.source, problems.file)
            result = convert(arg, value, key_path, trial)
            if not trial.items:
                return result
        problems.add(key_path, f"expected {_type_name(tp)}, found {_found(value)}")
        return _MISSING
    if origin is Literal:
        if value in typing.get_args(tp):
            return value
        problems.add(key_path, f"expected {_type_name(tp)}, found {_found(value)}")
        return _MISSING
    if origin in (list, tuple):
        if not isinstance(value, list):
            problems.add(key_path, f"expected {_type_name(tp)}, found {_found(value)}")
            return _MISSING
        args = typing.get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                problems.add(key_path, f"expected an array of {len(args)} values, found {len(value)}")
                return _MISSING
            item_types = list(args)
        else:
            item_types = [args[0] if args else Any] * len(value)
        items = [convert(t, v, f"{key_path}[{i}]", problems) for i, (t, v) in enumerate(zip(item_types, value))]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            problems.add(key_path, f"expected {_type_name(tp)}, found {_found(value)}")
            return _MISSING
        _, value_type = typing.get_args(tp)
        converted = {k: convert(value_type, v, f"{key_path}.{k}", problems) for k, v in value.items()}
        return {k: problems.partials.get(f"{key_path}.{k}", v) if v is _MISSING else v for k, v in converted.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            problems.add(key_path, f"expected a table, found {_found(value)}")
            return _MISSING
        return build(tp, value, key_path, problems)
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is bool or tp is str:
        if isinstance(value, tp):
            return value
    elif tp is Path:
        if isinstance(value, str):
            return Path(value)
    else:
        raise TypeError(f"schema type {tp!r} not supported (at {key_path})")
    problems.add(key_path, f"expected {_type_name(tp)}, found {_found(value)}")
    return _MISSING


_BOUNDS = {"gt": (lambda v, b: v > b, ">"), "ge": (lambda v, b: v >= b, "≥"),
           "lt": (lambda v, b: v < b, "<"), "le": (lambda v, b: v <= b, "≤")}


def build(cls: type, data: Mapping[str, Any], key_path: str, problems: Problems) -> Any:
    """Build dataclass ``cls`` from ``data``; returns ``_MISSING`` if any problem was found inside."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and not f.metadata.get("internal")}
    prefix = f"{key_path}." if key_path else ""
    before = len(problems.items)
    for key in data:
        if key not in fields:
            close = [name for name in fields if _similar(name, key)]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.add(f"{prefix}{key}", f"unknown key {key!r}{hint}; allowed: {', '.join(fields)}")
    kwargs = {}
    for name, f in fields.items():
        path = f"{prefix}{name}"
        if name not in data:
            if f.default is _MISSING and f.default_factory is _MISSING:
                problems.add(path, f"missing required key {name!r} ({_type_name(hints[name])})")
            continue
        value = convert(hints[name], data[name], path, problems)
        if value is _MISSING:
            if path in problems.partials:
                kwargs[name] = problems.partials[path]
            continue
        for bound, (ok, sign) in _BOUNDS.items():
            if bound in f.metadata and isinstance(value, (int, float)) and not ok(value, f.metadata[bound]):
                problems.add(path, f"must be {sign} {f.metadata[bound]:g}, found {value:g}")
        kwargs[name] = value
    failed = len(problems.items) > before
    if failed:
        obj = _partial(cls, kwargs)
    else:
        try:
            obj = cls(**kwargs)
        except (ValueError, TypeError) as exc:  # a class's own __post_init__ check
            problems.add(key_path, str(exc))
            return _MISSING
    check = getattr(obj, "check", None)
    if callable(check):
        try:
            for sub_path, message in check():
                problems.add(f"{prefix}{sub_path}" if sub_path else key_path, message)
        except (AttributeError, TypeError):  # a partial object lacks what the check needs
            pass
    if failed or len(problems.items) > before:
        problems.partials[key_path] = obj
        return _MISSING
    return obj


def _partial(cls: type, kwargs: dict[str, Any]) -> Any:
    """An instance holding the fields that did convert (and defaults), for cross-field checks."""
    obj = object.__new__(cls)
    for f in dataclasses.fields(cls):
        if f.name in kwargs and kwargs[f.name] is not _MISSING:
            value = kwargs[f.name]
        elif f.default is not _MISSING:
            value = f.default
        elif f.default_factory is not _MISSING:
            value = f.default_factory()
        else:
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not _MISSING}
        object.__setattr__(obj, f.name, value)
    return obj


def _similar(a: str, b: str) -> bool:
    if a == b:
        return False
    if abs(len(a) - len(b)) > 2:
        return False
    # edit distance ≤ 2 (small strings)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] <= 2


def load_section(cls: type, data: Mapping[str, Any], key_path: str, source: SourceMap | None = None,
                 file: str | None = None) -> Any:
    """Build ``cls`` from one table of an already parsed file (for example a driver's settings)."""
    problems = Problems(source or SourceMap(), file)
    obj = build(cls, data, key_path, problems)
    problems.raise_if_any()
    return obj
