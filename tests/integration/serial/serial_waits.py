"""Bounded waits for the serial integration tests."""

from __future__ import annotations


def wait_for(predicate, timeout_s: float = 3.0, what: str = "condition") -> None:
    """Poll ``predicate`` until true (a loaded CI machine is slow; every wait has a timeout)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)
