"""``bench status --rig FILE``: open the rig once and show every device, its identity, state and values.

Also home of the small helpers the other live commands share (``monitor``, ``record``): how a
device is described in one line, and how an SI channel value is shown in display units
(rpm, arcmin, deg, N·m, °C) — conversions only through :mod:`bench.units`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import signal
import sys
import threading
import time
from typing import Any

from bench import units

SETTLE_TIMEOUT_S = 1.0  # status waits at most this long for a first value on every live channel


def register(sub) -> None:
    parser = sub.add_parser("status", help="open the rig, show devices, identities, states and latest values")
    parser.add_argument("--rig", metavar="FILE", required=True, help="rig TOML file")
    parser.add_argument("--wait", type=float, default=SETTLE_TIMEOUT_S, metavar="S",
                        help=f"wait up to S seconds for a first value on every channel (default {SETTLE_TIMEOUT_S:g})")
    parser.set_defaults(func=run)


# ---------------------------------------------------------------------------------------------- helpers
@contextlib.contextmanager
def sigint_deferred():
    """While the rig is being stopped, a further Ctrl-C is noted instead of cutting the stop short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def note(signum, frame):  # noqa: ARG001 - signal handler signature
        print("bench: still bringing the rig to its safe state...", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def rig_session(path):
    """Open the rig of ``path`` for a command; SIGTERM is treated like Ctrl-C while it is open, and
    closing (which brings the rig to its safe state first) is not cut short by another Ctrl-C."""
    from bench.rig import Rig

    previous_term = None
    if threading.current_thread() is threading.main_thread():
        def on_term(signum, frame):  # noqa: ARG001
            raise KeyboardInterrupt("SIGTERM")

        previous_term = signal.signal(signal.SIGTERM, on_term)
    try:
        rig = Rig.from_config(path)
        try:
            yield rig
        finally:
            with sigint_deferred():
                rig.close()
    finally:
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)


def device_where(config, role: str) -> str:
    """``can0 node 1`` / ``flange addr 1``: the bus and address of a device from the rig file."""
    dev = config.devices[role]
    if dev.node_id is not None:
        return f"{dev.bus} node {dev.node_id}"
    if dev.address is not None:
        return f"{dev.bus} addr {dev.address}"
    return dev.bus


def device_identity(driver) -> str:
    """What the driver knows of the device's identity (describe(), CANopen 0x1018, *IDN?, register)."""
    parts: list[str] = []
    describe = getattr(driver, "describe", None)
    if callable(describe):
        try:
            info = describe() or {}
        except Exception as exc:  # noqa: BLE001 - status shows what failed instead of stopping
            info = {"describe": f"failed: {exc}"}
        parts += [f"{k}={v}" for k, v in info.items() if v not in (None, "")]
    identity = getattr(driver, "identity", None)
    if isinstance(identity, dict):
        names = {"vendor_id": "vendor", "product_code": "product", "revision": "rev", "serial": "serial"}
        parts += [f"{names.get(k, k)}=0x{v:08X}" if isinstance(v, int) else f"{names.get(k, k)}={v}"
                  for k, v in identity.items()]
    elif dataclasses.is_dataclass(identity) and not isinstance(identity, type):  # e.g. SCPI *IDN?
        parts += [f"{k}={v}" for k, v in dataclasses.asdict(identity).items() if v not in (None, "")]
    elif isinstance(identity, str) and identity:
        parts.append(identity.strip())
    elif isinstance(identity, int):
        parts.append(f"id=0x{identity:04X}")
    device_type = getattr(driver, "device_type", None)
    if isinstance(device_type, int):
        parts.append(f"type=0x{device_type:08X}")
    return " ".join(parts) or "-"


