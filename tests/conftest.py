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


def _open_ptys() -> set[str]:
    """Pseudo-terminals this process holds open (fd → /dev/ptmx or /dev/pts/N)."""
    found = set()
    for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else ():
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target == "/dev/ptmx" or target.startswith("/dev/pts/"):
            found.add(f"{fd}->{target}")
    return found


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    """Fail a test that leaves a thread running (a bus notifier, a simulator, a reader) or a
    pseudo-terminal open (a simulated serial instrument not stopped)."""
    before = set(threading.enumerate())
    ptys_before = _open_ptys()
    yield
    deadline = time.monotonic() + 3.0
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()
                 and not t.name.startswith(("asyncio_", "ThreadPoolExecutor", "Dummy-"))]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not extra, f"threads left running: {[t.name for t in extra]}"
    leaked_ptys = _open_ptys() - ptys_before
    assert not leaked_ptys, f"pseudo-terminals left open: {sorted(leaked_ptys)}"


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the project; tests that need it skip on a clone without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present (reference data and EDS files)")
    return SHARED
