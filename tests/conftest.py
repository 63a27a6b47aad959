"""Shared fixtures: every test must leave no thread behind (DESIGN.md, Tests)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    """Fail a test that leaves a thread running (a bus notifier, a simulator, a reader)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()
                 and not t.name.startswith(("asyncio_", "ThreadPoolExecutor", "Dummy-"))]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not extra, f"threads left running: {[t.name for t in extra]}"


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the project; tests that need it skip on a clone without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present (reference data and EDS files)")
    return SHARED
