"""SI conventions and the display conversions of the bench.

Below the GUI, reports and CLI every quantity is SI: s, rad, rad/s, N·m, N·m/rad, A, V, W, Hz,
kg·m²; the one exception is temperature in °C. Names carry their unit (``speed_rad_s``,
``torque_nm``, ``angle_rad``, ``timeout_s``). Raw counts live only in protocols and drivers.

Sign conventions (written once, here):

* "in" is the motor (drive) side, "out" the load side.
* The ratio is ``N = ω_in / ω_out`` (signed: a reducer whose output turns against its input has N < 0).
* Transmission error is ``TE = θ_out − θ_in / N``.
* In torsion tests the output angle is taken relative to the housing, the input locked, and output
  torque and output angle share one positive sense, so stiffness is positive.

Display units (rpm, deg, arcmin, arcsec, N·m/arcmin) appear only in the GUI, reports and CLI output,
through the helpers below.
"""

from __future__ import annotations

import math

ARCMIN_RAD = math.pi / 10800.0
ARCSEC_RAD = math.pi / 648000.0
DEG_RAD = math.pi / 180.0
RPM_RAD_S = 2.0 * math.pi / 60.0
NM_PER_ARCMIN_IN_NM_PER_RAD = 1.0 / ARCMIN_RAD  # 1 N·m/arcmin = 3437.747 N·m/rad


def rad_to_arcmin(angle_rad):
    return angle_rad / ARCMIN_RAD


def arcmin_to_rad(angle_arcmin):
    return angle_arcmin * ARCMIN_RAD


def rad_to_arcsec(angle_rad):
    return angle_rad / ARCSEC_RAD


def arcsec_to_rad(angle_arcsec):
    return angle_arcsec * ARCSEC_RAD


def rad_to_deg(angle_rad):
    return angle_rad / DEG_RAD


def deg_to_rad(angle_deg):
    return angle_deg * DEG_RAD


def rad_s_to_rpm(speed_rad_s):
    return speed_rad_s / RPM_RAD_S


def rpm_to_rad_s(speed_rpm):
    return speed_rpm * RPM_RAD_S


def nm_rad_to_nm_arcmin(stiffness_nm_rad):
    """N·m/rad → N·m/arcmin (catalogue unit of torsional rigidity)."""
    return stiffness_nm_rad * ARCMIN_RAD


def nm_arcmin_to_nm_rad(stiffness_nm_arcmin):
    return stiffness_nm_arcmin / ARCMIN_RAD


def celsius_to_kelvin(temperature_c):
    return temperature_c + 273.15


# Display helpers: a name for each unit the CLI and reports may show, and how to get there from SI.
DISPLAY_UNITS = {
    "arcmin": ("rad", rad_to_arcmin),
    "arcsec": ("rad", rad_to_arcsec),
    "deg": ("rad", rad_to_deg),
    "rpm": ("rad/s", rad_s_to_rpm),
    "Nm/arcmin": ("N·m/rad", nm_rad_to_nm_arcmin),
    "%": ("1", lambda x: x * 100.0),
}


def to_display(value_si, display_unit: str):
    """Convert an SI value to a display unit named in :data:`DISPLAY_UNITS` (identity if unknown)."""
    entry = DISPLAY_UNITS.get(display_unit)
    return value_si if entry is None else entry[1](value_si)
