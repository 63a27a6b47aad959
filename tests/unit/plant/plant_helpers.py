"""Shared set-ups for the plant tests: the two shipped bench configs and small variations of them."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from bench.config import load_rig_config
from hil_mocks.plant import Plant

ROOT = Path(__file__).resolve().parents[3]
ARCMIN_RAD = math.pi / 10800  # DOMAIN.md §0: 1 arcmin = π/10800 rad


def reducer_rig():
    return load_rig_config(ROOT / "configs" / "sim_reducer.toml")


def motor_rig():
    return load_rig_config(ROOT / "configs" / "sim_motor.toml")


def reducer_plant(**reducer_changes) -> Plant:
    """The sim_reducer bench, unpaced, with some reducer parameters replaced."""
    rig = reducer_rig()
    sim = dataclasses.replace(rig.sim, realtime=False,
                              reducer=dataclasses.replace(rig.sim.reducer, **reducer_changes))
    return Plant(sim, rig.unit)


def motor_plant(**drive_motor_changes) -> Plant:
    rig = motor_rig()
    sim = dataclasses.replace(rig.sim, realtime=False,
                              drive_motor=dataclasses.replace(rig.sim.drive_motor, **drive_motor_changes))
    return Plant(sim, rig.unit)


def crossings(torque: np.ndarray, angle: np.ndarray) -> list[tuple[float, int]]:
    """Angles where ``torque`` changes sign (linear interpolation), with the sense of the change."""
    out = []
    for i in range(1, len(torque)):
        if (torque[i - 1] > 0) != (torque[i] > 0):
            f = torque[i - 1] / (torque[i - 1] - torque[i])
            out.append((angle[i - 1] + f * (angle[i] - angle[i - 1]), 1 if torque[i] > torque[i - 1] else -1))
    return out


def harmonic(values: np.ndarray, angle: np.ndarray, order: float) -> tuple[float, float]:
    """Amplitude and phase of ``sin(order·angle + phase)`` in ``values`` (uniform angle grid, whole periods)."""
    c = 2 * np.mean(values * np.cos(order * angle))
    s = 2 * np.mean(values * np.sin(order * angle))
    return float(math.hypot(s, c)), float(math.atan2(c, s))
