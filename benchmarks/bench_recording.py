"""Recorder throughput on the issue-5 load: 15 CAN-decoded channels at 1 kHz + 1 serial channel at 1 kHz.

Blocks of 10-100 samples (5,000 CAN frames/s decoded in batches). Feeds N seconds of simulated data in
0.25 s slices (one writer flush each) and reports:

- publisher cost: microseconds per ``write_block`` call (what a receive thread pays);
- writer duty: time the writer thread spends writing+fsyncing per second of data (< 1 = keeps up);
- baseline "naive": the same blocks appended with open/write/flush per block in the publisher thread
  (what the queue avoids), and "raw": one ``ndarray.tofile`` per channel of all the data (disk ceiling).

Usage: .venv/bin/python benchmarks/bench_recording.py [seconds_of_data=20]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.recording import RunWriter, open_run  # noqa: E402
from bench.streams import ChannelSpec, SampleBlock  # noqa: E402

RATE_HZ = 1000.0
CHANNELS = [f"can.ch{i:02d}_v" for i in range(15)] + ["serial.torque_nm"]
SLICE_S = 0.25


def make_blocks(seconds: float, rng: np.random.Generator) -> list[list[SampleBlock]]:
    """Blocks per 0.25 s slice, interleaved across channels as a hub would deliver them."""
    slices = []
    n_per_slice = int(SLICE_S * RATE_HZ)
    for s in range(int(seconds / SLICE_S)):
        blocks = []
        for name in CHANNELS:
            k0 = s * n_per_slice
            done = 0
            while done < n_per_slice:
                size = min(int(rng.integers(10, 101)), n_per_slice - done)
                k = np.arange(k0 + done, k0 + done + size)
                blocks.append(SampleBlock(name, k / RATE_HZ, np.sin(k * 1e-3)))
                done += size
        blocks.sort(key=lambda b: b.t_s[0])  # channels interleave in time, as a hub delivers them
        slices.append(blocks)
    return slices


def run_recorder(root: Path, slices) -> dict:
    w = RunWriter.create(root, {"procedure": "benchmark"})
    for name in CHANNELS:
        w.add_channel(ChannelSpec(name, "V", rate_hz=RATE_HZ))
    work = []
    original = w._write_queued

    def timed():
        t0 = time.perf_counter()
        original()
        work.append(time.perf_counter() - t0)

    w._write_queued = timed
    call_s = 0.0
    n_blocks = 0
    for blocks in slices:
        t0 = time.perf_counter()
        for b in blocks:
            w.write_block(b)
        call_s += time.perf_counter() - t0
        n_blocks += len(blocks)
        w.flush(timeout_s=10.0)
    w.close("DONE")
    run = open_run(w.path)
    samples = sum(run.sample_count(n) for n in CHANNELS)
    t_read = time.perf_counter()
    for n in CHANNELS:
        run.read(n)
    read_s = time.perf_counter() - t_read
    return {"call_us": call_s / n_blocks * 1e6, "work_s": sum(work), "samples": samples, "blocks": n_blocks,
            "read_s": read_s}


def run_naive(root: Path, slices) -> float:
    """Per block: append to the channel's file and flush, in the publisher's thread."""
    root.mkdir()
    t0 = time.perf_counter()
    n = 0
    for blocks in slices:
        for b in blocks:
            rec = np.empty(len(b), [("t_s", "<f8"), ("value", "<f8"), ("flags", "u1")])
            rec["t_s"], rec["value"], rec["flags"] = b.t_s, b.values, 0
            with open(root / f"{b.channel}.bin", "ab") as fh:
                fh.write(rec.tobytes())
                fh.flush()
            n += 1
    return (time.perf_counter() - t0) / n * 1e6


def run_raw(root: Path, slices) -> float:
    root.mkdir()
    t0 = time.perf_counter()
    for name in CHANNELS:
        parts = [b for blocks in slices for b in blocks if b.channel == name]
        rec = np.empty(sum(len(b) for b in parts), [("t_s", "<f8"), ("value", "<f8"), ("flags", "u1")])
        rec["t_s"] = np.concatenate([b.t_s for b in parts])
        rec["value"] = np.concatenate([b.values for b in parts])
        rec["flags"] = 0
        rec.tofile(root / f"{name}.bin")
    return time.perf_counter() - t0


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    slices = make_blocks(seconds, np.random.default_rng(1))
    root = Path(tempfile.mkdtemp(prefix="bench_rec_"))
    try:
        r = run_recorder(root / "runs", slices)
        naive_us = run_naive(root / "naive", slices)
        raw_s = run_raw(root / "raw", slices)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    need = len(CHANNELS) * RATE_HZ
    duty = r["work_s"] / seconds
    print(f"load: {len(CHANNELS)} channels x {RATE_HZ:g} Hz = {need:,.0f} samples/s, blocks of 10-100 samples, "
          f"{seconds:g} s of data ({r['samples']:,} samples, {r['blocks']:,} blocks)")
    print(f"write_block (publisher cost):   {r['call_us']:.2f} us/block")
    print(f"  baseline naive per-block write+flush in the publisher: {naive_us:.1f} us/block "
          f"(recorder is {naive_us / r['call_us']:.0f}x cheaper for the publisher)")
    print(f"writer thread work (write+fsync): {r['work_s'] * 1e3:.1f} ms for {seconds:g} s of data "
          f"= duty {duty * 100:.2f} % of one core -> keeps up with {1 / duty:.0f}x the load")
    print(f"  sustained capacity: {r['samples'] / r['work_s']:,.0f} samples/s "
          f"(baseline raw tofile, no fsync: {r['samples'] / raw_s:,.0f} samples/s, "
          f"ratio {(r['samples'] / r['work_s']) / (r['samples'] / raw_s):.2f})")
    print(f"read back: {r['samples'] / r['read_s']:,.0f} samples/s")


if __name__ == "__main__":
    main()
