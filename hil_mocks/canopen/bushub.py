"""One python-can bus and one thread per CAN channel, shared by every simulated node on it.

python-can's ``virtual`` interface copies each frame once per other bus object on the channel, and each
bus object needs a thread to drain it; with one bus per simulated node, two drives and an encoder would
triple both. So the simulated nodes of one channel share a hub: one bus, one thread ("sim-can-<channel>")
that receives each frame once, hands it to every node, and runs the nodes' timers (tick, heartbeat,
delayed frames). Frames a node sends are also handed to the other nodes of the hub (as on a real bus),
after the current frame is done, so no node's lock is taken inside another's.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time

import can

_hubs: dict[tuple[str, str], BusHub] = {}
_hubs_lock = threading.Lock()


class BusHub:
    def __init__(self, interface: str, channel: str):
        self.interface = interface
        self.channel = channel
        self.bus = can.Bus(interface=interface, channel=channel, receive_own_messages=False)
        self.nodes: tuple = ()
        self._local: collections.deque = collections.deque()
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"sim-can-{channel}", daemon=True)
        self.thread.start()

    # ---------------------------------------------------------------- registry
    @classmethod
    def attach(cls, node) -> BusHub:
        key = (node.interface, node.channel)
        with _hubs_lock:
            hub = _hubs.get(key)
            if hub is None or not hub.thread.is_alive():
                hub = _hubs[key] = cls(node.interface, node.channel)
            hub.nodes = hub.nodes + (node,)
            return hub

    def detach(self, node, timeout_s: float = 2.0) -> None:
        key = (self.interface, self.channel)
        with _hubs_lock:
            self.nodes = tuple(n for n in self.nodes if n is not node)
            last = not self.nodes
            if last and _hubs.get(key) is self:
                del _hubs[key]
        if last:
            self._stop.set()
            if threading.current_thread() is not self.thread:
                self.thread.join(timeout_s)
                if self.thread.is_alive():
                    node.stats.error(f"{node.name}: bus thread sim-can-{self.channel} did not stop in {timeout_s} s")
            self.bus.shutdown()

    # ---------------------------------------------------------------- traffic
    def send(self, msg: can.Message, sender) -> None:
        with self._send_lock:
            self.bus.send(msg)
        if len(self.nodes) > 1:
            self._local.append((msg, sender))

    @staticmethod
    def _dispatch_sync(msg: can.Message, listeners) -> None:
        """Hand a SYNC to every node as one instant of the plant.

        Real devices latch their inputs at the SYNC; here every node answering this SYNC reads the plant
        while the plant runner is held off, so two encoders compared sample by sample (transmission
        error) see the same plant state. Locks are taken in the order used everywhere else: each node's
        own lock first, then the plant lock(s).
        """
        with contextlib.ExitStack() as stack:
            for n in listeners:
                stack.enter_context(n._lock)
            seen = set()
            for n in listeners:
                lock = getattr(n, "plant_lock", None)
                if lock is not None and id(lock) not in seen:
                    seen.add(id(lock))
                    stack.enter_context(lock)
            for n in listeners:
                n._on_frame(msg)

    def _run(self) -> None:
        bus = self.bus
        while not self._stop.is_set():
            nodes = self.nodes
            now = time.monotonic()
            wake = min((n._next_wake() for n in nodes), default=now + 0.05)
            try:
                msg = None if self._local else bus.recv(timeout=min(0.05, max(0.0, wake - now)))
            except Exception as exc:  # a broken bus: report it to every node and end the thread
                for n in nodes:
                    n.stats.error(f"{n.name}: bus receive failed: {exc!r}")
                return
            nodes = self.nodes            # a node may have joined while we waited
            if msg is not None:
                cob = msg.arbitration_id
                listeners = [n for n in nodes if n._listens(cob)]
                if any(cob == n._sync_cob for n in listeners):
                    self._dispatch_sync(msg, listeners)
                else:
                    for n in listeners:
                        n._on_frame(msg)
            while self._local:
                local, sender = self._local.popleft()
                cob = local.arbitration_id
                for n in self.nodes:
                    if n is not sender and n._listens(cob):
                        n._on_frame(local)
            now = time.monotonic()
            for n in nodes:
                if now >= n._next_wake():
                    n._service(now)
