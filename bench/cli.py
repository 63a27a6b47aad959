"""The ``bench`` command."""

from __future__ import annotations

import argparse
import sys

from bench.errors import BenchError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench", description="Test-bench controller for servo motors and precision reducers.")
    parser.add_argument("--version", action="version", version=f"bench {__import__('bench').__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check-config", help="validate a rig file and list every problem")
    check.add_argument("rig", help="rig TOML file")
    check.set_defaults(func=cmd_check_config)
    return parser


def cmd_check_config(args) -> int:
    from bench.config import load_rig_config

    rig = load_rig_config(args.rig)
    print(f"{args.rig}: OK ({rig.unit.kind} {rig.unit.model}, {len(rig.devices)} devices"
          f"{', simulated' if rig.is_simulated else ''})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
