"""Speed of the analysis core: time per 1M samples and its ratio to one np.copyto of the same bytes.

Run:  .venv/bin/python benchmarks/analysis_speed.py [--quick]

Targets (issue 6): hysteresis_loop <= 20 ms per 1M samples; transmission_error <= 0.5 s for 10M
samples; live updates <= 0.5 ms per 1,000-sample block. The copy baseline is measured in the
same run, so the ratios are comparable across machines; the absolute times are not.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import analysis as an  # noqa: E402

TWO_PI = 2 * math.pi


def best_of(fn, repeats):
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def copy_time(n_bytes, repeats):
    src = np.ones(n_bytes // 8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    return best_of(lambda: np.copyto(dst, src), repeats)


def loop_record(n, rng):
    tn = 16.0
    u = np.arange(n) * (4.0 / n) + 0.1
    f = np.mod(u, 1.0)
    t = np.where(f < 0.25, 4 * f, np.where(f < 0.75, 2 - 4 * f, 4 * f - 4)) * tn
    rising = (f < 0.25) | (f >= 0.75)
    a = t / 1.1e4 + np.where(rising, -1, 1) * 7e-5 * (1 - (t / tn) ** 2)
    return t + 0.008 * rng.standard_normal(n), a + 5e-6 * rng.standard_normal(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, 2M instead of 10M samples for TE")
    args = ap.parse_args()
    reps = 2 if args.quick else 5
    rng = np.random.default_rng(0)
    n = 1_000_000
    rows = []

    def row(name, seconds, n_samples, n_arrays, target=None):
        per_1m = seconds * 1e6 / n_samples
        base = copy_time(n_samples * n_arrays * 8, reps)
        rows.append((name, per_1m, seconds / base, seconds, target))

    t, a = loop_record(n, rng)
    row("hysteresis_loop", best_of(lambda: an.hysteresis_loop(t, a, rated_torque_nm=16.0), reps), n, 2,
        "<= 20 ms / 1M")

    n_te = 2_000_000 if args.quick else 10_000_000
    x = np.linspace(0.0, TWO_PI * 3.3, n_te)
    a_in = 100.0 * (x - 1e-4 * np.sin(200 * x))
    row(f"transmission_error ({n_te // 1_000_000}M)", best_of(lambda: an.transmission_error(a_in, x, 100.0),
        max(1, reps // 2)), n_te, 2, "<= 0.5 s / 10M")
    del a_in, x

    x = np.linspace(0.0, TWO_PI * 10.2, n)
    tq = 2.0 + 0.05 * np.cos(60 * x) + 0.001 * rng.standard_normal(n)
    row("torque_ripple", best_of(lambda: an.torque_ripple(tq, x), reps), n, 2)
    row("cogging_torque", best_of(lambda: an.cogging_torque(x, tq, x[::-1], tq), reps), 2 * n, 2)
    w = 100.0 + 0.1 * rng.standard_normal(n)
    row("efficiency", best_of(lambda: an.efficiency(tq, w, -40 * tq, w / 50), reps), n, 4)
    ang = np.where(np.arange(n) > n // 2, 1.0, 0.0)
    row("breakaway_torque", best_of(lambda: an.breakaway_torque(tq, ang, motion_threshold_rad=0.5), reps), n, 2)
    row("motor_constants (Kt)", best_of(lambda: an.motor_constants(torque_nm=tq, current_a=w), reps), n, 2)

    print(f"{'function':34s} {'ms per 1M':>10s} {'x copyto':>9s} {'total s':>9s}  target")
    for name, per_1m, ratio, total, target in rows:
        print(f"{name:34s} {per_1m * 1e3:10.2f} {ratio:9.1f} {total:9.4f}  {target or ''}")

    # live updates: cost of one 1,000-sample block, averaged over a long run
    block = 1000
    blocks = 300 if args.quick else 1000
    live = []
    t, a = loop_record(block * blocks, rng)
    tr = an.HysteresisTracker(16.0)
    live.append(("HysteresisTracker.update", _per_block(lambda i: tr.update(t[i:i + block], a[i:i + block]), block, blocks)))
    dwell = an.HysteresisTracker(16.0)
    dwell.update(t[: blocks * block // 2], a[: blocks * block // 2])     # half a loop, then hold
    hold = t[blocks * block // 2 - 1] + 0.008 * rng.standard_normal(block * blocks)
    live.append(("HysteresisTracker.update (dwell)", _per_block(lambda i: dwell.update(hold[i:i + block], a[:block]), block, blocks)))
    x = np.linspace(0.0, TWO_PI * 5.0, block * blocks)
    a_in = 100.0 * (x - 1e-4 * np.sin(200 * x))
    te = an.TransmissionErrorTracker(100.0, points_per_rev=4096)
    live.append(("TransmissionErrorTracker.update", _per_block(lambda i: te.update(a_in[i:i + block], x[i:i + block]), block, blocks)))
    tq = 2.0 + 0.05 * np.cos(60 * x)
    rp = an.TorqueRippleTracker(points_per_rev=1024)
    live.append(("TorqueRippleTracker.update", _per_block(lambda i: rp.update(tq[i:i + block], x[i:i + block]), block, blocks)))
    cg = an.CoggingTracker(points_per_rev=1024)
    live.append(("CoggingTracker.update_cw", _per_block(lambda i: cg.update_cw(x[i:i + block], tq[i:i + block]), block, blocks)))
    ef = an.EfficiencyTracker()
    live.append(("EfficiencyTracker.update", _per_block(lambda i: ef.update(tq[i:i + block], tq[i:i + block], tq[i:i + block], tq[i:i + block]), block, blocks)))
    bk = an.BreakawayTracker(motion_threshold_rad=1e9)
    live.append(("BreakawayTracker.update", _per_block(lambda i: bk.update(tq[i:i + block], x[i:i + block]), block, blocks)))
    mc = an.MotorConstantsTracker()
    live.append(("MotorConstantsTracker.update_kt", _per_block(lambda i: mc.update_kt(tq[i:i + block], x[i:i + block]), block, blocks)))
    base = copy_time(block * 2 * 8, 200)
    print(f"\n{'live update (1,000-sample block)':34s} {'ms/block':>10s} {'x copyto':>9s}  target <= 0.5 ms")
    for name, sec in live:
        print(f"{name:34s} {sec * 1e3:10.3f} {sec / base:9.1f}")
    r0 = time.perf_counter()
    tr.result()
    print(f"{'HysteresisTracker.result':34s} {(time.perf_counter() - r0) * 1e3:10.3f}  (read-out, O(bins))")


def _per_block(fn, block, blocks):
    t0 = time.perf_counter()
    for k in range(blocks):
        fn(k * block)
    return (time.perf_counter() - t0) / blocks


if __name__ == "__main__":
    main()
