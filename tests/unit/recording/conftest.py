"""Helpers for the recording tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.streams import ChannelSpec, SampleBlock


def block(channel: str, t_s, values, flags=None) -> SampleBlock:
    return SampleBlock(channel, np.asarray(t_s, dtype=float), np.asarray(values),
                       None if flags is None else np.asarray(flags, dtype=np.uint8))


def make_killed_run(runs_dir: Path, run_id: str = "20260101-120000-abcdef", **record) -> Path:
    """A run folder as a SIGKILL'd writer leaves it: status running, nobody holding the lock."""
    path = runs_dir / run_id
    (path / "streams").mkdir(parents=True)
    rec = {"run_id": run_id, "status": "running", "started_at": "2026-01-01T12:00:00+00:00",
           "procedure": "torsion", "unit": {"model": "CSF-25-50", "serial": "K1"}}
    rec.update(record)
    (path / "record.json").write_text(json.dumps(rec))
    (path / ".writer.lock").write_text("12345\n")
    return path


@pytest.fixture
def angle_spec() -> ChannelSpec:
    return ChannelSpec("out.angle_rad", "rad", rate_hz=1000.0, device="encoder_out")


@pytest.fixture(name="block")
def block_fixture():
    """``block(channel, t_s, values, flags=None)`` -> SampleBlock."""
    return block


@pytest.fixture(name="make_killed_run")
def make_killed_run_fixture():
    """``make_killed_run(runs_dir, run_id=..., **record)`` -> path of a run left by a killed writer."""
    return make_killed_run
