"""Analysis core: pure numpy/scipy functions, arrays in (SI), frozen result dataclasses out.

Definitions follow ``DOMAIN.md`` §2 (reducers) and §4 (motors); each function's docstring states
its formula and window, and each result carries the window / interval it was computed over.
Every batch function has a live form in :mod:`bench.analysis.incremental` that takes sample
blocks as they arrive.
"""

from .breakaway import BreakawayResult, breakaway_torque
from .cogging import CoggingResult, cogging_torque
from .efficiency import (
    EfficiencyMap,
    EfficiencyResult,
    efficiency,
    efficiency_map,
    motor_efficiency,
)
from .hysteresis import HysteresisResult, hysteresis_loop
from .incremental import (
    BreakawayTracker,
    CoggingTracker,
    EfficiencyTracker,
    HysteresisTracker,
    MotorConstantsTracker,
    MotorEfficiencyTracker,
    TorqueRippleTracker,
    TransmissionErrorTracker,
)
from .motor import LineFit, MotorConstantsResult, kt_from_ke, motor_constants
from .positioning import PositioningResult, positioning_statistics
from .ripple import TorqueRippleResult, torque_ripple
from .stiffness_model import (
    partial_load_efficiency,
    torsion_angle_rad,
    torsion_torque_nm,
)
from .transmission_error import TransmissionErrorResult, transmission_error

__all__ = [
    "BreakawayResult", "breakaway_torque",
    "CoggingResult", "cogging_torque",
    "EfficiencyMap", "EfficiencyResult", "efficiency", "efficiency_map", "motor_efficiency",
    "HysteresisResult", "hysteresis_loop",
    "BreakawayTracker", "CoggingTracker", "EfficiencyTracker", "HysteresisTracker",
    "MotorConstantsTracker", "MotorEfficiencyTracker", "TorqueRippleTracker", "TransmissionErrorTracker",
    "LineFit", "MotorConstantsResult", "kt_from_ke", "motor_constants",
    "PositioningResult", "positioning_statistics",
    "TorqueRippleResult", "torque_ripple",
    "partial_load_efficiency", "torsion_angle_rad", "torsion_torque_nm",
    "TransmissionErrorResult", "transmission_error",
]
