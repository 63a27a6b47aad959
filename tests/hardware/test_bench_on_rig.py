"""Checks that run on whichever rig ``--rig`` names: the simulated reducer bench in CI, a real bench in
the lab (``pytest tests/hardware --rig my_rig.toml``). Tests marked ``hardware`` run only on a real rig."""

from __future__ import annotations

import time

import pytest

from bench.protocols.cia402 import State


def _wait(predicate, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_every_channel_of_the_rig_streams(rig):
    silent = [name for name, ring in rig.rings.items() if not _wait(lambda r=ring: r.total_written > 0, 3.0)]
    assert silent == [], f"channels that delivered nothing in 3 s: {silent}"
    assert rig.errors == [] and not rig.safety.tripped


def test_drive_in_turns_slowly_and_stops_safely(rig):
    if not (rig.has("drive_in") and rig.has("drive_load")):
        pytest.skip("the rig has no drive_in / drive_load")
    drive = rig.device("drive_in")
    rig.device("drive_load").disable()  # let the load side turn freely
    drive.set_mode("csv")
    drive.set_velocity_rad_s(0.0)
    drive.enable()
    speed = 10.0  # rad/s at the motor: slow on any bench
    drive.set_velocity_rad_s(speed)
    assert _wait(lambda: abs(rig.latest("drive_in.velocity_rad_s") - speed) < 0.1 * speed, 3.0), \
        f"drive_in speed {rig.latest('drive_in.velocity_rad_s'):.3g} rad/s, commanded {speed} rad/s"
    rig.safe_state()
    assert _wait(lambda: drive.state in (State.SWITCH_ON_DISABLED, State.READY_TO_SWITCH_ON), 2.0), drive.state


@pytest.mark.hardware
def test_identities_match_the_rig_file(rig):
    """On a real bench: every CANopen node answered with the identity its rig entry expects."""
    for role, driver in rig.devices.items():
        describe = getattr(driver, "describe", None)
        if callable(describe):
            assert describe(), f"{role} did not identify itself"
