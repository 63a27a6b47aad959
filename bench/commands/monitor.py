"""``bench monitor --rig FILE``: live values of every channel in display units until Ctrl-C or ``--duration``.

On a terminal the table is redrawn in place (ANSI: cursor home, clear); otherwise (a pipe, a log file)
one snapshot per interval is printed, each headed by its time, so the output reads as a log.
Ctrl-C (or SIGTERM) ends the monitor normally: the rig is closed, which brings it to its safe state first.
"""

from __future__ import annotations

import fnmatch
import sys
import time
from typing import Any

from bench.commands.status import display_value, rig_session, table, trip_lines

CLEAR = "\x1b[H\x1b[J"  # cursor home, clear to the end of the screen


def register(sub) -> None:
    parser = sub.add_parser("monitor", help="live values of the rig's channels, refreshing, until Ctrl-C")
    parser.add_argument("--rig", metavar="FILE", required=True, help="rig TOML file")
    parser.add_argument("--interval", type=float, default=0.5, metavar="S", help="refresh every S seconds (default 0.5)")
    parser.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds (default: Ctrl-C)")
    parser.add_argument("--channel", action="append", default=None, metavar="PATTERN",
                        help="show only channels matching PATTERN (shell style, e.g. 'drive_*'); repeatable")
    parser.set_defaults(func=run)


def _selected(names, patterns) -> list[str]:
    if not patterns:
        return sorted(names)
    return sorted(n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns))


def snapshot_lines(rig, names: list[str], previous: dict[str, tuple[int, float]], elapsed_s: float) -> list[str]:
    """Header and table of the latest value and the sample rate since the previous snapshot."""
    now = time.monotonic()
    rows = [("CHANNEL", "VALUE", "UNIT", "RATE/s")]
    for name in names:
        ring = rig.rings[name]
        total = ring.total_written
        count0, at0 = previous.get(name, (total, now))
        rate = (total - count0) / (now - at0) if now > at0 else 0.0
        previous[name] = (total, now)
        text, unit = display_value(name, rig.latest(name))
        rows.append((name, text, unit, f"{rate:.0f}" if name in previous and now > at0 else "-"))
    header = f"t = {elapsed_s:7.2f} s   {rig.config.name or rig.config.path}"
    return [header, *table(rows), *trip_lines(rig), *(f"error: {exc}" for exc in rig.errors[-3:])]


def run(args: Any) -> int:
    from bench.errors import BenchError

    if args.interval <= 0:
        raise BenchError(f"--interval must be > 0 s, got {args.interval:g}")
    if args.duration is not None and args.duration < 0:
        raise BenchError(f"--duration must be >= 0 s, got {args.duration:g}")
    out = sys.stdout
    tty = out.isatty()
    with rig_session(args.rig) as rig:
        names = _selected(rig.rings, args.channel)
        if not names:
            raise BenchError(f"no channel matches {', '.join(args.channel)} (channels: {', '.join(sorted(rig.rings))})")
        previous: dict[str, tuple[int, float]] = {}
        start = time.monotonic()
        next_at = start
        try:
            while True:
                now = time.monotonic()
                done = args.duration is not None and now - start >= args.duration
                if now >= next_at or done:
                    lines = snapshot_lines(rig, names, previous, now - start)
                    out.write((CLEAR if tty else "") + "\n".join(lines) + "\n" + ("" if tty else "\n"))
                    out.flush()
                    next_at += args.interval
                    if next_at < now:
                        next_at = now + args.interval
                if done:
                    break
                wake = next_at if args.duration is None else min(next_at, start + args.duration)
                time.sleep(max(0.0, min(wake - time.monotonic(), args.interval)))
        except KeyboardInterrupt:
            print("bench: monitor stopped (Ctrl-C); rig brought to its safe state", file=sys.stderr)
        return 1 if rig.safety.trips else 0
