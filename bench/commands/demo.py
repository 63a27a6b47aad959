"""``bench demo``: the main job on the simulated reducer bench — a torsion test, judged and reported."""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_RIG = ROOT / "configs" / "sim_reducer.toml"


def register(sub) -> None:
    parser = sub.add_parser("demo", help="run the hysteresis test on the simulated reducer bench and write its report")
    parser.add_argument("--runs-dir", metavar="DIR", default=None,
                        help="where the run folder goes (default: runs/ beside the project)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from bench.commands import run as run_command

    runs_dir = args.runs_dir or str(ROOT / "runs")
    print(f"Simulated bench: {DEMO_RIG.relative_to(ROOT)} (CSF-25-50-like harmonic drive, CiA 402 drives on a "
          "virtual CAN bus, Modbus torque flanges on pseudo-terminals)")
    return run_command.run(argparse.Namespace(
        procedure="hysteresis", rig=str(DEMO_RIG), spec=None, serial="SIM-0001", operator=None, set=[],
        runs_dir=runs_dir, report=["html", "pdf"], json=False))
