"""A fake rig over real objects (real Hub, real Timebase, real rig config) that records calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.config import load_rig_config
from bench.errors import InterlockTripped
from bench.streams import Hub
from bench.timebase import Timebase

ROOT = Path(__file__).resolve().parents[3]


class FakeDrive:
    def __init__(self, calls: list[str], role: str):
        self.calls = calls
        self.role = role

    def quick_stop(self) -> None:
        self.calls.append(f"{self.role}.quick_stop")

    def disable(self) -> None:
        self.calls.append(f"{self.role}.disable")


class FakeTorqueFlange:
    """A sensor whose driver tells its identity (the optional describe() convention)."""

    def describe(self) -> dict:
        return {"model": "T40B 50 N·m", "serial": "T40-123", "calibration_date": "2026-03-01"}


class FakeRig:
    """What the runner needs of a rig: safe_state(), hub, config, timebase, devices (+ raise_if_tripped)."""

    def __init__(self, config):
        self.config = config
        self.hub = Hub()
        self.timebase = Timebase()
        self.calls: list[str] = []
        self.devices = {"drive_in": FakeDrive(self.calls, "drive_in"),
                        "drive_load": FakeDrive(self.calls, "drive_load"),
                        "torque_out": FakeTorqueFlange()}
        self.tripped: str | None = None
        self.fail_safe_state = False

    def safe_state(self) -> None:
        self.calls.append("safe_state")
        for d in self.devices.values():
            if isinstance(d, FakeDrive):
                d.quick_stop()
        if self.fail_safe_state:
            raise RuntimeError("drive_load did not acknowledge quick stop")

    def raise_if_tripped(self) -> None:
        if self.tripped:
            raise InterlockTripped(self.tripped, "out.torque_nm", 70.0)


@pytest.fixture
def rig_config(tmp_path):
    """configs/sim_reducer.toml copied beside a runs folder in tmp_path (real loader, real hash)."""
    path = tmp_path / "rig.toml"
    text = (ROOT / "configs" / "sim_reducer.toml").read_text(encoding="utf-8")
    # the rig file names its spec relative to itself: keep it pointing at the project's spec
    text = text.replace('spec = "../specs/', f'spec = "{ROOT.as_posix()}/specs/')
    text = text.replace('runs_dir = "../runs"', f'runs_dir = "{(tmp_path / "runs").as_posix()}"')
    path.write_text(text, encoding="utf-8")
    return load_rig_config(path)


@pytest.fixture
def rig(rig_config):
    return FakeRig(rig_config)


@pytest.fixture
def spec_path():
    return ROOT / "specs" / "csf-25-50.toml"


@pytest.fixture
def rig_factory():
    """``FakeRig(config)`` for tests that build their own rig config."""
    return FakeRig
