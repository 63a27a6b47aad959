"""How many simulated seconds the plant advances per wall-clock second, unpaced (target ≥ 20).

The reducer bench of configs/sim_reducer.toml, drive motor in velocity mode at 100 rad/s, load motor
braking with 10 N·m. Figures: the numba-compiled step loop stepped in one call, in 1 ms chunks as
the PlantRunner does (with the sensors read every chunk, as simulators do), and the baseline: the
same loop as plain Python (``core.advance_py``), measured in the same run.

    .venv/bin/python benchmarks/plant_speed.py
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.config import load_rig_config
from hil_mocks.plant import Plant, core

ROOT = Path(__file__).resolve().parents[1]


def _plant() -> Plant:
    plant = Plant.from_rig(load_rig_config(ROOT / "configs" / "sim_reducer.toml"))
    drive, load = plant.axes["in"], plant.axes["load"]
    drive.mode = "velocity"
    drive.velocity_target_rad_s = 100.0
    load.mode = "torque"
    load.torque_target_nm = -10.0
    return plant


def _rate(sim_s: float, chunk_s: float | None, read_sensors: bool, python: bool = False) -> float:
    plant = _plant()
    plant.step(0.01)  # compile / warm up
    saved = core.advance
    if python:
        core.advance = core.advance_py
    try:
        sensors = plant.sensors
        start = time.perf_counter()
        if chunk_s is None:
            plant.step(sim_s)
        else:
            for _ in range(round(sim_s / chunk_s)):
                plant.step(chunk_s)
                if read_sensors:
                    sensors.torque_in.read(), sensors.torque_out.read()
                    sensors.encoder_in.read_counts(), sensors.encoder_out.read_counts()
        wall = time.perf_counter() - start
    finally:
        core.advance = saved
    return sim_s / wall


def main() -> None:
    t0 = time.perf_counter()
    _plant().step(0.001)
    print(f"first plant + first step (import, JIT compile or cache load): {time.perf_counter() - t0:.2f} s")
    print(f"numba available: {core.HAVE_NUMBA}; internal step {_plant().dt_s * 1e6:.0f} µs")
    baseline = _rate(0.2, 0.001, read_sensors=True, python=True)
    rows = [
        ("baseline: plain-Python loop, 1 ms chunks + sensor reads", baseline),
        ("numba, one step() call", _rate(60.0, None, read_sensors=False)),
        ("numba, 1 ms chunks", _rate(20.0, 0.001, read_sensors=False)),
        ("numba, 1 ms chunks + 4 sensor reads per chunk", _rate(20.0, 0.001, read_sensors=True)),
    ]
    print(f"{'case':58s} {'sim s / wall s':>15s} {'× baseline':>11s}")
    for name, rate in rows:
        print(f"{name:58s} {rate:15.1f} {rate / baseline:11.1f}")
    print("target: >= 20 simulated s per wall s")


if __name__ == "__main__":
    main()
