"""``bench record --rig FILE --duration S``: record every channel of the rig into a new run folder.

The run is closed with outcome DONE after ``S`` seconds. Ctrl-C (SIGINT) is an emergency stop: the rig
goes to its safe state at once (quick stop, disable, set points released), the recording goes on for a
moment so the run shows the drives' state after the stop, and the run is closed ABORTED; exit code 130.
SIGTERM (``kill``) is handled like Ctrl-C.
A second Ctrl-C while that happens does not cut it short. Safety trips during the run are kept in the
record (``trips``) and make the exit code 1.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from bench.commands.status import rig_session, sigint_deferred, table

EXIT_TRIPPED = 1
EXIT_INTERRUPTED = 130  # the shell's code for "ended by SIGINT"
SETTLE_S = 0.2  # recording after the safe state so the run shows the drives stopped and disabled


def register(sub) -> None:
    parser = sub.add_parser("record", help="record every channel of the rig for a duration into a run folder")
    parser.add_argument("--rig", metavar="FILE", required=True, help="rig TOML file")
    parser.add_argument("--duration", type=float, required=True, metavar="S", help="seconds to record")
    parser.add_argument("--runs-dir", metavar="DIR", help="runs folder (default: the rig's runs_dir, "
                        "$BENCH_RUNS_DIR, or ./runs)")
    parser.add_argument("--procedure", default="record", help="procedure name in the run record (default: record)")
    parser.add_argument("--serial", default=None, help="serial number of the unit under test (default: the rig file's)")
    parser.add_argument("--operator", default=None, help="operator name (default: the rig file's)")
    parser.set_defaults(func=run)


def trip_dict(trip) -> dict[str, Any]:
    return {"t_s": trip.t_s, "kind": trip.kind, "cause": trip.cause, "channel": trip.channel, "value": trip.value}


def record(rig, runs_dir, duration_s: float, *, procedure: str = "record", serial: str | None = None,
           operator: str | None = None, out=None, sleep=time.sleep) -> tuple[Any, str, int]:
    """Record every channel of the open ``rig`` for ``duration_s``; returns ``(writer, outcome, exit code)``.

    Split from :func:`run` so that a test (or a script) can run it on a rig it holds; a
    KeyboardInterrupt raised by ``sleep`` (or by the signal) takes the Ctrl-C path.
    """
    from bench.recording import RunWriter, make_record

    out = out or sys.stdout
    record_dict = make_record(rig.config, procedure=procedure, serial=serial, operator=operator,
                              parameters={"duration_s": duration_s})
    writer = RunWriter.create(runs_dir, record_dict, rig.timebase)
    outcome, code, note = "ERROR", 2, ""
    started = time.monotonic()
    try:
        writer.attach(rig.hub)
        print(f"run {writer.run_id}: recording {len(writer.channels)} channels for {duration_s:g} s into {writer.path}",
              file=out, flush=True)
        end = time.monotonic() + duration_s
        seen = 0
        while True:
            left = end - time.monotonic()
            for trip in rig.safety.trips[seen:]:
                print(f"bench: TRIPPED ({trip.kind}): {trip.cause}", file=sys.stderr)
            seen = len(rig.safety.trips)
            if left <= 0:
                break
            sleep(min(left, 0.1))
        outcome, code = "DONE", EXIT_TRIPPED if rig.safety.trips else 0
    except KeyboardInterrupt as exc:
        how = "SIGTERM" if exc.args == ("SIGTERM",) else "Ctrl-C"
        with sigint_deferred():
            rig.emergency_stop(f"{how} during bench record")
            time.sleep(SETTLE_S)
        outcome, code, note = "ABORTED", EXIT_INTERRUPTED, f"interrupted by {how}"
    except BaseException as exc:
        with sigint_deferred():
            rig.safe_state()
        note = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with sigint_deferred():
            _close(writer, rig, outcome, note, time.monotonic() - started)
    return writer, outcome, code


def _close(writer, rig, outcome: str, note: str, recorded_s: float) -> None:
    callback_errors = [str(e) for e in rig.hub.take_callback_errors()]
    fields: dict[str, Any] = {"recorded_s": round(recorded_s, 3),
                              "trips": [trip_dict(t) for t in rig.safety.trips],
                              "rig_errors": [str(e) for e in rig.errors[-100:]]}
    if callback_errors:
        fields["callback_errors"] = callback_errors[:100]
    if note:
        fields["note"] = note
    try:
        writer.update_record(**fields)
    finally:
        writer.close(outcome)
    for error in callback_errors[:10]:
        print(f"bench: warning: {error}", file=sys.stderr)


def run(args: Any) -> int:
    from bench.errors import BenchError
    from bench.recording import resolve_runs_dir

    if not args.duration > 0:
        raise BenchError(f"--duration must be > 0 s, got {args.duration:g}")
    runs_dir = resolve_runs_dir(args.runs_dir, args.rig)
    with rig_session(args.rig) as rig:
        writer, outcome, code = record(rig, runs_dir, args.duration, procedure=args.procedure,
                                       serial=args.serial, operator=args.operator)
    samples = writer.stats()["samples"]
    duration_s = float(writer.record.get("recorded_s") or args.duration)
    rows = [("CHANNEL", "SAMPLES", "RATE/s")]
    rows += [(name, str(n), f"{n / duration_s:.0f}") for name, n in sorted(samples.items())]
    for line in table(rows):
        print(line)
    print(f"run {writer.run_id}: {outcome}, {sum(samples.values())} samples in {len(samples)} channels "
          f"({writer.path})")
    if outcome == "ABORTED":
        print(f"bench: {writer.record.get('note', 'interrupted')}: rig brought to its safe state, run closed ABORTED",
              file=sys.stderr)
    return code
