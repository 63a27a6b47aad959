"""Fixtures for the CANopen simulator tests: a unique virtual channel, a raw frame tap, a real plant."""

from __future__ import annotations

import itertools
import os
import queue
import time
import uuid
from pathlib import Path

import can
import pytest

ROOT = Path(__file__).resolve().parents[3]
_count = itertools.count()


@pytest.fixture
def channel() -> str:
    """A virtual CAN channel no other test uses."""
    return f"cansim-{os.getpid()}-{next(_count)}-{uuid.uuid4().hex[:6]}"


class RawWire:
    """A python-can bus on the channel that records every frame and speaks raw bytes (the test's master)."""

    def __init__(self, channel: str):
        self.bus = can.Bus(interface="virtual", channel=channel, receive_own_messages=False)
        self.frames: "queue.Queue[can.Message]" = queue.Queue()
        self.notifier = can.Notifier(self.bus, [self.frames.put], timeout=0.05)

    def send(self, cob: int, data: bytes | str) -> None:
        if isinstance(data, str):
            data = bytes.fromhex(data)
        self.bus.send(can.Message(arbitration_id=cob, data=data, is_extended_id=False))

    def expect(self, cob: int, timeout_s: float = 1.0, where=None) -> can.Message:
        """Next frame with ``cob`` (others are dropped), optionally also matching ``where(msg)``."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no frame 0x{cob:03X} within {timeout_s} s")
            try:
                msg = self.frames.get(timeout=left)
            except queue.Empty:
                continue
            if msg.arbitration_id == cob and (where is None or where(msg)):
                return msg

    def collect(self, duration_s: float) -> list[can.Message]:
        """Every frame seen during the next ``duration_s``."""
        out, deadline = [], time.monotonic() + duration_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                out.append(self.frames.get(timeout=left))
            except queue.Empty:
                pass
        return out

    def drain(self) -> None:
        while True:
            try:
                self.frames.get_nowait()
            except queue.Empty:
                return

    def sdo(self, node_id: int, request: str, timeout_s: float = 1.0) -> bytes:
        """Send one 8-byte SDO request (hex) and return the server's answer."""
        self.drain()
        self.send(0x600 + node_id, request)
        return bytes(self.expect(0x580 + node_id, timeout_s).data)

    def close(self) -> None:
        self.notifier.stop()
        self.bus.shutdown()


@pytest.fixture
def wire(channel):
    w = RawWire(channel)
    yield w
    w.close()


def wait_until(predicate, timeout_s: float = 2.0, poll_s: float = 0.005):
    """Poll ``predicate`` until it is truthy; returns its value or raises after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(poll_s)


@pytest.fixture(name="wait_until")
def wait_until_fixture():
    return wait_until


@pytest.fixture
def plant():
    """The plant of configs/sim_reducer.toml, stepped in real time by a PlantRunner."""
    from bench.config import load_rig_config
    from hil_mocks.plant import Plant, PlantRunner

    rig = load_rig_config(ROOT / "configs" / "sim_reducer.toml")
    p = Plant.from_rig(rig)
    runner = PlantRunner(p, realtime=True)
    runner.start()
    yield p
    runner.stop()
