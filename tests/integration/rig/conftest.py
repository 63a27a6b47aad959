"""The simulated reducer bench for rig-level tests: a temp copy of ``configs/sim_reducer.toml`` per test
(own CAN channel name, own runs folder, edits a test asks for), a passive CAN listener, and helpers.

The listener is a second python-can ``virtual`` bus on the rig's channel: it sees every frame the
drivers send, as a CAN analyser on the real bus would, and keeps the command frames (RPDOs, SDO
requests, NMT) and the EMCYs with their arrival time.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import can
import pytest

ROOT = Path(__file__).resolve().parents[3]
SIM_REDUCER = ROOT / "configs" / "sim_reducer.toml"
SIM_MOTOR = ROOT / "configs" / "sim_motor.toml"

# CiA 402 controlword "quick stop" command: bit 1 (enable voltage) = 1, bit 2 (quick stop) = 0,
# bits 0, 3 and 7 = 0 (CiA 402-2, device control commands) → 0x0002, little-endian on the wire.
QUICK_STOP_CW_BYTES = bytes.fromhex("0200")
# "disable voltage": bit 1 = 0 → 0x0000
DISABLE_VOLTAGE_CW_BYTES = bytes.fromhex("0000")
CONTROLWORD_INDEX = 0x6040
RPDO1_BASE = 0x200  # CiA 301 predefined connection set: RPDO1 = 0x200 + node id
SDO_RX_BASE = 0x600  # client → server SDO
EMCY_BASE = 0x080


def edit_rig_text(text: str, *, channel: str, runs_dir: Path, limits: dict[str, float] | None = None,
                  device_lines: dict[str, list[str]] | None = None, append: str = "",
                  source: Path = SIM_REDUCER) -> str:
    """The sim_reducer rig file with a unique CAN channel, an absolute spec path, a runs folder, and edits.

    ``device_lines[role]`` are TOML lines put at the top of ``[devices.role]`` (a key already in that
    table is replaced); ``limits`` replace keys of ``[limits]``; ``append`` is added at the end.
    """
    def sub_once(pattern: str, repl: str, s: str) -> str:
        new, n = re.subn(pattern, repl, s, count=1, flags=re.MULTILINE)
        assert n == 1, f"rig file edit: pattern {pattern!r} not found in {source.name}"
        return new

    text = sub_once(r'^(\[buses\.can0\][^\[]*?^channel\s*=\s*)"[^"]*"', rf'\g<1>"{channel}"', text)
    spec = re.search(r'^spec\s*=\s*"([^"]*)"', text, flags=re.MULTILINE)
    if spec:
        text = text.replace(spec.group(0), f'spec = "{(source.parent / spec.group(1)).resolve()}"')
    text = re.sub(r"(?m)^runs_dir\s*=.*\n", "", text)  # the copy records into the test's folder
    text = f'runs_dir = "{runs_dir}"\n' + text
    for key, value in (limits or {}).items():
        text = sub_once(rf"^(\[limits\][^\[]*?^{key}\s*=\s*)[^\s#]+", rf"\g<1>{value!r}", text)
    for role, lines in (device_lines or {}).items():
        header = re.search(rf"^\[devices\.{role}\][^\n]*\n", text, flags=re.MULTILINE)
        assert header, f"rig file has no [devices.{role}]"
        body_end = text.find("\n[", header.end())
        body = text[header.end(): body_end if body_end >= 0 else len(text)]
        for line in lines:
            key = line.split("=", 1)[0].strip()
            body = re.sub(rf"^{re.escape(key)}\s*=.*\n?", "", body, flags=re.MULTILINE)
        body = "".join(line + "\n" for line in lines) + body
        text = text[: header.end()] + body + (text[body_end:] if body_end >= 0 else "")
    return text + "\n" + append


@pytest.fixture
def make_rig_file(tmp_path):
    """``make_rig_file(**edits) -> (path, channel)``: a temp rig file (see :func:`edit_rig_text`)."""
    def make(source: Path = SIM_REDUCER, **edits) -> tuple[Path, str]:
        channel = f"rigtest_{uuid.uuid4().hex[:10]}"
        text = edit_rig_text(source.read_text(encoding="utf-8"), channel=channel, runs_dir=tmp_path / "runs",
                             source=source, **edits)
        path = tmp_path / f"rig_{channel}.toml"
        path.write_text(text, encoding="utf-8")
        return path, channel

    return make


@dataclass(frozen=True)
class Seen:
    monotonic_s: float
    can_id: int
    data: bytes


class BusListener(can.Listener):
    """Keeps command frames (RPDO, SDO request, NMT) and EMCYs seen on the bus, with arrival times."""

    def __init__(self, channel: str):
        self.frames: list[Seen] = []
        self._lock = threading.Lock()
        self._new = threading.Condition(self._lock)
        self.bus = can.Bus(interface="virtual", channel=channel, receive_own_messages=False)
        self.notifier = can.Notifier(self.bus, [self], timeout=0.05)

    def on_message_received(self, msg: can.Message) -> None:
        cid = msg.arbitration_id
        if cid == 0 or 0x081 <= cid <= 0x0FF or 0x200 <= cid <= 0x57F or 0x600 <= cid <= 0x67F:
            with self._new:
                self.frames.append(Seen(time.monotonic(), cid, bytes(msg.data)))
                self._new.notify_all()

    def close(self) -> None:
        self.notifier.stop(timeout=2.0)
        self.bus.shutdown()

    # queries
    def controlwords(self, node_id: int) -> list[tuple[float, bytes]]:
        """``(time, first two bytes)`` of every RPDO1 (controlword first) and 0x6040 SDO download to the node."""
        found = []
        with self._lock:
            frames = list(self.frames)
        for f in frames:
            if f.can_id == RPDO1_BASE + node_id and len(f.data) >= 2:
                found.append((f.monotonic_s, f.data[:2]))
            elif (f.can_id == SDO_RX_BASE + node_id and len(f.data) == 8 and f.data[0] & 0xE0 == 0x20
                  and f.data[1:4] == CONTROLWORD_INDEX.to_bytes(2, "little") + b"\x00"):
                found.append((f.monotonic_s, f.data[4:6]))  # expedited download of 0x6040:00
        return found

    def wait_for_controlword(self, node_id: int, cw_bytes: bytes, timeout_s: float = 3.0,
                             after_s: float = 0.0) -> float:
        """Time the first controlword ``cw_bytes`` to ``node_id`` was seen (after ``after_s``); fails on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            seen = self.controlwords(node_id)
            for t, data in seen:
                if data == cw_bytes and t >= after_s:
                    return t
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no controlword {cw_bytes.hex()} to node {node_id} on the bus within "
                                     f"{timeout_s} s; last seen: {[d.hex() for _, d in seen][-10:]}")
            with self._new:
                self._new.wait(min(left, 0.05))

    def emcys(self, node_id: int) -> list[bytes]:
        with self._lock:
            return [f.data for f in self.frames if f.can_id == EMCY_BASE + node_id]


@pytest.fixture
def bus_listener():
    """``bus_listener(channel) -> BusListener`` (stopped at the end of the test)."""
    made: list[BusListener] = []

    def make(channel: str) -> BusListener:
        listener = BusListener(channel)
        made.append(listener)
        return listener

    yield make
    for listener in made:
        listener.close()


def wait_until(predicate, timeout_s: float, what: str, poll_s: float = 0.01):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(poll_s)


def enable_drives(rig) -> None:
    """Input drive holding its position (CSP), load drive in torque mode (CST) at 0 N·m, both enabled."""
    from bench.protocols.cia402 import State

    din, dload = rig.device("drive_in"), rig.device("drive_load")
    din.set_mode("csp")
    din.enable()
    dload.set_mode("cst")
    dload.enable()
    assert din.state is State.OPERATION_ENABLED and dload.state is State.OPERATION_ENABLED