def device_state(driver) -> str:
    """CiA 402 state and mode, or the streaming rate and request counters of a polled instrument."""
    parts: list[str] = []
    if hasattr(driver, "quick_stop") and hasattr(driver, "state"):
        try:
            state = driver.state
            parts.append(state.value if state is not None else f"statusword 0x{driver.statusword():04X}")
        except Exception as exc:  # noqa: BLE001 - a status line, not a failure of the command
            parts.append(f"state ? ({exc})")
        try:
            mode = driver.mode
            parts.append(f"mode {mode.name}" if mode is not None else "no mode")
        except Exception as exc:  # noqa: BLE001
            parts.append(f"mode ? ({exc})")
    rate = getattr(driver, "stream_rate_hz", None)
    stats = getattr(driver, "stats", None)
    if rate:
        parts.append(f"polling {rate:g} Hz")
    if stats is not None and hasattr(stats, "missed_polls"):
        parts.append(f"{stats.requests} requests, {stats.timeouts} timeouts, {stats.missed_polls} missed")
    errors = getattr(driver, "errors", None)
    if isinstance(errors, list) and errors:
        parts.append(f"{len(errors)} error(s), last: {errors[-1]}")
    return ", ".join(parts) or "-"


def display_value(channel: str, value: float) -> tuple[str, str]:
    """``(text, unit)`` of one SI value of ``channel`` in display units: speeds in rpm, encoder angles
    in arcmin, other angles in deg, torques in N·m, temperatures in °C, statuswords in hex."""
    role, _, quantity = channel.partition(".")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-", ""
    if quantity == "statusword":
        return f"0x{int(value):04X}", ""
    if quantity.endswith("_rad_s"):
        return f"{units.rad_s_to_rpm(value):.2f}", "rpm"
    if quantity.endswith("_rad"):
        if role.startswith("encoder"):
            return f"{units.rad_to_arcmin(value):.3f}", "arcmin"
        return f"{units.rad_to_deg(value):.3f}", "deg"
    if quantity.endswith("_nm"):
        return f"{value:.3f}", "N·m"
    if quantity.endswith("_c"):
        return f"{value:.2f}", "°C"
    if quantity.endswith("_w"):
        return f"{value:.2f}", "W"
    if quantity.endswith("_v"):
        return f"{value:.3f}", "V"
    if quantity.endswith("_a"):
        return f"{value:.3f}", "A"
    return f"{value:.6g}", ""


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def value_rows(rig) -> list[tuple[str, str, str, str]]:
    """``(channel, value, unit, samples)`` of every live channel, sorted by name."""
    rows = [("CHANNEL", "VALUE", "UNIT", "SAMPLES")]
    for name in sorted(rig.rings):
        text, unit = display_value(name, rig.latest(name))
        rows.append((name, text, unit, str(rig.rings[name].total_written)))
    return rows


def wait_for_values(rig, timeout_s: float) -> None:
    """Wait until every live channel has a sample, or ``timeout_s`` (slow channels show '-')."""
    deadline = time.monotonic() + max(0.0, timeout_s)
    while time.monotonic() < deadline:
        if all(ring.total_written for ring in rig.rings.values()):
            return
        time.sleep(0.02)


def trip_lines(rig) -> list[str]:
    return [f"TRIPPED ({t.kind}) at t={t.t_s:.3f} s: {t.cause}" for t in rig.safety.trips]


def status_lines(rig) -> list[str]:
    config = rig.config
    lines = [f"rig: {config.name or config.path} ({config.unit.kind} {config.unit.model}"
             f"{', simulated' if rig.is_simulated else ''})"]
    rows: list[tuple[str, ...]] = [("ROLE", "DRIVER", "BUS/ADDRESS", "IDENTITY", "STATE")]
    for role, driver in rig.devices.items():
        rows.append((role, config.devices[role].driver, device_where(config, role), device_identity(driver),
                     device_state(driver)))
    lines += table(rows)
    lines.append("")
    lines += table(value_rows(rig))
    lines += trip_lines(rig)
    lines += [f"error: {exc}" for exc in rig.errors]
    return lines


# ---------------------------------------------------------------------------------------------- command
def run(args: Any) -> int:
    with rig_session(args.rig) as rig:
        wait_for_values(rig, args.wait)
        for line in status_lines(rig):
            print(line)
        return 1 if rig.safety.trips or rig.errors else 0
