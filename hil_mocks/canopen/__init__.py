"""Simulated CANopen devices that speak real CiA 301/402/406 on a python-can bus, backed by the plant.

``SimulatedCia402Drive`` (a servo drive acting on a plant axis) and ``SimulatedCia406Encoder`` (an
absolute encoder reading a plant encoder); both load their object dictionary from an EDS/DCF (the
project's own files under ``eds/`` by default) and carry a :class:`FaultInjector` as ``.faults``.
"""

from .drive402 import DEFAULT_EDS as DRIVE_EDS
from .drive402 import IdealAxis, SimulatedCia402Drive
from .encoder406 import DEFAULT_EDS as ENCODER_EDS
from .encoder406 import FixedEncoder, SimulatedCia406Encoder
from .faults import FaultInjector
from .node import NodeStats, SimulatedNode

__all__ = ["SimulatedCia402Drive", "SimulatedCia406Encoder", "SimulatedNode", "FaultInjector", "NodeStats",
           "IdealAxis", "FixedEncoder", "DRIVE_EDS", "ENCODER_EDS"]
