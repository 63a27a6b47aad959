"""CAN ingest benchmark: batched PDO decode vs canopen's per-frame decode, and sustained ingest.

(a) Decode throughput of the same frames (drive TPDO1: statusword UNSIGNED16 + position INTEGER32):
    our batched path (``pdo_codec.decode_frames`` + SI scaling, and the same including the collector
    and decoder of ``CanBus``) against canopen's per-frame path (``PdoMap.on_message`` then
    ``PdoVariable.raw`` of each mapped object).  Target: ≥ 30×.
(b) Sustained ingest of three nodes at 1 kHz SYNC (two drives with two TPDOs each, one encoder with
    one TPDO: 5,000 frames/s) for ``--duration`` seconds in one process: lost and out-of-order samples
    (target zero) and CPU use.  ``--nodes sim`` (default) runs the hil_mocks simulators behind the full
    drivers (Cia402Drive / Cia406Encoder, SDO configuration, enable, CSV), so the CPU figure includes
    the simulators; ``--nodes fake`` answers each SYNC with counter-stamped frames from a lean
    responder, so every lost or reordered sample is counted exactly and the CPU is mostly ours.

Run: ``.venv/bin/python benchmarks/can_ingest.py [--duration 60] [--nodes sim|fake] [--frames 200000]``
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import struct
import sys
import time
from pathlib import Path

import can
import canopen
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.drivers import canopen_od  # noqa: E402
from bench.drivers.canbus import CanBus  # noqa: E402
from bench.protocols.pdo_codec import PdoField, decode_frames, mapping_dtype  # noqa: E402
from bench.timebase import Timebase  # noqa: E402

TWO_PI = 2 * math.pi
INC_PER_REV = 1 << 20
TPDO1 = [PdoField("statusword", 0x6041, 0, 0x0006, 16), PdoField("position", 0x6064, 0, 0x0004, 32)]
TPDO2 = [PdoField("velocity", 0x606C, 0, 0x0004, 32), PdoField("torque", 0x6077, 0, 0x0003, 16)]
ENC1 = [PdoField("position", 0x6004, 0, 0x0007, 32)]


def _frames(n: int) -> list[bytearray]:
    rng = np.random.default_rng(1)
    sw = rng.integers(0, 0xFFFF, n)
    pos = rng.integers(-(1 << 31), (1 << 31) - 1, n)
    return [bytearray(struct.pack("<Hi", int(a), int(b))) for a, b in zip(sw, pos)]


def bench_decode(n: int) -> None:
    frames = _frames(n)
    dtype = mapping_dtype(TPDO1)
    scale = TWO_PI / INC_PER_REV

    # ours, decode only
    best_ours = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        rec, bad = decode_frames(frames, dtype)
        pos_rad = rec["position"] * scale
        sw = rec["statusword"].astype(np.float64)
        best_ours = min(best_ours, time.perf_counter() - t0)
    assert not bad.any() and len(pos_rad) == n and len(sw) == n

    # ours, including the collector (receive thread side) and the decoder's drain
    bus = CanBus("virtual", f"bench-decode-{os.getpid()}", 1_000_000, 0, Timebase())
    try:
        got = []
        bus.add_stream(0x181, dtype, lambda r, t: got.append(len(r)), owner="bench")
        from bench.drivers.canbus import _Collector
        collector = next(lst for lst in bus.network.listeners if isinstance(lst, _Collector))
        msgs = [can.Message(arbitration_id=0x181, data=f, timestamp=1000.0 + i * 1e-3, is_extended_id=False)
                for i, f in enumerate(frames)]
        bus._stop.set()  # this measurement drives decode_pending itself
        bus._decoder.join()
        best_path = math.inf
        for _ in range(3):
            got.clear()
            t0 = time.perf_counter()
            for m in msgs:
                collector.on_message_received(m)
            bus.decode_pending()
            best_path = min(best_path, time.perf_counter() - t0)
        assert sum(got) == n
    finally:
        bus.close()

    # canopen: per frame, PdoMap.on_message then PdoVariable.raw of each object
    node = canopen.RemoteNode(1, canopen_od.builtin_cia402_od(1))
    node.network = canopen.Network()  # unconnected: only the PdoMap's parsing is used
    pdo = node.tpdo[1]
    pdo.clear()
    pdo.add_variable(0x6041)
    pdo.add_variable(0x6064)
    pdo.cob_id = 0x181
    v_sw, v_pos = pdo.map
    m = min(n, 50_000)
    t0 = time.perf_counter()
    out_sw = np.empty(m)
    out_pos = np.empty(m)
    for i, f in enumerate(frames[:m]):
        pdo.on_message(0x181, f, 1000.0 + i * 1e-3)
        out_sw[i] = v_sw.raw
        out_pos[i] = v_pos.raw * scale
    per_frame_canopen = (time.perf_counter() - t0) / m
    assert np.allclose(out_pos, pos_rad[:m]) and np.array_equal(out_sw, sw[:m])  # same answers

    fps_ours = n / best_ours
    fps_path = n / best_path
    fps_canopen = 1.0 / per_frame_canopen
    print("(a) PDO decode throughput, drive TPDO1 (statusword + position), "
          f"{n} frames ({m} for canopen)")
    print(f"    batched decode (np.frombuffer, SI scaling)       {fps_ours / 1e6:8.2f} M frames/s")
    print(f"    batched incl. collector + decoder drain          {fps_path / 1e6:8.2f} M frames/s")
    print(f"    canopen per frame (on_message + Variable.raw)    {fps_canopen / 1e6:8.3f} M frames/s")
    print(f"    ratio batched / canopen: {fps_ours / fps_canopen:7.1f}x   (target >= 30x)")
    print(f"    ratio incl. collector / canopen: {fps_path / fps_canopen:7.1f}x")


class _Checker:
    """Per channel: samples, timestamp order; for counter channels the exact sequence."""

    def __init__(self):
        self.samples: dict[str, int] = {}
        self.out_of_order: dict[str, int] = {}
        self.gaps: dict[str, int] = {}
        self.last_t: dict[str, float] = {}
        self.last_counter: dict[str, int] = {}

    def times(self, name: str, t: np.ndarray) -> None:
        self.samples[name] = self.samples.get(name, 0) + len(t)
        prev = self.last_t.get(name, -math.inf)
        seq = np.concatenate(([prev], t))
        self.out_of_order[name] = self.out_of_order.get(name, 0) + int(np.sum(np.diff(seq) < 0))
        self.last_t[name] = float(t[-1])

    def counter(self, name: str, c: np.ndarray) -> None:
        prev = self.last_counter.get(name)
        seq = c.astype(np.int64) if prev is None else np.concatenate(([prev], c.astype(np.int64)))
        d = np.diff(seq)
        self.gaps[name] = self.gaps.get(name, 0) + int(np.sum(d[d > 1] - 1))
        self.out_of_order[name] = self.out_of_order.get(name, 0) + int(np.sum(d < 1))
        self.last_counter[name] = int(c[-1])


class _FakeNodes(can.Listener):
    """Answers each SYNC with 5 counter-stamped TPDOs (nodes 1, 2: TPDO1 + TPDO2; node 3: TPDO1)."""

    def __init__(self, channel: str):
        self.bus = can.Bus(interface="virtual", channel=channel)
        self.count = 0
        self.notifier = can.Notifier(self.bus, [self], timeout=0.1)

    def on_message_received(self, msg: can.Message) -> None:
        if msg.arbitration_id != 0x080:
            return
        self.count += 1
        c = self.count
        send = self.bus.send
        for node in (1, 2):
            send(can.Message(arbitration_id=0x180 + node, data=struct.pack("<Hi", 0x0237, c), is_extended_id=False))
            send(can.Message(arbitration_id=0x280 + node, data=struct.pack("<ih", c, c & 0x7FFF), is_extended_id=False))
        send(can.Message(arbitration_id=0x183, data=struct.pack("<I", c), is_extended_id=False))

    def close(self):
        self.notifier.stop(1.0)
        self.bus.shutdown()


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def bench_ingest_fake(duration_s: float, sync_hz: float) -> None:
    channel = f"bench-ingest-fake-{os.getpid()}"
    checker = _Checker()
    fake = _FakeNodes(channel)
    bus = CanBus("virtual", channel, 1_000_000, sync_hz, Timebase())
    try:
        def handler(name, key):
            def on(records, t_s):
                checker.times(name, t_s)
                checker.counter(name, records[key])
            return on
        for node in (1, 2):
            bus.add_stream(0x180 + node, mapping_dtype(TPDO1), handler(f"drive{node}.tpdo1", "position"), owner=f"d{node}")
            bus.add_stream(0x280 + node, mapping_dtype(TPDO2), handler(f"drive{node}.tpdo2", "velocity"), owner=f"d{node}")
        bus.add_stream(0x183, mapping_dtype(ENC1), handler("encoder.tpdo1", "position"), owner="enc")
        cpu0, t0 = _cpu_s(), time.monotonic()
        bus.start_sync()
        time.sleep(duration_s)
        bus.stop_sync()
        wall = time.monotonic() - t0
        cpu = _cpu_s() - cpu0
        time.sleep(0.3)  # let the last frames arrive and be decoded
        syncs = fake.count
    finally:
        bus.close()
        fake.close()
    _report_ingest("fake counter nodes (exact loss count)", syncs, wall, cpu, checker,
                   expected={k: syncs for k in checker.samples}, bus=bus)


def bench_ingest_sim(duration_s: float, sync_hz: float) -> None:
    import hil_mocks.canopen as sims
    from bench.drivers.cia402_drive import Cia402Drive
    from bench.drivers.cia406_encoder import Cia406Encoder
    from bench.streams import Hub

    channel = f"bench-ingest-sim-{os.getpid()}"
    checker = _Checker()
    hub = Hub()
    hub.add_callback(lambda b: checker.times(b.channel, b.t_s))
    sim_nodes = [sims.SimulatedCia402Drive(channel, 1, rated_torque_nm=1.3),
                 sims.SimulatedCia402Drive(channel, 2, rated_torque_nm=1.3),
                 sims.SimulatedCia406Encoder(channel, 3, sims.FixedEncoder())]
    for s in sim_nodes:
        s.start()
    bus = CanBus("virtual", channel, 1_000_000, sync_hz, Timebase())
    devices = []
    try:
        timeouts = {"sdo_s": 1.0, "state_transition_s": 2.0, "mode_switch_s": 1.0, "heartbeat_s": 1.0}
        for node in (1, 2):
            devices.append(Cia402Drive(bus, node, name=f"drive{node}", eds=sims.DRIVE_EDS, settings={},
                                       timeouts=timeouts, publish=hub.publish))
        devices.append(Cia406Encoder(bus, 3, name="encoder", eds=sims.ENCODER_EDS, settings={},
                                     timeouts={"sdo_s": 1.0, "heartbeat_s": 1.0}, publish=hub.publish))
        errors = []
        for d in devices:
            d.set_error_callback(errors.append)
            d.connect()
        bus.start_sync()
        for d in devices[:2]:
            d.set_mode("csv")
            d.enable()
            d.set_velocity_rad_s(5.0)
        syncs0 = [s.stats.sync_count for s in sim_nodes]
        frames0 = {cid: bus.stream_stats(cid).frames for cid in (0x181, 0x281, 0x182, 0x282, 0x183)}
        for k in list(checker.samples):
            checker.samples[k] = 0
        cpu0, t0 = _cpu_s(), time.monotonic()
        time.sleep(duration_s)
        bus.stop_sync()
        wall = time.monotonic() - t0
        cpu = _cpu_s() - cpu0
        time.sleep(0.3)
        syncs = [s.stats.sync_count - s0 for s, s0 in zip(sim_nodes, syncs0)]
        frames = {cid: bus.stream_stats(cid).frames - f0 for cid, f0 in frames0.items()}
        for d in devices[:2]:
            d.disable()
    finally:
        for d in devices:
            d.close()
        bus.close()
        for s in sim_nodes:
            s.stop()
    lost = sum(max(0, syncs[(cid & 0x7F) - 1] - n) for cid, n in frames.items())
    _report_ingest("hil_mocks simulators behind the full drivers", max(syncs), wall, cpu, checker,
                   expected=None, bus=bus, lost_override=lost)
    print(f"    frames per COB-ID {', '.join(f'0x{c:03X}: {n}' for c, n in frames.items())}; "
          f"SYNCs seen by the simulators {syncs}; asynchronous driver errors {len(errors)}")


def _report_ingest(what, syncs, wall, cpu, checker, expected, bus, lost_override=None):
    total_samples = sum(checker.samples.values())
    if expected is not None:
        lost = sum(max(0, expected[k] - checker.samples.get(k, 0)) for k in expected) + sum(checker.gaps.values())
    else:
        lost = lost_override
    ooo = sum(checker.out_of_order.values())
    print(f"(b) sustained ingest, {what}: {wall:.1f} s, {syncs} SYNCs ({syncs / wall:.0f}/s), "
          f"{total_samples} samples on {len(checker.samples)} streams")
    print(f"    lost samples: {lost}   out-of-order samples: {ooo}   (target 0 / 0)")
    print(f"    CPU: {cpu:.1f} s in {wall:.1f} s = {100 * cpu / wall:.0f} % of one core "
          f"(whole process{', simulators included' if expected is None else ''}; machine has {os.cpu_count()} cores)")
    if bus.unknown_counts:
        print(f"    unknown COB-IDs: {bus.unknown_counts}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of sustained ingest (default 60)")
    ap.add_argument("--frames", type=int, default=200_000, help="frames for the decode comparison")
    ap.add_argument("--nodes", choices=("sim", "fake", "both"), default="sim")
    ap.add_argument("--sync-hz", type=float, default=1000.0)
    args = ap.parse_args()
    bench_decode(args.frames)
    if args.nodes in ("fake", "both"):
        bench_ingest_fake(args.duration, args.sync_hz)
    if args.nodes in ("sim", "both"):
        bench_ingest_sim(args.duration, args.sync_hz)


if __name__ == "__main__":
    main()
