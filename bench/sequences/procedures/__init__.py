"""The standard test procedures, by the name the CLI and the specs use."""

from __future__ import annotations

from bench.sequences.procedures.torsion import Hysteresis

PROCEDURES = {cls.name: cls for cls in (Hysteresis,)}

__all__ = ["PROCEDURES", "Hysteresis"]
