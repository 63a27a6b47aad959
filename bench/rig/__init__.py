"""The rig: devices by role, live streams and the safety layer (see :mod:`bench.rig.rig`)."""

from bench.rig.rig import Rig
from bench.rig.safety import SafetySupervisor, Trip

__all__ = ["Rig", "SafetySupervisor", "Trip"]
