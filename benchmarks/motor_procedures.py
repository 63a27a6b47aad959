"""Motor-bench procedures with their default parameters on the simulated motor bench: time and accuracy.

Run:  .venv/bin/python benchmarks/motor_procedures.py [torque_ripple cogging motor_constants]

Issue 7 target: each default procedure finishes within 2 minutes of wall time. For each procedure this
prints the wall time (rig open + run + close) and the run's own duration, their ratio to the 120 s
budget, and the ratio of the run's duration to the baseline measured in the same run: the time the
measurement itself needs (the recorded revolutions at the set speed, or the dwell windows), i.e. what
is left is ramps, settling and analysis. It also prints each result against the plant's configured
value (configs/sim_motor.toml [sim.drive_motor]) and the timing behind it (flange samples, largest
gap, host load): on a host short of CPU the polled flange's time stamps jitter and the angle-resolved
lines (ripple, cogging) come out low.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rig import Rig  # noqa: E402
from bench.sequences import build_parameters, run_sequence  # noqa: E402
from bench.sequences.procedures import PROCEDURES  # noqa: E402

BUDGET_S = 120.0
SIM_MOTOR = ROOT / "configs" / "sim_motor.toml"


def rig_file(folder: Path) -> Path:
    text = SIM_MOTOR.read_text(encoding="utf-8")
    text = re.sub(r'^(channel\s*=\s*)"sim_motor"', rf'\g<1>"bench_{uuid.uuid4().hex[:8]}"', text, count=1,
                  flags=re.MULTILINE)
    spec = re.search(r'^spec\s*=\s*"([^"]*)"', text, flags=re.MULTILINE)
    if spec:
        text = text.replace(spec.group(0), f'spec = "{(SIM_MOTOR.parent / spec.group(1)).resolve()}"')
    path = folder / "rig.toml"
    path.write_text(f'runs_dir = "{folder / "runs"}"\n' + text, encoding="utf-8")
    return path


def measuring_time_s(name: str, p) -> float:
    """The time the measurement itself needs with parameters ``p`` (the baseline)."""
    if name == "torque_ripple":
        return p.revolutions * 2 * math.pi / p.speed_rad_s
    if name == "cogging":
        return 2 * p.revolutions * 2 * math.pi / p.speed_rad_s
    if name == "motor_constants":
        return (p.kt_steps + 1 + p.ke_steps) * p.dwell_s
    raise KeyError(name)


def truth(name: str, motor, p) -> dict[str, float]:
    """What a perfect measurement finds (model: hil_mocks/plant/core.py)."""
    if name == "torque_ripple":
        a = {int(round(h.order * motor.pole_pairs)): h.amplitude * p.torque_fraction for h in motor.ripple}
        cog = math.lcm(motor.slots, 2 * motor.pole_pairs)
        a[cog] = a.get(cog, 0.0) + motor.cogging_amplitude_nm
        mean = p.torque_fraction * motor.rated_torque_nm - motor.coulomb_friction_nm \
            - motor.viscous_friction_nm_s_rad * p.speed_rad_s
        return {"mean_torque": mean, **{f"order {k}": v for k, v in sorted(a.items())}}
    if name == "cogging":
        return {"cogging_order": math.lcm(motor.slots, 2 * motor.pole_pairs),
                "cogging_amplitude": motor.cogging_amplitude_nm,
                "friction_torque": motor.coulomb_friction_nm + motor.viscous_friction_nm_s_rad * p.speed_rad_s}
    kt = motor.torque_constant_nm_a
    return {"torque_constant": kt, "back_emf_constant": kt / math.sqrt(3), "torque_constant_from_ke": kt}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("procedures", nargs="*", default=["torque_ripple", "cogging", "motor_constants"])
    args = parser.parse_args()
    print(f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'procedure':<16} {'outcome':<8} {'wall s':>7} {'run s':>7} {'wall/120 s':>10} "
          f"{'measuring s':>11} {'run/measuring':>13}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.procedures:
            cls = PROCEDURES[name]
            folder = Path(tmp) / name
            folder.mkdir()
            path = rig_file(folder)
            t0 = time.monotonic()
            with Rig.from_config(path) as rig:
                result = run_sequence(cls, rig)
                motor = rig.config.sim.drive_motor
            wall = time.monotonic() - t0
            params = build_parameters(cls.Parameters, sequence=name)
            base = measuring_time_s(name, params)
            print(f"{name:<16} {result.outcome!s:<8} {wall:7.1f} {result.duration_s:7.1f} {wall / BUDGET_S:10.2f} "
                  f"{base:11.1f} {result.duration_s / base:13.2f}", flush=True)
            rows.append((name, result, truth(name, motor, params)))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    for name, result, expected in rows:
        print(f"\n{name}: measured vs plant")
        for key, value in expected.items():
            if key.startswith("order "):
                order = int(key.split()[1])
                lines = dict((int(o), a) for o, a in result.measurement("torque_ripple").extra.get("orders", []))
                got = lines.get(order, math.nan)
            else:
                got = result.measurement(key).value
            print(f"  {key:<24} {got:12.6g}  plant {value:12.6g}  ratio {got / value:7.4f}")
        extra = result.measurements[0].extra
        if "torque_samples" in extra:
            print(f"  flange samples {extra['torque_samples']}, largest gap {extra['max_gap_s'] * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
