"""A servo drive's power stage and loops acting on one motor of the plant.

The simulated CiA 402 drive maps its modes onto these: CST/PT → ``"torque"``, CSV/PV → ``"velocity"``,
CSP/PP → ``"position"`` (profile ramps are the drive simulator's business: it moves the targets).
Loops as a drive runs them: position (P) → velocity (PI, conditional integration) → current (first
order with the current-loop bandwidth), all limited by ``torque_limit_nm``.

Gains: ``Kp = J_tuned·ωv``, ``Ki = Kp·ratio·ωv_eff``, ``Kpp = min(ωp, ωv_eff/4)`` where ``J_tuned`` is
``loops.tuned_inertia_kgm2`` or, when 0, the whole train as the motor sees it. ``Kp`` is capped at
``0.3·J_body/step_s`` so that the loop stays stable when backlash decouples the motor from the rest
(``ωv_eff = Kp/J_tuned`` is then lower than configured: a load motor seeing a reducer input
reflected through N² is slow, as on a real bench).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hil_mocks.plant import core
from hil_mocks.plant.errors import PlantError

if TYPE_CHECKING:
    from hil_mocks.plant.plant import Plant

MODES = {"disabled": core.MODE_DISABLED, "torque": core.MODE_TORQUE,
         "velocity": core.MODE_VELOCITY, "position": core.MODE_POSITION}
_MODE_NAMES = {v: k for k, v in MODES.items()}
FAULTS = {"overcurrent": core.FAULT_OVERCURRENT, "overtemperature": core.FAULT_OVERTEMPERATURE,
          "following_error": core.FAULT_FOLLOWING}
_FAULT_NAMES = {v: k for k, v in FAULTS.items()}


class ServoAxis:
    """One motor with its drive. Commands are attributes; reads are the plant's true values.

    Hold ``plant.lock`` when touching an axis from another thread than the one stepping the plant.
    """

    def __init__(self, plant: Plant, index: int, name: str):
        self._plant = plant
        self._k = index
        self.name = name
        self._s = index * core.AX
        self._q = index * core.AXP

    # ---- commands ----------------------------------------------------------------------------------
    def _set(self, slot: int, value: float, what: str) -> None:
        value = float(value)
        if not math.isfinite(value):
            raise PlantError(f"axis {self.name!r}: {what} must be finite, got {value!r}")
        self._plant._p[self._q + slot] = value

    @property
    def mode(self) -> str:
        return _MODE_NAMES[int(self._plant._p[self._q + core.P_MODE])]

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise PlantError(f"axis {self.name!r}: unknown mode {value!r}; modes are: {', '.join(MODES)}")
        if value != "disabled" and self.fault is not None:
            raise PlantError(f"axis {self.name!r}: cannot enter {value!r} while faulted ({self.fault}); "
                             "clear_fault() first")
        loops = ("velocity", "position")
        if value in loops and self.mode not in loops:
            # bumpless transfer: the velocity loop's integrator takes over the torque produced now
            # (0 from "disabled"); between velocity and position it keeps its state
            self._plant._s[self._s + core.S_VI] = self._plant._s[self._s + core.S_TEM]
        self._plant._p[self._q + core.P_MODE] = MODES[value]

    @property
    def brake_engaged(self) -> bool:
        return bool(self._plant._p[self._q + core.P_BRAKE])

    @brake_engaged.setter
    def brake_engaged(self, value: bool) -> None:
        self._plant._p[self._q + core.P_BRAKE] = 1.0 if value else 0.0
        if value:
            self._plant._s[self._s + core.S_OM] = 0.0

    @property
    def torque_target_nm(self) -> float:
        return float(self._plant._p[self._q + core.P_TTGT])

    @torque_target_nm.setter
    def torque_target_nm(self, value: float) -> None:
        self._set(core.P_TTGT, value, "torque_target_nm")

    @property
    def velocity_target_rad_s(self) -> float:
        return float(self._plant._p[self._q + core.P_VTGT])

    @velocity_target_rad_s.setter
    def velocity_target_rad_s(self, value: float) -> None:
        self._set(core.P_VTGT, value, "velocity_target_rad_s")

    @property
    def position_target_rad(self) -> float:
        return float(self._plant._p[self._q + core.P_PTGT])

    @position_target_rad.setter
    def position_target_rad(self, value: float) -> None:
        self._set(core.P_PTGT, value, "position_target_rad")

    @property
    def torque_limit_nm(self) -> float:
        return float(self._plant._p[self._q + core.P_TLIM])

    @torque_limit_nm.setter
    def torque_limit_nm(self, value: float) -> None:
        if not float(value) >= 0:
            raise PlantError(f"axis {self.name!r}: torque_limit_nm must be >= 0, got {value!r}")
        self._set(core.P_TLIM, value, "torque_limit_nm")

    # ---- true state --------------------------------------------------------------------------------
    def _get(self, slot: int) -> float:
        return float(self._plant._s[self._s + slot])

    @property
    def angle_rad(self) -> float:
        return self._get(core.S_TH)

    @property
    def speed_rad_s(self) -> float:
        return self._get(core.S_OM)

    @property
    def torque_nm(self) -> float:
        """Electromagnetic torque produced (after the current loop; no ripple/cogging)."""
        return self._get(core.S_TEM)

    @property
    def demanded_torque_nm(self) -> float:
        """Torque the loops ask of the current loop (after the limit)."""
        return self._get(core.S_TDEM)

    @property
    def current_a(self) -> float:
        return self._get(core.S_CUR)

    @property
    def winding_temperature_c(self) -> float:
        return self._get(core.S_TW)

    @property
    def voltage_v(self) -> float:
        return self._get(core.S_VOLT)

    @property
    def electrical_power_w(self) -> float:
        return self._get(core.S_PEL)

    @property
    def fault(self) -> str | None:
        return _FAULT_NAMES.get(int(self._plant._s[self._s + core.S_FAULT]))

    def inject_fault(self, name: str) -> None:
        """Trip the drive as if it had detected ``name`` (overcurrent, overtemperature, following_error)."""
        if name not in FAULTS:
            raise PlantError(f"axis {self.name!r}: unknown fault {name!r}; faults are: {', '.join(FAULTS)}")
        self._plant._s[self._s + core.S_FAULT] = FAULTS[name]
        self._plant._s[self._s + core.S_TEM] = 0.0
        self._plant._p[self._q + core.P_MODE] = core.MODE_DISABLED

    def clear_fault(self) -> None:
        """Fault reset; the mode stays ``"disabled"``. A cause still present trips again."""
        self._plant._s[self._s + core.S_FAULT] = core.FAULT_NONE
        self._plant._s[self._s + core.S_OCT] = 0.0

    def __repr__(self) -> str:
        return (f"ServoAxis({self.name!r}, mode={self.mode!r}, angle_rad={self.angle_rad:.6g}, "
                f"speed_rad_s={self.speed_rad_s:.6g}, torque_nm={self.torque_nm:.6g}, fault={self.fault!r})")
