"""Analysis core: pure numpy/scipy functions, arrays in (SI), frozen result dataclasses out.

Definitions follow ``DOMAIN.md`` §2 (reducers) and §4 (motors); each function's docstring states
its formula and window, and each result carries the window / interval it was computed over.
"""

from .hysteresis import HysteresisResult, hysteresis_loop
from .stiffness_model import partial_load_efficiency, torsion_angle_rad, torsion_torque_nm
from .transmission_error import TransmissionErrorResult, transmission_error

__all__ = [
    "HysteresisResult", "hysteresis_loop",
    "partial_load_efficiency", "torsion_angle_rad", "torsion_torque_nm",
    "TransmissionErrorResult", "transmission_error",
]
