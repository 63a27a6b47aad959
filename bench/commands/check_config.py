"""``bench check-config RIG``: validate a rig file and list every problem at once."""

from __future__ import annotations


def register(sub) -> None:
    parser = sub.add_parser("check-config", help="validate a rig file and list every problem")
    parser.add_argument("rig", help="rig TOML file")
    parser.set_defaults(func=run)


def run(args) -> int:
    from bench.config import load_rig_config

    rig = load_rig_config(args.rig)
    print(f"{args.rig}: OK ({rig.unit.kind} {rig.unit.model}, {len(rig.devices)} devices"
          f"{', simulated' if rig.is_simulated else ''})")
    return 0
