"""Fixtures for the CANopen simulator tests: a unique virtual channel, a raw frame tap, a real plant."""

from __future__ import annotations

import itertools
import os
import struct
import threading
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
    """A python-can bus on the channel that records every frame and speaks raw bytes (the test's master).

    Frames are kept in arrival order; :meth:`expect` takes the first unconsumed match after the cursor
    (frames of other COB-IDs stay available), :meth:`drain` moves the cursor past everything seen so far.
    """

    def __init__(self, channel: str):
        self.bus = can.Bus(interface="virtual", channel=channel, receive_own_messages=False)
        self._frames: list[can.Message] = []
        self._used: set[int] = set()
        self._cursor = 0
        self._cond = threading.Condition()
        self.notifier = can.Notifier(self.bus, [self._on_frame], timeout=0.05)

    def _on_frame(self, msg: can.Message) -> None:
        with self._cond:
            self._frames.append(msg)
            self._cond.notify_all()

    def send(self, cob: int, data: bytes | str) -> None:
        if isinstance(data, str):
            data = bytes.fromhex(data)
        self.bus.send(can.Message(arbitration_id=cob, data=data, is_extended_id=False))

    def mark(self) -> int:
        with self._cond:
            return len(self._frames)

    def expect(self, cob: int, timeout_s: float = 1.0, where=None, since: int | None = None) -> can.Message:
        """First unconsumed frame with ``cob`` (and ``where(msg)``) after the cursor or ``since``."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for i in range(self._cursor if since is None else since, len(self._frames)):
                    msg = self._frames[i]
                    if i not in self._used and msg.arbitration_id == cob and (where is None or where(msg)):
                        self._used.add(i)
                        return msg
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no frame 0x{cob:03X} within {timeout_s} s")
                self._cond.wait(left)

    def collect(self, duration_s: float) -> list[can.Message]:
        """Every frame that arrives during the next ``duration_s``."""
        start = self.mark()
        time.sleep(duration_s)
        with self._cond:
            self._cursor = len(self._frames)
            return self._frames[start:]

    def since(self, mark: int, cob: int | None = None) -> list[can.Message]:
        """Frames (of ``cob``) that arrived after ``mark``."""
        with self._cond:
            return [m for m in self._frames[mark:] if cob is None or m.arbitration_id == cob]

    def drain(self) -> None:
        with self._cond:
            self._cursor = len(self._frames)

    def sdo(self, node_id: int, request: str, timeout_s: float = 1.0) -> bytes:
        """Send one 8-byte SDO request (hex) and return the server's answer."""
        start = self.mark()
        self.send(0x600 + node_id, request)
        return bytes(self.expect(0x580 + node_id, timeout_s, since=start).data)

    def write(self, node_id: int, index: int, sub: int, value, fmt: str) -> None:
        """Expedited SDO download of one value packed with struct ``fmt`` (b/B/h/H/i/I); asserts success."""
        command = {1: 0x2F, 2: 0x2B, 4: 0x23}[struct.calcsize("<" + fmt)]
        request = struct.pack("<BHB", command, index, sub) + struct.pack("<" + fmt, value).ljust(4, b"\0")
        answer = self.sdo(node_id, request.hex())
        assert answer[:1] == b"\x60", f"write 0x{index:04X}:{sub:02X}={value} answered {answer.hex()}"

    def read(self, node_id: int, index: int, sub: int, fmt: str):
        """Expedited SDO upload of one value unpacked with struct ``fmt``; asserts success."""
        answer = self.sdo(node_id, struct.pack("<BHB", 0x40, index, sub).hex() + "00000000")
        assert answer[0] in (0x43, 0x47, 0x4B, 0x4F), f"read 0x{index:04X}:{sub:02X} answered {answer.hex()}"
        return struct.unpack_from("<" + fmt, answer, 4)[0]

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
    p.step(p.dt_s)  # compile the step loop before simulators wait on plant.lock
    runner = PlantRunner(p, realtime=True)
    runner.start()
    yield p
    runner.stop()
