"""Building the JSON run record from a rig configuration (what the sequence runner hands the writer)."""

from __future__ import annotations

from typing import Any

import bench
from bench.config import RigConfig


def make_record(rig: RigConfig | None = None, *, procedure: str = "", operator: str | None = None,
                serial: str | None = None, parameters: dict[str, Any] | None = None,
                sensors: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A run record with the fields the contract names, filled from ``rig`` where it knows them.

    ``serial`` overrides the rig file's unit serial (each unit tested on the rig has its own);
    ``sensors`` defaults to the rig's devices (role, driver, bus, node id / address). ``extra`` keys are
    copied as they are (e.g. ``calibration``).
    """
    record: dict[str, Any] = {
        "procedure": procedure,
        "operator": operator if operator is not None else (rig.operator if rig else ""),
        "software_version": bench.__version__,
        "parameters": dict(parameters or {}),
        "measurements": [],
        "rig": {},
        "unit": {},
        "sensors": [],
    }
    if rig is not None:
        record["rig"] = {"name": rig.name, "path": str(rig.path) if rig.path else "", "sha256": rig.sha256,
                         "simulated": rig.is_simulated}
        u = rig.unit
        record["unit"] = {"kind": u.kind, "model": u.model, "serial": u.serial, "ratio": u.ratio,
                          "rated_torque_nm": u.rated_torque_nm}
        record["sensors"] = [
            {"role": role, "driver": dev.driver, "bus": dev.bus, "node_id": dev.node_id, "address": dev.address}
            for role, dev in rig.devices.items()
        ]
    if serial is not None:
        record["unit"]["serial"] = serial
    if sensors is not None:
        record["sensors"] = list(sensors)
    record.update(extra)
    return record
