"""Endurance of the simulated reducer bench, and the interlock reaction time (issue 5).

Run:  .venv/bin/python benchmarks/rig_endurance.py [--duration 600] [--trips 100] [--no-record]

1. Endurance: ``configs/sim_reducer.toml`` (two CiA 402 drives and a CiA 406 encoder on a virtual CAN
   bus with SYNC at 1 kHz; the output torque flange polled over Modbus RTU at 1 kHz instead of the
   file's 500 Hz; the temperature module), the input drive turning at constant speed against a
   constant load torque, every channel recorded to a run folder, for ``--duration`` seconds.
   Printed: CAN frames/s and samples per second; samples lost, end to end:
     CAN: SYNCs the simulated node answered (each answers every SYNC with its TPDOs) − samples the
          rig published on the channel; serial: polls that gave no sample (timeouts, bad answers) and
          the shortfall of the achieved poll rate; recorder: samples published − samples on disk;
   resident memory (VmRSS) after a warm-up and at the end (target: flat within 5 %); CPU use of the
   process, split into the controller's threads and the simulated bench's threads (plant, simulators),
   both in the same process here.
2. Interlock reaction: a second rig from the same file with ``limits.torque_nm = --limit-nm``. The load
   motor ramps its torque until the interlock trips, ``--trips`` times. Timed per trip, on one monotonic
   clock: the plant's output torque crossing the limit (a tick callback of the plant runner, 1 ms
   resolution), the trip recorded by the safety layer, and the quick-stop controlword (0x0002) of each
   drive on the bus (the send timestamp of a passive listener's copy of the frame). Target: maximum
   from the crossing to the quick stop under 20 ms (ratio = figure / target). Named baseline, measured
   in the same run unless ``--no-baseline``: the same trips with PDOs decoded every 10 ms (CanBus's
   default) instead of the rig's ``CAN_DECODE_PERIOD_S``; the ratio rig / baseline is printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import can  # noqa: E402
import numpy as np  # noqa: E402

from bench.config import load_rig_config  # noqa: E402
from bench.errors import BenchError  # noqa: E402
from bench.protocols.cia402 import State  # noqa: E402
from bench.recording import RunWriter, make_record  # noqa: E402
from bench.rig import Rig  # noqa: E402
from bench.rig import rig as rig_module  # noqa: E402

SIM_REDUCER = ROOT / "configs" / "sim_reducer.toml"
TARGET_RSS_GROWTH = 0.05
TARGET_REACTION_S = 0.020
SIM_THREAD_PREFIXES = ("plant-runner", "sim-")  # threads of the simulated bench, not of the controller
TPDO_BASES = (0x180, 0x280, 0x380, 0x480)
BASELINE_DECODE_PERIOD_S = 0.010  # CanBus's default, which the rig used before it set its own


# ------------------------------------------------------------------------------------------------ helpers
def rig_file(folder: Path, *, torque_rate_hz: float, limit_nm: float | None = None) -> tuple[Path, str]:
    """A copy of sim_reducer.toml with its own CAN channel, an absolute spec path and the flange rate."""
    text = SIM_REDUCER.read_text(encoding="utf-8")
    channel = f"endurance_{uuid.uuid4().hex[:8]}"
    text, n = re.subn(r'^(\[buses\.can0\][^\[]*?^channel\s*=\s*)"[^"]*"', rf'\g<1>"{channel}"', text, count=1,
                      flags=re.MULTILINE)
    assert n == 1, "no [buses.can0] channel in the rig file"
    spec = re.search(r'^spec\s*=\s*"([^"]*)"', text, flags=re.MULTILINE)
    if spec:
        text = text.replace(spec.group(0), f'spec = "{(SIM_REDUCER.parent / spec.group(1)).resolve()}"')
    text, n = re.subn(r"^(\[devices\.torque_out\][^\[]*?settings\s*=\s*\{[^}]*rate_hz\s*=\s*)[0-9.eE+-]+",
                      rf"\g<1>{torque_rate_hz!r}", text, count=1, flags=re.MULTILINE)
    assert n == 1, "no [devices.torque_out] settings.rate_hz in the rig file"
    if limit_nm is not None:
        text, n = re.subn(r"^(\[limits\][^\[]*?^torque_nm\s*=\s*)[^\s#]+", rf"\g<1>{limit_nm!r}", text, count=1,
                          flags=re.MULTILINE)
        assert n == 1, "no [limits] torque_nm in the rig file"
    path = folder / f"{channel}.toml"
    path.write_text(f'runs_dir = "{folder / "runs"}"\n' + text, encoding="utf-8")
    return path, channel


def rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds (user + system) of every live Python thread, by thread name (/proc/self/task)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for t in threading.enumerate():
        tid = t.native_id
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, TypeError):
            continue
        out[t.name] = out.get(t.name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def process_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def split_cpu(before: dict[str, float], after: dict[str, float]) -> tuple[float, float, dict[str, float]]:
    """(controller s, simulation s, per-thread s) between two :func:`thread_cpu_s` snapshots."""
    per = {name: after[name] - before.get(name, 0.0) for name in after}
    sim = sum(v for k, v in per.items() if k.startswith(SIM_THREAD_PREFIXES))
    ctl = sum(v for k, v in per.items() if not k.startswith(SIM_THREAD_PREFIXES))
    return ctl, sim, per


def enable_drives(rig, *, input_speed_rad_s: float, load_torque_nm: float) -> None:
    din, dload = rig.device("drive_in"), rig.device("drive_load")
    for drive in (din, dload):
        if drive.state is State.FAULT:
            drive.fault_reset()
    din.set_mode("csv" if input_speed_rad_s else "csp")
    din.enable()
    if input_speed_rad_s:
        din.set_velocity_rad_s(input_speed_rad_s)
    dload.set_mode("cst")
    dload.enable()
    dload.set_torque_nm(load_torque_nm)


def drive_nodes(rig) -> dict[str, int]:
    return {role: rig.config.devices[role].node_id for role in ("drive_in", "drive_load")}


def pct(x: float) -> str:
    return f"{100.0 * x:.1f} %"


# ------------------------------------------------------------------------------------------------ endurance
def endurance(folder: Path, duration_s: float, record: bool, warmup_s: float) -> dict:
    path, _ = rig_file(folder, torque_rate_hz=1000.0)
    config = load_rig_config(path)
    rig = Rig(config)
    writer = None
    if record:  # attached before the rig opens: the recorder sees every block from the first
        writer = RunWriter.create(folder / "runs", make_record(config, procedure="endurance"), rig.timebase)
        writer.attach(rig.hub)
    try:
        with rig:
            enable_drives(rig, input_speed_rad_s=30.0, load_torque_nm=10.0)
            time.sleep(warmup_s)
            t0, cpu0, threads0, rss0 = time.monotonic(), process_cpu_s(), thread_cpu_s(), rss_bytes()
            counts0 = window_counts(rig)
            rss_samples = [(0.0, rss0)]
            next_report = 60.0
            while True:
                elapsed = time.monotonic() - t0
                if elapsed >= duration_s:
                    break
                time.sleep(min(5.0, duration_s - elapsed))
                elapsed = time.monotonic() - t0
                rss_samples.append((elapsed, rss_bytes()))
                if elapsed >= next_report:
                    print(f"  ... {elapsed:5.0f} s: RSS {rss_samples[-1][1] / 2**20:.1f} MiB, trips "
                          f"{len(rig.safety.trips)}, errors {len(rig.errors)}", flush=True)
                    next_report += 60.0
                if rig.safety.trips:
                    break
            elapsed = time.monotonic() - t0
            cpu1, threads1, rss1 = process_cpu_s(), thread_cpu_s(), rss_bytes()
            counts1 = window_counts(rig)
            # stop the sources, let the decoder drain, then count
            bus = rig.buses[config.devices["drive_in"].bus]
            bus.stop_sync()
            for driver in rig.devices.values():
                stop = getattr(driver, "stop_streaming", None)
                if callable(stop):
                    stop()
            time.sleep(0.1)
            bus.decode_pending()
            result = count_losses(rig, bus, writer)
            result.update(window={k: counts1[k] - counts0[k] for k in counts1}, duration_s=elapsed, warmup_s=warmup_s, rss0=rss0, rss1=rss1, rss_samples=rss_samples,
                          cpu_s=cpu1 - cpu0, cpu_split=split_cpu(threads0, threads1), trips=list(rig.safety.trips),
                          errors=list(rig.errors), slipped_s=rig.sim.runner.slipped_s)
    finally:
        if writer is not None and not writer.closed:
            writer.close("DONE")
    if writer is not None:
        on_disk = writer.stats()["samples"]
        result["recorder_lost"] = {ch: result["published"][ch] - on_disk.get(ch, 0) for ch in result["published"]}
        result["recorded"] = sum(on_disk.values())
    return result


def window_counts(rig) -> dict[str, int]:
    """Counters read at the start and end of the measured window (rates are their differences)."""
    config = rig.config
    bus = rig.buses[config.devices["drive_in"].bus]
    counts = {"syncs": max(rig.sim.simulators[r].stats.sync_count for r, d in config.devices.items() if d.node_id),
              "tpdo_frames": 0}
    for role, device in config.devices.items():
        if device.node_id is not None:
            for base in TPDO_BASES:
                stats = bus.stream_stats(base + device.node_id)
                counts["tpdo_frames"] += stats.frames if stats is not None else 0
        stats = getattr(rig.devices[role], "stats", None)
        if stats is not None and hasattr(stats, "missed_polls"):
            counts[f"{role}.samples"] = stats.samples
            counts[f"{role}.missed"] = stats.missed_polls
    return counts


def count_losses(rig, bus, writer) -> dict:
    published = {name: ring.total_written for name, ring in rig.rings.items()}
    can_lost: dict[str, int] = {}
    frames = 0
    for role, device in rig.config.devices.items():
        if device.node_id is None:
            continue
        node_stats = rig.sim.simulators[role].stats
        for base in TPDO_BASES:
            stats = bus.stream_stats(base + device.node_id)
            if stats is not None:
                frames += stats.frames
        for name in published:
            if name.startswith(role + "."):
                can_lost[name] = node_stats.sync_count - published[name]
    syncs = max(rig.sim.simulators[r].stats.sync_count for r, d in rig.config.devices.items() if d.node_id)
    serial = {}
    for role, driver in rig.devices.items():
        stats = getattr(driver, "stats", None)
        if stats is not None and hasattr(stats, "missed_polls"):
            serial[role] = {"rate_hz": driver.stream_rate_hz, "samples": stats.samples, "missed": stats.missed_polls,
                            "timeouts": stats.timeouts, "bad": stats.bad_records, "requests": stats.requests}
    return {"published": published, "can_lost": can_lost, "can_frames": frames + syncs, "syncs": syncs,
            "serial": serial}


def report_endurance(r: dict) -> None:
    d = r["duration_s"]
    print(f"endurance: {d:.0f} s measured after {r['warmup_s']:g} s warm-up "
          f"(plant slipped {r['slipped_s']:.3f} s behind real time)")
    w = r["window"]
    print(f"  CAN: {(w['tpdo_frames'] + w['syncs']) / d:,.0f} frames/s (TPDOs decoded + SYNCs; SYNC {w['syncs'] / d:,.0f}/s; "
          f"{r['can_frames']:,} frames in all)")
    lost_can = sum(max(0, v) for v in r["can_lost"].values())
    worst = max(r["can_lost"].items(), key=lambda kv: kv[1]) if r["can_lost"] else ("-", 0)
    print(f"  CAN samples lost (SYNCs answered - samples published): {lost_can} over {len(r['can_lost'])} channels "
          f"(worst {worst[0]}: {worst[1]}; target 0)")
    for role, s in r["serial"].items():
        rate = w[f"{role}.samples"] / d
        print(f"  serial {role}: {rate:,.0f} samples/s achieved of {s['rate_hz']:g} Hz nominal (ratio "
              f"{rate / s['rate_hz']:.2f}); {s['missed']} polls without a sample ({s['timeouts']} timeouts, "
              f"{s['bad']} bad records), {s['samples']:,} samples in all")
    if "recorder_lost" in r:
        lost_rec = sum(r["recorder_lost"].values())
        print(f"  recorder: {r['recorded']:,} samples on disk, lost {lost_rec} (published - on disk; target 0)")
    growth = r["rss1"] / r["rss0"] - 1.0
    peak = max(v for _, v in r["rss_samples"])
    print(f"  RSS: {r['rss0'] / 2**20:.1f} MiB at start, {r['rss1'] / 2**20:.1f} MiB at end "
          f"(change {pct(growth)}, peak {peak / 2**20:.1f} MiB; target within {pct(TARGET_RSS_GROWTH)}: "
          f"ratio {abs(growth) / TARGET_RSS_GROWTH:.2f})")
    ctl, sim, per = r["cpu_split"]
    print(f"  CPU: process {r['cpu_s'] / d:.2f} cores ({pct(r['cpu_s'] / d / (os.cpu_count() or 1))} of "
          f"{os.cpu_count()} cores); controller threads {ctl / d:.2f} cores, simulated bench threads {sim / d:.2f} cores")
    top = sorted(per.items(), key=lambda kv: -kv[1])[:8]
    print("  busiest threads: " + ", ".join(f"{name} {v / d:.2f}" for name, v in top))
    print(f"  trips {len(r['trips'])}, rig errors {len(r['errors'])}"
          + (f": first {r['trips'][0].cause if r['trips'] else r['errors'][0]}" if r["trips"] or r["errors"] else ""))


# ------------------------------------------------------------------------------------------------ trips
class QuickStopListener(can.Listener):
    """Passive listener: send time (monotonic) of every quick-stop controlword per node, and nothing else."""

    def __init__(self, channel: str, nodes: list[int]):
        self._wall_to_mono = time.monotonic() - time.time()
        self._ids = {0x200 + n: n for n in nodes}
        self.seen: dict[int, list[float]] = {n: [] for n in nodes}
        self.bus = can.Bus(interface="virtual", channel=channel, receive_own_messages=False,
                           can_filters=[{"can_id": 0x200 + n, "can_mask": 0x7FF} for n in nodes])
        self.notifier = can.Notifier(self.bus, [self], timeout=0.05)

    def on_message_received(self, msg: can.Message) -> None:
        node = self._ids.get(msg.arbitration_id)
        if node is not None and bytes(msg.data[:2]) == b"\x02\x00":  # controlword 0x0002, little-endian
            self.seen[node].append(msg.timestamp + self._wall_to_mono)

    def first_after(self, node: int, t: float) -> float | None:
        return next((x for x in self.seen[node] if x >= t), None)

    def close(self) -> None:
        self.notifier.stop(2.0)
        self.bus.shutdown()


def reaction_trips(folder: Path, n_trips: int, limit_nm: float, ramp_nm_s: float) -> dict:
    path, channel = rig_file(folder, torque_rate_hz=1000.0, limit_nm=limit_nm)
    rows = []
    misses = []
    with Rig.from_config(path) as rig:
        nodes = drive_nodes(rig)
        listener = QuickStopListener(channel, list(nodes.values()))
        plant = rig.sim.plant
        crossing: list[float] = []
        armed = threading.Event()

        def watch_plant(p) -> None:  # plant-runner thread, under the plant lock, after every 1 ms chunk
            if armed.is_set() and not crossing and abs(p.output_torque_nm) > limit_nm:
                crossing.append(time.monotonic())

        rig.sim.runner.add_tick_callback(watch_plant)
        try:
            for k in range(n_trips):
                rig.safety.reset()
                try:
                    enable_drives(rig, input_speed_rad_s=0.0, load_torque_nm=0.6 * limit_nm)
                except BenchError as exc:  # a late trip of the previous excursion (another channel)
                    misses.append(f"trip {k}: enabling interrupted: {exc}")
                    time.sleep(0.2)
                    continue
                time.sleep(0.15)
                if rig.safety.trips:
                    misses.append(f"trip {k}: tripped before the ramp: {rig.safety.trips[0].cause}")
                    continue
                crossing.clear()
                armed.set()
                load = rig.device("drive_load")
                torque, step_s = 0.6 * limit_nm, 0.002
                try:
                    while not rig.safety.tripped and torque < 1.5 * limit_nm:
                        torque += ramp_nm_s * step_s
                        load.set_torque_nm(torque)
                        time.sleep(step_s)
                except BenchError:
                    pass  # the safety path interrupted the ramp
                deadline = time.monotonic() + 2.0
                while time.monotonic() < deadline and not (
                        rig.safety.trips and all(listener.seen[n] and listener.seen[n][-1] >= (crossing or [0])[0]
                                                 for n in nodes.values())):
                    time.sleep(0.005)
                armed.clear()
                trips = list(rig.safety.trips)
                if not crossing or not trips:
                    misses.append(f"trip {k}: crossing {'seen' if crossing else 'not seen'}, "
                                  f"trips {[t.cause for t in trips]}")
                else:
                    t_cross = crossing[0]
                    rows.append({"cross": t_cross, "trip": trips[0].monotonic_s, "channel": trips[0].channel,
                                 **{role: listener.first_after(node, trips[0].monotonic_s - 0.05)
                                    for role, node in nodes.items()}})
                for role in nodes:
                    drive = rig.device(role)
                    end = time.monotonic() + 2.0
                    while drive.state not in (State.SWITCH_ON_DISABLED, State.FAULT) and time.monotonic() < end:
                        time.sleep(0.01)
                end = time.monotonic() + 3.0
                while abs(plant.output_torque_nm) > 0.3 * limit_nm and time.monotonic() < end:
                    time.sleep(0.01)
                time.sleep(0.15)  # > 2 publish intervals of the serial flange: its samples of this excursion are in
        finally:
            rig.sim.runner.remove_tick_callback(watch_plant)
            listener.close()
    return {"rows": rows, "misses": misses, "limit_nm": limit_nm, "ramp_nm_s": ramp_nm_s}


def report_trips(r: dict) -> None:
    rows = r["rows"]
    print(f"interlock reaction ({r['label']}, PDOs decoded every {r['decode_period_s'] * 1e3:g} ms): {len(rows)} trips "
          f"at |torque| > {r['limit_nm']:g} N·m, load torque ramped at {r['ramp_nm_s']:g} N·m/s; times from the "
          f"plant's output torque crossing the limit")
    if not rows:
        print("  no trip measured")
    channels = {}
    for row in rows:
        channels[row["channel"]] = channels.get(row["channel"], 0) + 1
    print("  tripped by: " + ", ".join(f"{ch} {n}" for ch, n in sorted(channels.items())))

    def line(name: str, values: list[float], target: float | None = None) -> None:
        if not values:
            print(f"  {name}: none")
            return
        a = np.asarray(values) * 1e3
        extra = f"; target max < {target * 1e3:g} ms: ratio {a.max() / (target * 1e3):.2f}" if target else ""
        print(f"  {name}: median {np.median(a):.1f} ms, p90 {np.percentile(a, 90):.1f} ms, "
              f"min {a.min():.1f} ms, max {a.max():.1f} ms{extra}")

    if rows:
        detect = [row["trip"] - row["cross"] for row in rows]
        line("crossing -> trip recorded (detection)", detect)
        for role in ("drive_in", "drive_load"):
            vals = [row[role] - row["cross"] for row in rows if row[role] is not None]
            missing = sum(1 for row in rows if row[role] is None)
            line(f"crossing -> quick stop of {role} on the bus", vals, TARGET_REACTION_S)
            if missing:
                print(f"    {missing} trip(s) without a quick stop of {role} seen")
        first = [min(x for x in (row["drive_in"], row["drive_load"]) if x is not None) - row["cross"]
                 for row in rows if row["drive_in"] is not None or row["drive_load"] is not None]
        line("crossing -> first quick stop on the bus", first, TARGET_REACTION_S)
        neg = sum(1 for v in detect if v < 0)
        if neg:
            print(f"  {neg} trip(s) recorded before the plant's output crossed: the load motor's own torque "
                  "channel (drive_load.torque_nm, guarded by the same limit) leads the output torque")
    for miss in r["misses"][:10]:
        print(f"  not measured: {miss}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="endurance seconds (default 600)")
    parser.add_argument("--trips", type=int, default=100, help="interlock trips to time (default 100)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before the start figures (default 5)")
    parser.add_argument("--limit-nm", type=float, default=20.0, help="torque limit for the trips (default 20 N·m)")
    parser.add_argument("--ramp-nm-s", type=float, default=100.0, help="load torque ramp rate (default 100 N·m/s)")
    parser.add_argument("--no-record", action="store_true", help="do not record the endurance run to disk")
    parser.add_argument("--switch-interval", type=float, default=None, metavar="S",
                        help="sys.setswitchinterval(S) first (Python's default 0.005 s; an open rig lowers it "
                             "to bench.rig.rig.GIL_SWITCH_INTERVAL_S): how long a thread woken by I/O may "
                             "wait for the GIL while another runs Python code")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the trips with the baseline decode period (CanBus default)")
    args = parser.parse_args(argv)
    logging.getLogger("bench.rig.safety").setLevel(logging.CRITICAL)  # the trips are the point here
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    print(f"rig_endurance: {SIM_REDUCER.relative_to(ROOT)}, CAN SYNC 1 kHz, torque_out polled at 1 kHz, "
          f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}, GIL switch interval "
          f"{sys.getswitchinterval() * 1e3:g} ms, load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="rig_endurance_") as tmp:
        folder = Path(tmp)
        if args.duration > 0:
            report_endurance(endurance(folder, args.duration, not args.no_record, args.warmup))
            print(f"  (machine load average now {os.getloadavg()[0]:.1f})", flush=True)
        if args.trips > 0:
            ours = rig_module.CAN_DECODE_PERIOD_S
            results = []
            for period in ([ours] if args.no_baseline else [ours, BASELINE_DECODE_PERIOD_S]):
                rig_module.CAN_DECODE_PERIOD_S = period
                try:
                    r = reaction_trips(folder, args.trips, args.limit_nm, args.ramp_nm_s)
                finally:
                    rig_module.CAN_DECODE_PERIOD_S = ours
                r["decode_period_s"] = period
                r["label"] = "the rig" if period == ours else "baseline: CanBus default decode period"
                report_trips(r)
                results.append(r)
            if len(results) == 2 and results[0]["rows"] and results[1]["rows"]:
                def worst(r):
                    return max(min(x for x in (row["drive_in"], row["drive_load"]) if x is not None) - row["cross"]
                               for row in r["rows"] if row["drive_in"] is not None or row["drive_load"] is not None)

                def med(r):
                    return statistics.median(min(x for x in (row["drive_in"], row["drive_load"]) if x is not None)
                                             - row["cross"] for row in r["rows"]
                                             if row["drive_in"] is not None or row["drive_load"] is not None)

                print(f"crossing -> first quick stop, rig / baseline: median {med(results[0]) / med(results[1]):.2f}, "
                      f"max {worst(results[0]) / worst(results[1]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
