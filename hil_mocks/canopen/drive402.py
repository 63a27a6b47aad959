"""A simulated CiA 402 servo drive acting on one plant axis.

The drive's object dictionary comes from an EDS/DCF (its own ``eds/bench_servo_drive.eds`` by default,
or any CiA 402 file). On top of the CiA 301 node it runs the CiA 402 state machine (with quick stop per
0x605A, halt, fault reaction and fault reset), the modes PP, PV, PT, homing (methods 33, 34, 35, 37),
CSP, CSV and CST, and maps them onto the axis modes ``"position"``, ``"velocity"``, ``"torque"`` and
``"disabled"``. Profiles (ramps, trapezoidal moves, homing moves) are generated here; the axis' own
loops follow them, and what the drive reports (position, velocity, torque) is what the axis does.

Units on the wire: positions in increments (0x608F, default 2^20 per motor revolution), velocities in
increments/s, accelerations in increments/s², torques in per mille of the rated torque 0x6076 (mN·m).
Objects the EDS lacks use internal values; objects it has but leaves without a default get them too.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from .dictionary import ABORT_VALUE_RANGE, PROFILE_DRIVE, abort, clamp_int, wrap_int
from .ideal_axis import IdealAxis
from .node import SimulatedNode

EDS_DIR = Path(__file__).resolve().parent / "eds"
DEFAULT_EDS = EDS_DIR / "bench_servo_drive.eds"
TWO_PI = 2.0 * math.pi

# states and their statusword bits (CiA 402; masks as in DOMAIN.md §5.4)
NOT_READY, SWITCH_ON_DISABLED, READY, SWITCHED_ON = "NOT READY TO SWITCH ON", "SWITCH ON DISABLED", \
    "READY TO SWITCH ON", "SWITCHED ON"
OPERATION_ENABLED, QUICK_STOP, FAULT_REACTION, FAULT = "OPERATION ENABLED", "QUICK STOP ACTIVE", \
    "FAULT REACTION ACTIVE", "FAULT"
STATE_BITS = {NOT_READY: 0x0000, SWITCH_ON_DISABLED: 0x0040, READY: 0x0031, SWITCHED_ON: 0x0033,
              OPERATION_ENABLED: 0x0037, QUICK_STOP: 0x0017, FAULT_REACTION: 0x001F, FAULT: 0x0018}
SW_REMOTE, SW_TARGET_REACHED, SW_BIT12, SW_BIT13 = 0x0200, 0x0400, 0x1000, 0x2000

PP, PV, PT, HOMING, CSP, CSV, CST = 1, 3, 4, 6, 8, 9, 10
MODE_BIT = {PP: 0, PV: 2, PT: 3, HOMING: 5, CSP: 7, CSV: 8, CST: 9}
MODE_NEEDS = {PP: (0x607A,), PV: (0x60FF,), PT: (0x6071,), HOMING: (), CSP: (0x607A,), CSV: (0x60FF,),
              CST: (0x6071,)}
HOMING_METHODS = (33, 34, 35, 37)

# EMCY codes (CiA 301/402) for the plant's axis faults, and error-register bits by code group
AXIS_FAULT_EMCY = {"overcurrent": 0x2310, "overtemperature": 0x4310, "following_error": 0x8611}
PROCESS_OBJECTS = (0x6041, 0x6061, 0x6064, 0x606C, 0x6077, 0x6074, 0x603F)


def error_register(code: int) -> int:
    """CiA 301 0x1001 bits for an EMCY code: generic + current / voltage / temperature / comm / profile."""
    if code == 0:
        return 0
    group = {0x2: 0x02, 0x3: 0x04, 0x4: 0x08}.get(code >> 12, 0)
    if code >> 8 == 0x81:
        group = 0x10
    elif code >> 12 in (0x6, 0x7, 0x8, 0x9):
        group = 0x20
    elif code >> 8 == 0xFF:
        group = 0x80
    return 0x01 | group


class _Trapezoid:
    """A point-to-point move from rest to rest (rad), evaluated in closed form."""

    def __init__(self, start_rad: float, end_rad: float, v: float, a: float, d: float, t0_s: float):
        self.start, self.end, self.t0 = start_rad, end_rad, t0_s
        s = abs(end_rad - start_rad)
        self.sign = 1.0 if end_rad >= start_rad else -1.0
        v, a, d = max(v, 1e-9), max(a, 1e-9), max(d, 1e-9)
        if v * v / (2 * a) + v * v / (2 * d) > s:
            v = math.sqrt(2 * s * a * d / (a + d))
        self.v, self.a, self.d = v, a, d
        self.ta, self.td = v / a, v / d
        self.tc = max(0.0, (s - v * v / (2 * a) - v * v / (2 * d)) / v) if v > 0 else 0.0
        self.total_s = self.ta + self.tc + self.td
        self.s = s

    def position(self, t_s: float) -> float:
        t = t_s - self.t0
        if t <= 0:
            x = 0.0
        elif t < self.ta:
            x = 0.5 * self.a * t * t
        elif t < self.ta + self.tc:
            x = 0.5 * self.a * self.ta ** 2 + self.v * (t - self.ta)
        elif t < self.total_s:
            r = self.total_s - t
            x = self.s - 0.5 * self.d * r * r
        else:
            x = self.s
        return self.start + self.sign * x

    def done(self, t_s: float) -> bool:
        return t_s - self.t0 >= self.total_s


class SimulatedCia402Drive(SimulatedNode):
    """A CiA 402 servo drive on a CAN channel, acting on ``axis`` (a plant ``ServoAxis``) under ``plant_lock``.

    ``axis=None`` gives the drive an ideal motor of its own (:class:`IdealAxis`). ``quick_stop_option``
    overrides 0x605A when given. Fault injection: ``faults`` (wire), ``stop_heartbeat()``,
    ``raise_fault(code)`` / ``clear_fault()`` (a drive fault with its EMCY).
    """

    def __init__(self, channel: str, node_id: int, axis=None, plant_lock=None, eds_path: str | Path | None = None,
                 *, rated_torque_nm: float = 1.0, quick_stop_option: int | None = None,
                 increments_per_rev: int = 1 << 20, name: str | None = None, interface: str = "virtual",
                 tick_s: float = 0.002, strict_pdo_mapping: bool = False):
        if rated_torque_nm <= 0:
            raise ValueError(f"rated_torque_nm must be > 0, got {rated_torque_nm}")
        self.rated_torque_nm = float(rated_torque_nm)
        self.increments_per_rev = int(increments_per_rev)
        self.quick_stop_option = quick_stop_option
        self._own_axis = axis is None
        self.axis = IdealAxis(torque_limit_nm=3 * rated_torque_nm) if axis is None else axis
        self.plant_lock = plant_lock if plant_lock is not None else threading.RLock()
        super().__init__(channel, node_id, eds_path or DEFAULT_EDS, name=name or f"cia402-{node_id}",
                         interface=interface, tick_s=tick_s, strict_pdo_mapping=strict_pdo_mapping)
        self._check_profile()
        self._reset_application()
        self._after_store_reset()

    # ---------------------------------------------------------------- setup
    def _check_profile(self) -> None:
        profile = self.store.profile()
        if profile not in (None, PROFILE_DRIVE):
            raise ValueError(f"{self.eds_path}: 0x1000 says device profile {profile}, not a CiA 402 drive")
        missing = [f"0x{i:04X}" for i in (0x6040, 0x6041) if not self.store.has(i)]
        if missing:
            raise ValueError(f"{self.eds_path}: a CiA 402 drive needs {', '.join(missing)}")

    def _internal_defaults(self) -> dict:
        r = self.increments_per_rev
        qso = self.quick_stop_option
        return {(0x6081, 0): 10 * r, (0x6083, 0): 100 * r, (0x6084, 0): 100 * r, (0x6085, 0): 500 * r,
                (0x6087, 0): 0, (0x6067, 0): max(1, r // 1024), (0x606D, 0): max(1, r // 100),
                (0x6065, 0): 10 * r, (0x605A, 0): 2 if qso is None else qso, (0x605D, 0): 1, (0x605E, 0): 2,
                (0x6098, 0): 35, (0x6099, 1): r, (0x6099, 2): r // 4, (0x609A, 0): 20 * r, (0x607C, 0): 0,
                (0x6072, 0): 3000, (0x6060, 0): 0}

    def _after_store_reset(self) -> None:
        """Fill what the EDS leaves open and what the simulated hardware decides (device type, units, modes)."""
        store = self.store
        if not store.get(0x1000, 0):
            store.set_if_present(0x1000, 0, 0x00020192)
        self.params = {}
        for key, value in self._internal_defaults().items():
            if store.has(*key):
                var = store.variable(*key)
                if var.default is None and var.value is None:
                    store.set(*key, value)
            else:
                self.params[key] = value
        if self.quick_stop_option is not None and store.has(0x605A):
            store.set(0x605A, 0, self.quick_stop_option)
        store.set_if_present(0x6076, 0, int(round(self.rated_torque_nm * 1000)))
        store.set_if_present(0x608F, 1, self.increments_per_rev)
        store.set_if_present(0x608F, 2, 1)
        self.supported_modes = [m for m, needs in MODE_NEEDS.items() if all(store.has(i) for i in needs)]
        store.set_if_present(0x6502, 0, sum(1 << MODE_BIT[m] for m in self.supported_modes))
        for index in (0x6041, 0x6061, 0x603F):
            store.set_if_present(index, 0, 0)
        mode = int(store.get(0x6060, 0, 0) or 0)
        self.mode = mode if mode in self.supported_modes else 0
        store.set_if_present(0x6060, 0, self.mode)
        store.set_if_present(0x6061, 0, self.mode)
        self._refresh_scaling()

    def _reset_application(self) -> None:
        self.state = SWITCH_ON_DISABLED
        self.mode = 0
        self._cw = 0
        self._pos_offset = 0          # increments added to the axis angle (homing, position wrap)
        self._cmd_vel = 0.0           # rad/s, ramped command (PV, stops, homing)
        self._cmd_torque = 0.0        # N·m, ramped command (PT)
        self._move: _Trapezoid | None = None
        self._next_move: tuple | None = None
        self._hold_rad: float | None = None
        self._setpoint_ack = False
        self._homing = "idle"         # idle | search | stop | done | error
        self._homing_cross = 0.0
        self._fault_code = 0
        self._injected: tuple | None = None   # (code, manufacturer, persistent)
        self._stop_phase_done = False
        self._last_update = time.monotonic()
        self._torque_limit_pending: float | None = None
        self._dirty = True
        self._axis_mode = None

    def _refresh_scaling(self) -> None:
        num = self._p(0x608F, 1) or self.increments_per_rev
        den = self._p(0x608F, 2) or 1
        self.counts_per_rad = float(num) / float(den) / TWO_PI

    def _p(self, index: int, subindex: int = 0):
        """A drive parameter: the object's value when the EDS has it, else the internal value."""
        value = self.store.values.get((index, subindex))
        return self.params.get((index, subindex), 0) if value is None else value

    # ---------------------------------------------------------------- fault injection (any thread)
    def raise_fault(self, code: int = 0x1000, manufacturer: bytes = b"", persistent: bool = False) -> None:
        """Raise a drive fault: EMCY ``code``, statusword fault, fault reaction; reset clears it unless
        ``persistent`` (then only after :meth:`clear_fault`)."""
        if not 0 < code <= 0xFFFF:
            raise ValueError(f"EMCY code must be 0x0001..0xFFFF, got {code:#x}")
        self.call_soon(lambda: self._inject(code, bytes(manufacturer), persistent))

    def clear_fault(self) -> None:
        """Remove the cause of an injected fault (the master still has to reset the fault)."""
        self.call_soon(self._clear_injected)

    def _clear_injected(self) -> None:
        if self._injected is not None:
            self._injected = (self._injected[0], self._injected[1], False)

    def _inject(self, code: int, manufacturer: bytes, persistent: bool) -> None:
        self._injected = (code, manufacturer, persistent)
        if self.state not in (FAULT, FAULT_REACTION):
            self._enter_fault(code, manufacturer)
        self._publish(time.monotonic())

    # ---------------------------------------------------------------- convenience for tests and the rig
    @property
    def statusword(self) -> int:
        with self._lock:
            return int(self.store.get(0x6041, 0, 0))

    @property
    def error_code(self) -> int:
        with self._lock:
            return int(self._fault_code)

    # ---------------------------------------------------------------- writes
    def _on_write(self, index: int, subindex: int, value, source: str) -> None:
        if index == 0x6060:
            mode = int(value)
            if mode != 0 and mode not in self.supported_modes:
                raise abort(ABORT_VALUE_RANGE, f"mode {mode} not supported by {self.name}")
        elif index == 0x605A and int(value) not in range(9):
            raise abort(ABORT_VALUE_RANGE, f"quick stop option code {value} not supported")
        elif index == 0x6098 and int(value) not in HOMING_METHODS:
            raise abort(ABORT_VALUE_RANGE, f"homing method {value} not supported (33, 34, 35, 37)")
        elif index == 0x608F and int(value) <= 0:
            raise abort(ABORT_VALUE_RANGE, "0x608F entries must be > 0")

    def _after_write(self, index: int, subindex: int, value, source: str) -> None:
        if index == 0x6040:
            self._controlword(int(value))
            self._dirty = True
        elif index == 0x6060:
            self._set_mode(int(value))
            self._dirty = True
        elif index == 0x608F:
            self._refresh_scaling()
        elif index == 0x6072:
            self._torque_limit_pending = int(value) / 1000.0 * self._rated_nm()

    def _after_frame(self) -> None:
        if self._dirty:
            self._publish(time.monotonic())

    def _before_read(self, index: int, subindex: int) -> None:
        if index in PROCESS_OBJECTS:
            self._update_process(time.monotonic(), sync=False)

    def _publish(self, now: float) -> None:
        self._update_process(now, sync=False)
        self._service_event_tpdos(now)

    def _rated_nm(self) -> float:
        mnm = self.store.values.get((0x6076, 0))
        return float(mnm) / 1000.0 if mnm else self.rated_torque_nm

    # ---------------------------------------------------------------- state machine
    def _controlword(self, cw: int) -> None:
        prev, self._cw = self._cw, cw
        rising = cw & ~prev
        falling = prev & ~cw
        state = self.state
        if state == FAULT:
            if rising & 0x80:
                self._fault_reset()
            return
        if state == FAULT_REACTION:
            return
        enable_voltage, quick_stop_off, switch_on, enable_op = cw & 0x02, cw & 0x04, cw & 0x01, cw & 0x08
        if not enable_voltage:                                     # disable voltage: 7, 9, 10, 12
            if state != NOT_READY:
                self._goto(SWITCH_ON_DISABLED)
        elif not quick_stop_off:                                   # quick stop: 7, 10, 11
            if state in (READY, SWITCHED_ON):
                self._goto(SWITCH_ON_DISABLED)
            elif state == OPERATION_ENABLED:
                self._goto(QUICK_STOP)
        elif not switch_on:                                        # shutdown: 2, 6, 8
            if state in (SWITCH_ON_DISABLED, SWITCHED_ON, OPERATION_ENABLED):
                self._goto(READY)
        elif not enable_op:                                        # switch on: 3, 5
            if state in (READY, OPERATION_ENABLED):
                self._goto(SWITCHED_ON)
        else:                                                      # enable operation: 3+4, 4, 16
            if state == READY:
                self._goto(SWITCHED_ON)
                self._goto(OPERATION_ENABLED)
            elif state == SWITCHED_ON:
                self._goto(OPERATION_ENABLED)
            elif state == QUICK_STOP and int(self._p(0x605A)) in (5, 6, 7, 8):
                self._goto(OPERATION_ENABLED)
        if self.state == OPERATION_ENABLED:
            self._mode_bits(rising, falling)

    def _mode_bits(self, rising: int, falling: int) -> None:
        """Controlword bits 4..6 in PP (new set-point, change immediately, relative) and homing (start)."""
        cw = self._cw
        if self.mode == PP:
            if rising & 0x10:
                target = int(self._p(0x607A))
                relative = bool(cw & 0x40)
                if self._move is not None and not (cw & 0x20):
                    self._next_move = (target, relative)     # buffered until the current move ends
                else:
                    self._start_move(target, relative, time.monotonic())
                self._setpoint_ack = True
            if falling & 0x10:
                self._setpoint_ack = False
        elif self.mode == HOMING:
            if rising & 0x10:
                self._start_homing()
            elif falling & 0x10 and self._homing in ("search", "stop"):
                self._homing = "interrupted"

    def _goto(self, state: str) -> None:
        previous, self.state = self.state, state
        if state == OPERATION_ENABLED and previous != OPERATION_ENABLED:
            self._enter_mode(time.monotonic())
        if state == QUICK_STOP:
            self._stop_phase_done = False
            with self.plant_lock:
                self._cmd_vel = float(self.axis.speed_rad_s)

    def _enter_fault(self, code: int, manufacturer: bytes = b"") -> None:
        self._fault_code = code
        self.store.set_if_present(0x603F, 0, code)
        self.state = FAULT_REACTION
        self._stop_phase_done = False
        with self.plant_lock:
            self._cmd_vel = float(self.axis.speed_rad_s)
        self.send_emcy(code, error_register(code), manufacturer or b"SIM")

    def _fault_reset(self) -> None:
        if self._injected is not None:
            if self._injected[2]:
                return                                  # cause still present: stay in FAULT
            self._injected = None
        with self.plant_lock:
            if self.axis.fault is not None:
                self.axis.clear_fault()
            still = self.axis.fault
        if still is not None:
            return
        self._fault_code = 0
        self.store.set_if_present(0x603F, 0, 0)
        self.send_emcy(0x0000, 0)                       # CiA 301: error reset / no error
        self.store.set_if_present(0x1001, 0, 0)
        self.state = SWITCH_ON_DISABLED

    # ---------------------------------------------------------------- modes
    def _set_mode(self, mode: int) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        if self.state == OPERATION_ENABLED:
            self._enter_mode(time.monotonic())

    def _enter_mode(self, now: float) -> None:
        with self.plant_lock:
            angle, speed = float(self.axis.angle_rad), float(self.axis.speed_rad_s)
            torque = float(self.axis.torque_nm)
        self._cmd_vel = speed if self.mode in (PV,) else 0.0
        self._cmd_torque = torque if self.mode == PT else 0.0
        self._move = None
        self._next_move = None
        self._hold_rad = angle
        self._setpoint_ack = False
        if self.mode == HOMING and self._homing in ("search", "stop"):
            self._homing = "interrupted"
        if self.mode in (CSP, CSV, CST):                 # hold until the first set-point at SYNC
            with self.plant_lock:
                if self.mode == CSP:
                    self._command("position", angle)
                elif self.mode == CSV:
                    self._command("velocity", 0.0)
                else:
                    self._command("torque", 0.0)

    def _start_move(self, target: int, relative: bool, now: float) -> None:
        with self.plant_lock:
            angle = float(self.axis.angle_rad)
        start = self._move.position(now) if self._move is not None else (
            self._hold_rad if self._hold_rad is not None else angle)
        if relative:
            end = start + target / self.counts_per_rad
        else:
            end = (target - self._pos_offset) / self.counts_per_rad
        c = self.counts_per_rad
        self._move = _Trapezoid(start, end, float(self._p(0x6081)) / c, float(self._p(0x6083)) / c,
                                float(self._p(0x6084)) / c, now)
        self._move_target = end

    def _start_homing(self) -> None:
        method = int(self._p(0x6098))
        if method in (35, 37):
            with self.plant_lock:
                angle = float(self.axis.angle_rad)
            self._pos_offset = int(self._p(0x607C)) - int(round(angle * self.counts_per_rad))
            self._hold_rad = angle
            self._homing = "done"
        elif method in (33, 34):
            with self.plant_lock:
                angle = float(self.axis.angle_rad)
            direction = 1.0 if method == 34 else -1.0
            turns = math.floor(angle / TWO_PI) + 1 if direction > 0 else math.ceil(angle / TWO_PI) - 1
            self._homing_cross = turns * TWO_PI   # next index pulse (once per motor revolution) that way
            self._homing_dir = direction
            self._cmd_vel = 0.0
            self._homing = "search"
        else:
            self._homing = "error"

    @staticmethod
    def _ramp(value: float, target: float, accel: float, decel: float, dt: float) -> float:
        """Move ``value`` toward ``target``: ``accel`` when speeding up, ``decel`` when slowing down."""
        rate = accel if abs(target) > abs(value) and target * value >= 0 else decel
        step = max(rate, 0.0) * dt
        if abs(target - value) <= step:
            return target
        return value + math.copysign(step, target - value)

    # ---------------------------------------------------------------- control (under the plant lock)
    def _command(self, mode: str, value: float | None = None) -> None:
        axis = self.axis
        if axis.fault is not None:
            return                       # the axis is disabled by its fault; the next update reacts
        if mode != self._axis_mode or axis.mode != mode:
            axis.mode = mode
            self._axis_mode = mode
        if mode == "velocity":
            axis.velocity_target_rad_s = value
        elif mode == "position":
            axis.position_target_rad = value
        elif mode == "torque":
            axis.torque_target_nm = value

    def _control(self, now: float, dt: float, angle: float, speed: float) -> int:
        """Drive the axis for this instant; returns the mode-specific statusword bits."""
        c = self.counts_per_rad
        state = self.state
        if state in (QUICK_STOP, FAULT_REACTION):
            option = int(self._p(0x605A)) if state == QUICK_STOP else int(self._p(0x605E))
            if option == 0 or (state == FAULT_REACTION and self.axis.fault is not None):
                self._command("disabled")
                self._finish_stop(state, option)
                return 0
            if not self._stop_phase_done:
                decel = float(self._p(0x6084) if option in (1, 5) else self._p(0x6085)) / c
                if option in (3, 4, 7, 8):
                    decel *= 4.0                         # "current / voltage limit": as hard as allowed
                self._cmd_vel = self._ramp(self._cmd_vel, 0.0, decel, decel, dt)
                self._command("velocity", self._cmd_vel)
                if self._cmd_vel == 0.0:
                    self._stop_phase_done = True
                    self._hold_rad = angle
                    self._finish_stop(state, option)
            else:
                self._command("position", self._hold_rad)
            return SW_TARGET_REACHED if self._stop_phase_done else 0
        if state != OPERATION_ENABLED:
            self._command("disabled")
            return 0
        mode, cw = self.mode, self._cw
        halt = bool(cw & 0x100)
        if halt and mode in (PP, PV, HOMING):
            option = int(self._p(0x605D))
            decel = float(self._p(0x6085) if option == 2 else self._p(0x6084)) / c
            if self._move is not None:
                self._cmd_vel = speed
                self._move = None
            self._cmd_vel = self._ramp(self._cmd_vel, 0.0, decel, decel, dt)
            if self._cmd_vel == 0.0:
                if self._hold_rad is None:
                    self._hold_rad = angle
                self._command("position", self._hold_rad)
                if mode == HOMING and self._homing in ("search", "stop"):
                    self._homing = "interrupted"
                return SW_TARGET_REACHED
            self._hold_rad = None
            self._command("velocity", self._cmd_vel)
            return 0
        if mode == PV:
            target = float(self._p(0x60FF)) / c
            self._cmd_vel = self._ramp(self._cmd_vel, target, float(self._p(0x6083)) / c,
                                       float(self._p(0x6084)) / c, dt)
            self._command("velocity", self._cmd_vel)
            window = float(self._p(0x606D)) / c
            bits = SW_TARGET_REACHED if self._cmd_vel == target and abs(speed - target) <= window else 0
            return bits | (SW_BIT12 if abs(speed) <= window else 0)
        if mode == PT:
            target = 0.0 if halt else float(self._p(0x6071)) / 1000.0 * self._rated_nm()
            limit = float(self._p(0x6072)) / 1000.0 * self._rated_nm()
            target = max(-limit, min(limit, target))
            slope = float(self._p(0x6087)) / 1000.0 * self._rated_nm()
            self._cmd_torque = target if slope <= 0 else self._ramp(self._cmd_torque, target, slope, slope, dt)
            self._command("torque", self._cmd_torque)
            return SW_TARGET_REACHED if self._cmd_torque == target else 0
        if mode == PP:
            if self._move is None:
                if self._hold_rad is None:
                    self._hold_rad = angle
                self._command("position", self._hold_rad)
                return SW_TARGET_REACHED | (SW_BIT12 if self._setpoint_ack else 0)
            setpoint = self._move.position(now)
            self._command("position", setpoint)
            if self._move.done(now):
                end = self._move.end
                if self._next_move is not None:
                    target, relative = self._next_move
                    self._next_move = None
                    self._hold_rad = end
                    self._move = None
                    self._start_move(target, relative, now)
                elif abs(angle - end) * c <= float(self._p(0x6067)):
                    self._move = None
                    self._hold_rad = end
                    return SW_TARGET_REACHED | (SW_BIT12 if self._setpoint_ack else 0)
            return SW_BIT12 if self._setpoint_ack else 0
        if mode == HOMING:
            return self._homing_control(dt, angle, speed)
        if mode in (CSP, CSV, CST):
            return SW_BIT12                               # set-points are applied on SYNC
        if self._hold_rad is None:
            self._hold_rad = angle
        self._command("position", self._hold_rad)        # no mode: hold still
        return 0

    def _finish_stop(self, state: str, option: int) -> None:
        if state == FAULT_REACTION:
            self.state = FAULT
        elif option in (0, 1, 2, 3, 4):
            self.state = SWITCH_ON_DISABLED

    def _homing_control(self, dt: float, angle: float, speed: float) -> int:
        c = self.counts_per_rad
        phase = self._homing
        if phase == "search":
            accel = float(self._p(0x609A)) / c
            target = self._homing_dir * float(self._p(0x6099, 2)) / c
            self._cmd_vel = self._ramp(self._cmd_vel, target, accel, accel, dt)
            self._command("velocity", self._cmd_vel)
            if (angle - self._homing_cross) * self._homing_dir >= 0:
                self._pos_offset = int(self._p(0x607C)) - int(round(self._homing_cross * c))
                self._homing = "stop"
            return 0
        if phase == "stop":
            accel = float(self._p(0x609A)) / c
            self._cmd_vel = self._ramp(self._cmd_vel, 0.0, accel, accel, dt)
            self._command("velocity", self._cmd_vel)
            if self._cmd_vel == 0.0:
                self._homing = "done"
                self._hold_rad = angle
            return 0
        if self._hold_rad is None:
            self._hold_rad = angle
        self._command("position", self._hold_rad)
        if phase == "done":
            return SW_BIT12 | SW_TARGET_REACHED
        if phase == "error":
            return SW_BIT13
        return SW_TARGET_REACHED                          # idle or interrupted

    # ---------------------------------------------------------------- process values
    def _update_process(self, now: float, sync: bool) -> None:
        dt = now - self._last_update
        self._last_update = now
        values = self.store.values
        with self.plant_lock:
            axis = self.axis
            fault = axis.fault
            if fault is not None and self.state not in (FAULT, FAULT_REACTION):
                code = AXIS_FAULT_EMCY.get(fault, 0x1000)
                self._enter_fault(code, fault.encode("ascii", "replace")[:5])
            if self._torque_limit_pending is not None:
                axis.torque_limit_nm = self._torque_limit_pending
                self._torque_limit_pending = None
            angle, speed = float(axis.angle_rad), float(axis.speed_rad_s)
            bits = self._control(now, max(dt, 0.0), angle, speed)
            if self._own_axis:            # the ideal motor follows this instant's command exactly
                axis.advance(dt)
                angle, speed = float(axis.angle_rad), float(axis.speed_rad_s)
            torque = float(axis.torque_nm)
        c = self.counts_per_rad
        rated = self._rated_nm()
        sw = STATE_BITS[self.state] | SW_REMOTE | bits
        values[(0x6041, 0)] = sw
        values[(0x6061, 0)] = self.mode
        values[(0x6064, 0)] = wrap_int(int(round(angle * c)) + self._pos_offset, 0x4)
        values[(0x606C, 0)] = clamp_int(speed * c, 0x4)
        values[(0x6077, 0)] = clamp_int(torque / rated * 1000.0, 0x3)
        values[(0x6074, 0)] = clamp_int(self._cmd_torque / rated * 1000.0, 0x3)
        self._dirty = False

    def _on_sync(self, now: float) -> None:
        """Cyclic synchronous modes take their set-point at SYNC."""
        if self.state != OPERATION_ENABLED or self.mode not in (CSP, CSV, CST):
            return
        c = self.counts_per_rad
        with self.plant_lock:
            if self.mode == CSP:
                self._command("position", (int(self._p(0x607A)) - self._pos_offset) / c)
            elif self.mode == CSV:
                self._command("velocity", float(self._p(0x60FF)) / c)
            else:
                limit = float(self._p(0x6072)) / 1000.0 * self._rated_nm()
                torque = float(self._p(0x6071)) / 1000.0 * self._rated_nm()
                self._cmd_torque = max(-limit, min(limit, torque))
                self._command("torque", self._cmd_torque)
