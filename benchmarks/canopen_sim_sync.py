"""CPU cost of the hil_mocks CANopen simulators answering SYNC, against a LocalNode baseline.

Two simulated CiA 402 drives (TPDO1 statusword + position, TPDO2 velocity + torque, both on every SYNC)
and one CiA 406 encoder (TPDO1 position on SYNC) answer a SYNC stream at ``--rate`` Hz for
``--duration`` s: 5 TPDO frames per SYNC, 5,000 frames/s at 1 kHz. A lean master (raw python-can bus)
sends the SYNCs and counts the frames. Figures: frames received vs expected, CPU of the whole
process, and CPU per SYNC per node after subtracting the master alone (measured first, same run).

Baseline (same run, same traffic): the same three nodes as ``canopen.LocalNode`` objects whose TPDOs
are filled through the object dictionary on every SYNC (``tpdo[n][name].raw = value`` then
``tpdo[n].transmit()``), i.e. per-frame OD lookups, the way one would write a responder with canopen.

Run: ``.venv/bin/python benchmarks/canopen_sim_sync.py [--duration 5] [--rate 1000]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from pathlib import Path

import can
import canopen

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hil_mocks.canopen import (  # noqa: E402
    DRIVE_EDS,
    ENCODER_EDS,
    SimulatedCia402Drive,
    SimulatedCia406Encoder,
)

DRIVE_LAYOUT = {1: [(0x6041, 0), (0x6064, 0)], 2: [(0x606C, 0), (0x6077, 0)]}


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_master(channel: str, rate_hz: float, duration_s: float) -> tuple[int, dict, float]:
    """Send SYNC at ``rate_hz`` for ``duration_s``; count frames by COB-ID. Returns (syncs, counts, cpu_s)."""
    bus = can.Bus(interface="virtual", channel=channel, receive_own_messages=False)
    counts: dict[int, int] = {}
    stop = threading.Event()

    def receive():
        while not stop.is_set():
            msg = bus.recv(0.05)
            if msg is not None:
                counts[msg.arbitration_id] = counts.get(msg.arbitration_id, 0) + 1

    rx = threading.Thread(target=receive, name="bench-rx")
    rx.start()
    sync = can.Message(arbitration_id=0x80, data=b"", is_extended_id=False)
    period = 1.0 / rate_hz
    n = int(duration_s * rate_hz)
    c0 = cpu_s()
    t0 = time.monotonic()
    for k in range(n):
        delay = t0 + k * period - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        bus.send(sync)
    time.sleep(0.1)
    cpu = cpu_s() - c0
    stop.set()
    rx.join(2.0)
    bus.shutdown()
    return n, counts, cpu


def configure_sim(drive: SimulatedCia402Drive) -> None:
    """The streaming layout through the simulator's own write path (what a master's SDOs do)."""
    for number, entries in DRIVE_LAYOUT.items():
        comm, mapping = 0x1800 + number - 1, 0x1A00 + number - 1
        cob = drive.store.get(comm, 1) & 0x7FF
        drive.write(comm, 1, cob | 0x80000000)
        drive.write(mapping, 0, 0)
        for sub, (index, subindex) in enumerate(entries, 1):
            bits = drive.store.variable(index, subindex).__len__()
            drive.write(mapping, sub, index << 16 | subindex << 8 | bits)
        drive.write(mapping, 0, len(entries))
        drive.write(comm, 2, 1)
        drive.write(comm, 1, cob)
    drive.write(0x1802, 1, drive.store.get(0x1802, 1) | 0x80000000)   # TPDO3 off
    drive.write(0x1800, 5, 0)                                          # no event timer


def simulators(channel: str, rate_hz: float, duration_s: float):
    sims = [SimulatedCia402Drive(channel, 1), SimulatedCia402Drive(channel, 2), SimulatedCia406Encoder(channel, 3)]
    for sim in sims[:2]:
        configure_sim(sim)
    nmt = can.Bus(interface="virtual", channel=channel)
    for sim in sims:
        sim.start()
    nmt.send(can.Message(arbitration_id=0, data=b"\x01\x00", is_extended_id=False))
    nmt.shutdown()           # a bus left open on the channel would get (and cost) a copy of every frame
    time.sleep(0.2)
    try:
        return run_master(channel, rate_hz, duration_s)
    finally:
        for sim in sims:
            sim.stop()


def localnode_baseline(channel: str, rate_hz: float, duration_s: float):
    """Three canopen.LocalNode responders; each SYNC fills and transmits their TPDOs through the OD."""
    network = canopen.Network()
    network.NOTIFIER_CYCLE = 0.05
    network.connect(interface="virtual", channel=channel)
    nodes = []
    for node_id, eds in ((1, DRIVE_EDS), (2, DRIVE_EDS), (3, ENCODER_EDS)):
        node = canopen.LocalNode(node_id, str(eds))
        network.add_node(node)
        node.tpdo.read(from_od=True)
        if node_id < 3:
            for number, entries in DRIVE_LAYOUT.items():
                tpdo = node.tpdo[number]
                tpdo.clear()
                for index, subindex in entries:
                    tpdo.add_variable(index, subindex)
                tpdo.trans_type = 1
                tpdo.enabled = True
            tpdos = [node.tpdo[1], node.tpdo[2]]
        else:
            tpdos = [node.tpdo[1]]
        nodes.append((node, tpdos))
    counter = [0]

    def on_sync(can_id, data, timestamp):
        counter[0] += 1
        k = counter[0]
        for node, tpdos in nodes:
            for tpdo in tpdos:
                for var in tpdo:
                    var.raw = k & 0x7FFF          # a fresh value each SYNC, written through the OD
                tpdo.transmit()

    network.subscribe(0x80, on_sync)
    try:
        return run_master(channel, rate_hz, duration_s)
    finally:
        network.disconnect()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--rate", type=float, default=1000.0)
    args = ap.parse_args()
    expected_per_sync = 5
    n, _, cpu_master = run_master("bench-master-only", args.rate, args.duration)
    print(f"master alone: {n} SYNCs in {args.duration:.1f} s, CPU {cpu_master:.2f} s")
    for label, fn in (("hil_mocks simulators", simulators), ("LocalNode baseline (OD per frame)", localnode_baseline)):
        n, counts, cpu = fn(f"bench-{label[:4]}", args.rate, args.duration)
        tpdos = sum(v for k, v in counts.items() if 0x180 <= k < 0x580)
        per_sync_us = (cpu - cpu_master) / n / 3 * 1e6
        print(f"{label}: {tpdos} TPDO frames of {n * expected_per_sync} expected "
              f"({tpdos / args.duration:.0f}/s), CPU {cpu:.2f} s = {100 * cpu / args.duration:.0f} % of one core, "
              f"{per_sync_us:.1f} µs CPU per SYNC per node (master subtracted)")
        if label.startswith("hil"):
            sim_us = per_sync_us
        else:
            print(f"ratio baseline / simulators (CPU per SYNC per node): {per_sync_us / sim_us:.2f}x")


if __name__ == "__main__":
    main()
