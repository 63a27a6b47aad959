"""``bench check-config FILE``: validate a rig file (and the product spec it names), or a spec file alone,
and list every problem at once with key and line."""

from __future__ import annotations

import sys


def register(sub) -> None:
    parser = sub.add_parser("check-config", help="validate a rig file (with its product spec) or a spec "
                                                 "file, and list every problem")
    parser.add_argument("file", metavar="FILE", help="rig TOML file, or a product spec (specs/*.toml)")
    parser.set_defaults(func=run)


def _is_spec(path: str) -> bool:
    """A product spec has [limits] or [parameters] and no [devices]; anything else is read as a rig file."""
    from bench.schema import read_toml

    data, _, _ = read_toml(path)
    return ("limits" in data or "parameters" in data) and "devices" not in data


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _warn(warnings) -> None:
    for warning in warnings:
        print(f"bench: warning: {warning}", file=sys.stderr)


def run(args) -> int:
    from bench.config import load_rig_config
    from bench.errors import ConfigError
    from bench.sequences.spec import load_spec
    from bench.sequences.spec_check import check_spec

    if _is_spec(args.file):
        spec = load_spec(args.file)
        problems, warnings = check_spec(spec)
        _warn(warnings)
        if problems:
            raise ConfigError(problems, str(spec.path))
        print(f"{args.file}: OK (product spec {spec.unit.type}, {spec.unit.kind}, {_count(len(spec.limits), 'limit')})")
        return 0
    rig = load_rig_config(args.file)
    spec_note = ""
    if rig.unit.spec:
        spec = load_spec(rig.resolve(rig.unit.spec))
        problems, warnings = check_spec(spec, rig.unit)
        _warn(warnings)
        if problems:
            raise ConfigError(problems, str(spec.path))
        spec_note = f", spec {rig.unit.spec}: {_count(len(spec.limits), 'limit')}"
    print(f"{args.file}: OK ({rig.unit.kind} {rig.unit.model}, {len(rig.devices)} devices"
          f"{', simulated' if rig.is_simulated else ''}{spec_note})")
    return 0
