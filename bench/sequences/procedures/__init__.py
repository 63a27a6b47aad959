"""The standard test procedures, by the name the CLI and the specs use."""

from __future__ import annotations

from bench.sequences.procedures.efficiency import EfficiencyMap
from bench.sequences.procedures.friction import (
    BackDrivingTorque,
    NoLoadTorque,
    StartingTorque,
)
from bench.sequences.procedures.motor import Cogging, MotorConstants, TorqueRipple
from bench.sequences.procedures.positioning import Positioning
from bench.sequences.procedures.torsion import Hysteresis
from bench.sequences.procedures.transmission import TransmissionError

PROCEDURES = {cls.name: cls for cls in (
    Hysteresis, TransmissionError, EfficiencyMap, NoLoadTorque, StartingTorque, BackDrivingTorque,  # reducers
    Positioning,  # reducers, output positioning
    TorqueRipple, Cogging, MotorConstants,  # motors
)}

__all__ = ["PROCEDURES", "Hysteresis", "TransmissionError", "EfficiencyMap", "NoLoadTorque", "StartingTorque",
           "BackDrivingTorque", "Positioning", "TorqueRipple", "Cogging", "MotorConstants"]
