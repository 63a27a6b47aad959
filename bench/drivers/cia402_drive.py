"""CiA 402 servo drive over CANopen: power state machine, modes, set-points in SI, streaming.

Commands go by RPDO once the node is OPERATIONAL (by SDO before, or when RPDOs are synchronous and
no SYNC runs); the statusword comes from the streamed TPDO when it is fresh, by SDO otherwise.
Every wait has a timeout from the rig file's ``timeouts`` table (:class:`Cia402Timeouts`).
Scaling: position and velocity in increments per motor revolution (0x608F, or ``settings``),
torque in per mille of the motor rated torque (0x6076 in mN·m, or ``settings.rated_torque_nm``).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from bench.drivers import canopen_od
from bench.drivers.canbus import CanBus
from bench.drivers.canopen_node import CanopenDevice, PdoObject, Publish, _Tpdo
from bench.errors import BenchError, DeviceFault, DeviceTimeoutError, ProtocolError
from bench.protocols import cia402
from bench.protocols.canopen_emcy import error_code_text
from bench.protocols.cia402 import CW, SW, Mode, State
from bench.streams import ChannelSpec

TWO_PI = 2.0 * math.pi


@dataclass(frozen=True)
class Cia402Settings:
    """``[devices.ROLE.settings]`` of a ``cia402`` device."""

    increments_per_rev: int = field(default=0, metadata={"ge": 0})  # 0: from 0x608F (default 2**20)
    velocity_increments_per_rev: int = field(default=0, metadata={"ge": 0})  # 0: same as position
    rated_torque_nm: float = field(default=0.0, metadata={"ge": 0})  # 0: from 0x6076 (mN·m)
    device_type: int | None = None  # exact 0x1000 expected (else the EDS value, else profile 402 only)
    vendor_id: int | None = None  # 0x1018:01 expected (else the EDS VendorNumber)
    product_code: int | None = None
    quick_stop_option_code: int | None = None  # written to 0x605A on connect when given
    heartbeat_period_ms: int = field(default=100, metadata={"ge": 0})  # 0x1017; 0: no heartbeat
    tpdo_transmission_type: int = field(default=1, metadata={"ge": 0, "le": 255})
    tpdo_event_timer_ms: int = field(default=0, metadata={"ge": 0})
    rpdo_transmission_type: int = field(default=255, metadata={"ge": 0, "le": 255})
    tpdo1: tuple[str, ...] = ("statusword", "position")
    tpdo2: tuple[str, ...] = ("velocity", "torque")
    tpdo3: tuple[str, ...] = ()
    tpdo4: tuple[str, ...] = ()
    rpdo1: tuple[str, ...] = ("controlword", "mode")
    rpdo2: tuple[str, ...] = ("target_velocity", "target_torque")
    rpdo3: tuple[str, ...] = ("target_position",)
    rpdo4: tuple[str, ...] = ()
    statusword_fresh_s: float = field(default=0.05, metadata={"gt": 0})  # older: read 0x6041 by SDO


@dataclass(frozen=True)
class Cia402Timeouts:
    """``[devices.ROLE.timeouts]`` of a ``cia402`` device (seconds)."""

    sdo_s: float = field(default=0.5, metadata={"gt": 0})
    state_transition_s: float = field(default=1.0, metadata={"gt": 0})  # per step of the state machine
    mode_switch_s: float = field(default=0.5, metadata={"gt": 0})  # 0x6061 to follow 0x6060
    homing_s: float = field(default=30.0, metadata={"gt": 0})
    heartbeat_s: float = field(default=0.5, metadata={"gt": 0})  # consumer time: silent longer = fault
    setpoint_ack_s: float = field(default=0.5, metadata={"gt": 0})  # PP new set-point handshake


OBJECTS_402 = {
    "statusword": PdoObject("statusword", cia402.STATUSWORD, 0, "statusword", ""),
    "position": PdoObject("position", cia402.POSITION_ACTUAL_VALUE, 0, "position_rad", "rad"),
    "velocity": PdoObject("velocity", cia402.VELOCITY_ACTUAL_VALUE, 0, "velocity_rad_s", "rad/s"),
    "torque": PdoObject("torque", cia402.TORQUE_ACTUAL_VALUE, 0, "torque_nm", "N·m"),
    "mode_display": PdoObject("mode_display", cia402.MODES_OF_OPERATION_DISPLAY, 0, "mode", ""),
    "error_code": PdoObject("error_code", cia402.ERROR_CODE, 0, "error_code", ""),
    "controlword": PdoObject("controlword", cia402.CONTROLWORD),
    "mode": PdoObject("mode", cia402.MODES_OF_OPERATION),
    "target_velocity": PdoObject("target_velocity", cia402.TARGET_VELOCITY),
    "target_torque": PdoObject("target_torque", cia402.TARGET_TORQUE),
    "target_position": PdoObject("target_position", cia402.TARGET_POSITION),
}

DEFAULT_INCREMENTS_PER_REV = 1 << 20


class Cia402Drive(CanopenDevice):
    """A CiA 402 servo drive (see the module docstring)."""

    PROFILE = cia402.DEVICE_PROFILE
    SETTINGS = Cia402Settings
    TIMEOUTS = Cia402Timeouts
    OBJECTS = OBJECTS_402

    def __init__(self, bus: CanBus, node_id: int, *, name: str, eds=None, settings: dict | None = None,
                 timeouts: dict | None = None, publish: Publish | None = None):
        super().__init__(bus, node_id, name=name, eds=eds, settings=settings, timeouts=timeouts, publish=publish)
        self.increments_per_rev = self.settings.increments_per_rev or None
        self.velocity_increments_per_rev = self.settings.velocity_increments_per_rev or None
        self.rated_torque_nm = self.settings.rated_torque_nm or None
        self.supported_modes: frozenset[Mode] | None = None
        self.quick_stop_option_code: int | None = None
        self._cw = 0  # last controlword sent
        self._mode_cmd = 0  # last 0x6060 sent
        self._targets = {cia402.TARGET_VELOCITY: 0, cia402.TARGET_TORQUE: 0, cia402.TARGET_POSITION: 0}
        self._latest_lock = threading.Lock()
        self._statusword: int | None = None
        self._statusword_at = -math.inf  # monotonic time the latest known statusword was valid
        self._latest: dict[str, float] = {}
        self._stream_at = -math.inf  # frame time (monotonic) of the latest streamed values
        self._was_fault = False

    # --- profile hooks ----------------------------------------------------------------------
    def _builtin_od(self):
        return canopen_od.builtin_cia402_od(self.node_id)

    def _tpdo_layout(self):
        s = self.settings
        return (s.tpdo1, s.tpdo2, s.tpdo3, s.tpdo4)

    def _rpdo_layout(self):
        s = self.settings
        return (s.rpdo1, s.rpdo2, s.rpdo3, s.rpdo4)

    def _needed_objects(self):
        needed = super()._needed_objects()
        needed[(cia402.CONTROLWORD, 0)] = "controlword"
        needed[(cia402.STATUSWORD, 0)] = "statusword"
        needed[(cia402.MODES_OF_OPERATION, 0)] = "modes of operation"
        needed[(cia402.MODES_OF_OPERATION_DISPLAY, 0)] = "modes of operation display"
        return needed

    # --- connect ------------------------------------------------------------------------------
    def connect(self) -> None:
        """Check identity, read scaling, configure PDOs in PRE-OPERATIONAL, start the node."""
        with self._lock:
            self._attach()
            self._nmt("PRE-OPERATIONAL")
            self._check_identity()
            self._read_device_parameters()
            self._start_heartbeat()
            self._configure_pdos()
            self._cw = int(self.sdo_read(cia402.CONTROLWORD)) & 0xFFFF if self._readable(cia402.CONTROLWORD) else 0
            self._mode_cmd = int(self.sdo_read(cia402.MODES_OF_OPERATION_DISPLAY))
            self._nmt("OPERATIONAL")
            self._confirm_operational()
            self._raise_pending()

    def start_streaming(self) -> None:
        """Nothing to do: TPDOs stream once the node is OPERATIONAL and the bus sends SYNC."""

    def _readable(self, index: int) -> bool:
        var = canopen_od.find(self.od, index, 0)
        return var is not None and var.readable

    def _read_device_parameters(self) -> None:
        """Scaling, supported modes and quick-stop option from the device, where it has them."""
        if self.increments_per_rev is None:
            inc = self.sdo_read_optional(cia402.POSITION_ENCODER_RESOLUTION, 1)
            rev = self.sdo_read_optional(cia402.POSITION_ENCODER_RESOLUTION, 2)
            self.increments_per_rev = int(inc) / int(rev) if inc and rev else DEFAULT_INCREMENTS_PER_REV
        if self.velocity_increments_per_rev is None:
            self.velocity_increments_per_rev = self.increments_per_rev
        if self.rated_torque_nm is None:
            rated_mnm = self.sdo_read_optional(cia402.MOTOR_RATED_TORQUE)
            self.rated_torque_nm = int(rated_mnm) / 1000.0 if rated_mnm else None
        modes = self.sdo_read_optional(cia402.SUPPORTED_DRIVE_MODES)
        self.supported_modes = None if modes is None else cia402.decode_supported_modes(int(modes))
        if self.settings.quick_stop_option_code is not None:
            self.sdo_write(cia402.QUICK_STOP_OPTION_CODE, 0, self.settings.quick_stop_option_code)
        option = self.sdo_read_optional(cia402.QUICK_STOP_OPTION_CODE)
        self.quick_stop_option_code = None if option is None else int(option)

    # --- streaming (decoder thread) ---------------------------------------------------------
    def _on_records(self, tpdo: _Tpdo, records: np.ndarray, t_s: np.ndarray) -> None:
        latest = {}
        for obj in tpdo.objects:
            raw = records[obj.key]
            if obj.key == "statusword":
                values = raw.astype(np.float64)
                # frame time (monotonic), so a frame sent before a newer SDO answer does not override it
                self._note_statusword(int(raw[-1]), float(t_s[-1]) + self.bus.timebase.start_monotonic_s)
                self._check_fault_in_stream(raw)
            elif obj.key == "position":
                values = raw * (TWO_PI / self.increments_per_rev)
            elif obj.key == "velocity":
                values = raw * (TWO_PI / self.velocity_increments_per_rev)
            elif obj.key == "torque":
                if self.rated_torque_nm is None:
                    continue
                values = raw * (self.rated_torque_nm / 1000.0)
            else:
                values = raw.astype(np.float64)
            latest[obj.quantity] = float(values[-1])
            if obj.quantity:
                self._publish(obj.quantity, t_s, np.asarray(values, dtype=np.float64))
        with self._latest_lock:
            self._latest.update(latest)
            self._stream_at = float(t_s[-1]) + self.bus.timebase.start_monotonic_s

    def _check_fault_in_stream(self, statuswords: np.ndarray) -> None:
        fault = (statuswords & 0x4F) == 0x08
        reaction = (statuswords & 0x4F) == 0x0F
        now_fault = bool(fault[-1] or reaction[-1])
        if (fault.any() or reaction.any()) and not self._was_fault:
            emcy = self.last_emcy
            code = emcy.code if emcy is not None and not emcy.is_reset else None
            text = f"statusword 0x{int(statuswords[np.argmax(fault | reaction)]):04X} reports FAULT"
            if code is not None:
                text += f" ({error_code_text(code)})"
            self.report_error(DeviceFault(self.device, code, text))
        self._was_fault = now_fault

    def channels(self) -> list[ChannelSpec]:
        rate = self._channel_rate_hz()
        specs = []
        for keys in self._tpdo_layout():
            for key in keys:
                obj = self.OBJECTS[key]
                if obj.key == "torque" and self.rated_torque_nm is None:
                    continue  # not published without a rated torque to scale by
                if obj.quantity:
                    dtype = "float64"
                    specs.append(ChannelSpec(f"{self.name}.{obj.quantity}", obj.unit, dtype, rate, self.name,
                                             f"CiA 402 0x{obj.index:04X} of node {self.node_id}"))
        return specs

    # --- statusword and state -----------------------------------------------------------------
    def _note_statusword(self, sw: int, at: float) -> None:
        """Keep the statusword known at the latest time, whether it came by TPDO or by SDO."""
        with self._latest_lock:
            if at >= self._statusword_at:
                self._statusword, self._statusword_at = sw, at

    def _sdo_statusword(self) -> int:
        sw = int(self.sdo_read(cia402.STATUSWORD))
        self._note_statusword(sw, time.monotonic())
        return sw

    def statusword(self) -> int:
        """The latest statusword: streamed when fresh (``statusword_fresh_s``), else read by SDO."""
        with self._latest_lock:
            sw, at = self._statusword, self._statusword_at
        if sw is not None and time.monotonic() - at <= self.settings.statusword_fresh_s:
            return sw
        return self._sdo_statusword()

    def _fresh_statusword_after(self, since: float) -> int:
        """A statusword received after ``since`` (monotonic), by stream or by SDO."""
        with self._latest_lock:
            sw, at = self._statusword, self._statusword_at
        if sw is not None and at > since:
            return sw
        if time.monotonic() - since > self.settings.statusword_fresh_s or sw is None:
            return self._sdo_statusword()
        return -1  # wait for the stream a little longer

    @property
    def state(self) -> State | None:
        """Present CiA 402 state (None for a statusword pattern the profile does not define)."""
        return cia402.decode_state(self.statusword())

    # --- commands ---------------------------------------------------------------------------
    def _send_controlword(self, cw: int, safety: bool = False) -> None:
        """Send a controlword; outside the safety path refused once quick stop / disable ran."""
        with self._tx_lock:
            if not safety:
                self._check_interrupted(f"controlword 0x{cw:04X}")
            self._cw = cw & 0xFFFF
            rpdo = self._rpdo_for(cia402.CONTROLWORD)
            if rpdo is not None:
                self._send_rpdo(rpdo, self._rpdo_values())
            else:
                self.sdo_write(cia402.CONTROLWORD, 0, self._cw)

    def _rpdo_values(self) -> dict[int, int]:
        return {cia402.CONTROLWORD: self._cw, cia402.MODES_OF_OPERATION: self._mode_cmd, **self._targets}

    def _send_target(self, index: int, raw: int, safety: bool = False) -> None:
        with self._tx_lock:
            if not safety:
                self._check_interrupted(f"set-point 0x{index:04X}")
            self._targets[index] = raw
            rpdo = self._rpdo_for(index)
            if rpdo is not None:
                self._send_rpdo(rpdo, self._rpdo_values())
            else:
                self.sdo_write(index, 0, raw)

    def _step(self, cw: int, leaving: State, safety: bool = False) -> State | None:
        """Send ``cw`` and wait until the state differs from ``leaving``."""
        sent = time.monotonic()
        self._send_controlword(cw, safety)
        result: list[State | None] = []

        def changed() -> bool:
            sw = self._fresh_statusword_after(sent)
            if sw < 0:
                return False
            st = cia402.decode_state(sw)
            if st is not leaving:
                result.append(st)
                return True
            return False

        self._wait(changed, self.timeouts.state_transition_s,
                   f"0x6041 statusword to leave {leaving.value} after controlword 0x{cw:04X}", interruptible=not safety)
        return result[-1]

    def _go(self, goal: State) -> None:
        """Walk the state machine to ``goal``, one transition per step."""
        state = self.state
        for _ in range(8):
            if state is goal:
                return
            if state is None:
                raise ProtocolError(self.device, f"statusword 0x{self.statusword():04X} is no CiA 402 state")
            if state is State.FAULT:
                if goal is State.SWITCH_ON_DISABLED or goal is State.OPERATION_ENABLED:
                    raise self._fault_error()
            if state in (State.NOT_READY_TO_SWITCH_ON, State.FAULT_REACTION_ACTIVE):
                sent = time.monotonic()
                def left(_state=state, _sent=sent) -> bool:
                    sw = self._fresh_statusword_after(_sent)
                    return sw >= 0 and cia402.decode_state(sw) is not _state

                self._wait(left, self.timeouts.state_transition_s, f"0x6041 statusword to leave {state.value}")
                state = self.state
                continue
            cw = cia402.next_controlword(state, goal)
            if cw is None:
                raise BenchError(f"{self.device}: no controlword leads from {state.value} to {goal.value}")
            state = self._step(cw | (self._cw & CW.HALT), state)
        if state is not goal:
            raise BenchError(f"{self.device}: did not reach {goal.value} (now {state.value if state else '?'})")

    def _fault_error(self) -> DeviceFault:
        code = None
        if self._has(cia402.ERROR_CODE):
            try:
                code = int(self.sdo_read(cia402.ERROR_CODE))
            except BenchError:
                code = None
        text = "drive is in FAULT" + (f": {error_code_text(code)}" if code else "") + "; call fault_reset()"
        return DeviceFault(self.device, code, text)

    def enable(self) -> None:
        """Bring the drive to OPERATION ENABLED (targets zeroed first).  FAULT raises DeviceFault."""
        with self._lock:
            self._raise_pending()
            self._interrupted.clear()
            for index in (cia402.TARGET_VELOCITY, cia402.TARGET_TORQUE):
                if self._has(index):
                    self._targets[index] = 0
            if self._has(cia402.TARGET_POSITION) and self._has(cia402.POSITION_ACTUAL_VALUE):
                self._targets[cia402.TARGET_POSITION] = int(self.sdo_read(cia402.POSITION_ACTUAL_VALUE))
            self._cw &= ~CW.HALT & 0xFFFF
            self._go(State.OPERATION_ENABLED)

    def disable(self) -> None:
        """Remove power (disable voltage → SWITCH ON DISABLED).

        Safety path, callable from any thread while another call is running: it does not wait for
        that call (which gives up with an "interrupted" error), does not raise earlier asynchronous
        errors first, and waits for the state with ``state_transition_s``.  Set-points and controlwords
        of other calls are refused until :meth:`enable`, :meth:`set_mode` or :meth:`fault_reset`."""
        self._interrupted.set()
        state = self.state
        if state in (State.FAULT, State.SWITCH_ON_DISABLED, State.NOT_READY_TO_SWITCH_ON):
            return
        self._step(int(cia402.Command.DISABLE_VOLTAGE), state, safety=True)
        self._wait(lambda: self.state in (State.SWITCH_ON_DISABLED, State.FAULT), self.timeouts.state_transition_s,
                   "0x6041 statusword SWITCH ON DISABLED after disable voltage", interruptible=False)

    def quick_stop(self) -> None:
        """Quick stop (controlword bit 2 low); the drive ends in QUICK STOP ACTIVE or SWITCH ON DISABLED
        as its 0x605A option code says.  Safety path like :meth:`disable`."""
        self._interrupted.set()
        state = self.state
        if state in (State.OPERATION_ENABLED, State.READY_TO_SWITCH_ON, State.SWITCHED_ON):
            self._step(int(cia402.Command.QUICK_STOP), state, safety=True)  # transitions 11 / 7 / 10

    def halt(self, on: bool = True) -> None:
        """Set (or clear) controlword bit 8: the drive decelerates and holds, staying enabled."""
        with self._lock:
            self._raise_pending()
            self._send_controlword(cia402.with_halt(self._cw, on))

    def fault_reset(self) -> None:
        """Rising edge of controlword bit 7; waits until the drive has left FAULT, then forgets the
        asynchronous errors reported so far (they were the cause of the fault)."""
        with self._lock:
            self._interrupted.clear()
            low, high = cia402.fault_reset_edge(self._cw)
            self._send_controlword(low)
            sent = time.monotonic()
            self._send_controlword(high)

            def left_fault() -> bool:
                sw = self._fresh_statusword_after(sent)
                return sw >= 0 and cia402.decode_state(sw) not in (State.FAULT, State.FAULT_REACTION_ACTIVE)

            try:
                self._wait(left_fault, self.timeouts.state_transition_s, "0x6041 statusword to leave FAULT after fault reset")
            except DeviceTimeoutError:
                raise self._fault_error() from None
            finally:
                if not self._interrupted.is_set():
                    self._send_controlword(low)
            self.clear_errors()
            self._was_fault = False

    def set_mode(self, name: str) -> None:
        """Select a mode ("pp", "pv", "pt", "homing", "csp", "csv", "cst") and wait until 0x6061
        shows it (``mode_switch_s``)."""
        mode = cia402.mode_from_name(name)
        with self._lock:
            self._raise_pending()
            self._interrupted.clear()
            if self.supported_modes is not None and mode not in self.supported_modes:
                have = ", ".join(m.name.lower() for m in sorted(self.supported_modes))
                raise BenchError(f"{self.device}: mode {name!r} is not supported (0x6502 lists: {have or 'none'})")
            with self._tx_lock:
                self._check_interrupted(f"mode {name}")
                self._mode_cmd = int(mode)
                rpdo = self._rpdo_for(cia402.MODES_OF_OPERATION)
                if rpdo is not None:
                    self._send_rpdo(rpdo, self._rpdo_values())
                else:
                    self.sdo_write(cia402.MODES_OF_OPERATION, 0, int(mode))
            self._wait(lambda: int(self.sdo_read(cia402.MODES_OF_OPERATION_DISPLAY)) == int(mode),
                       self.timeouts.mode_switch_s, f"0x6061 modes of operation display = {int(mode)} ({name})",
                       poll_s=0.01)

    @property
    def mode(self) -> Mode | None:
        return cia402.decode_mode(int(self.sdo_read(cia402.MODES_OF_OPERATION_DISPLAY)))

    def _int32(self, value: float, what: str) -> int:
        raw = int(round(value))
        if not -(1 << 31) <= raw < (1 << 31):
            raise BenchError(f"{self.device}: {what} is {raw} increments, beyond INTEGER32")
        return raw

    def set_velocity_rad_s(self, speed_rad_s: float) -> None:
        """Target velocity 0x60FF (PV / CSV)."""
        with self._lock:
            self._raise_pending()
            raw = self._int32(speed_rad_s * self.velocity_increments_per_rev / TWO_PI, f"{speed_rad_s:g} rad/s")
            self._send_target(cia402.TARGET_VELOCITY, raw)

    def set_profile(self, speed_rad_s: float, acceleration_rad_s2: float,
                    deceleration_rad_s2: float | None = None) -> None:
        """The trapezoid the drive generates itself in the profile modes: profile velocity 0x6081 (PP)
        and profile acceleration 0x6083 / deceleration 0x6084 (PP, PV), written by SDO.

        Scaled like 0x60FF: velocity increments per second (per second²; the CiA 402 default
        acceleration unit). Deceleration defaults to the acceleration. Each must be > 0.
        """
        deceleration_rad_s2 = acceleration_rad_s2 if deceleration_rad_s2 is None else deceleration_rad_s2
        scale = self.velocity_increments_per_rev / TWO_PI
        writes = ((cia402.PROFILE_VELOCITY, speed_rad_s, "rad/s"),
                  (cia402.PROFILE_ACCELERATION, acceleration_rad_s2, "rad/s²"),
                  (cia402.PROFILE_DECELERATION, deceleration_rad_s2, "rad/s²"))
        with self._lock:
            self._raise_pending()
            raws = []
            for index, value, unit in writes:
                raw = int(round(value * scale))
                if not 0 < raw < (1 << 32):
                    raise BenchError(f"{self.device}: 0x{index:04X} = {value:g} {unit} is {raw} increments; "
                                     "it must be > 0 and fit UNSIGNED32")
                raws.append((index, raw))
            for index, raw in raws:
                self.sdo_write(index, 0, raw)

    def read_profile(self) -> tuple[float, float, float]:
        """``(speed_rad_s, acceleration_rad_s2, deceleration_rad_s2)`` now set in 0x6081/0x6083/0x6084."""
        scale = TWO_PI / self.velocity_increments_per_rev
        return tuple(float(self.sdo_read(index)) * scale for index in
                     (cia402.PROFILE_VELOCITY, cia402.PROFILE_ACCELERATION, cia402.PROFILE_DECELERATION))

    def set_torque_nm(self, torque_nm: float) -> None:
        """Target torque 0x6071 in per mille of the rated torque (PT / CST)."""
        with self._lock:
            self._raise_pending()
            if self.rated_torque_nm is None:
                raise BenchError(f"{self.device}: rated torque unknown (0x6076 absent or 0): "
                                 f"set devices.{self.name}.settings.rated_torque_nm")
            try:
                raw = cia402.torque_nm_to_permille(torque_nm, self.rated_torque_nm)
            except ValueError as exc:
                raise BenchError(f"{self.device}: {exc}") from None
            self._send_target(cia402.TARGET_TORQUE, raw)

    def set_position_rad(self, angle_rad: float) -> None:
        """Target position 0x607A.  In PP mode with the new-set-point handshake (bit 4 → statusword
        bit 12 acknowledge → bit 4 cleared), in CSP as a plain set-point."""
        with self._lock:
            self._raise_pending()
            raw = self._int32(angle_rad * self.increments_per_rev / TWO_PI, f"{angle_rad:g} rad")
            self._send_target(cia402.TARGET_POSITION, raw)
            if self._mode_cmd == Mode.PP:
                base = self._cw & ~(CW.OMS_4 | CW.OMS_6) & 0xFFFF
                sent = time.monotonic()
                self._send_controlword(base | CW.OMS_4 | CW.OMS_5)

                def acknowledged() -> bool:
                    sw = self._fresh_statusword_after(sent)
                    return sw >= 0 and bool(sw & SW.OMS_12)

                try:
                    self._wait(acknowledged, self.timeouts.setpoint_ack_s, "0x6041 bit 12 set-point acknowledge")
                finally:
                    if not self._interrupted.is_set():
                        self._send_controlword(base)

    def release_setpoint(self) -> None:
        """Zero velocity and torque targets (the rig's safe state; safety path like :meth:`disable`)."""
        for index in (cia402.TARGET_VELOCITY, cia402.TARGET_TORQUE):
            if self._has(index):
                self._send_target(index, 0, safety=True)

    def home(self) -> None:
        """Run the drive's homing method (mode 6): start with controlword bit 4, wait for statusword
        bit 12 (homing attained) with bit 10 (target reached) within ``homing_s``; bit 13 is a
        homing error (DeviceFault)."""
        with self._lock:
            self._raise_pending()
            state = self.state
            if state is not State.OPERATION_ENABLED:
                raise BenchError(f"{self.device}: homing runs in OPERATION ENABLED, the drive is in "
                                 f"{state.value if state else '?'}: call enable() first")
            if self._mode_cmd != Mode.HOMING:
                self.set_mode("homing")
            base = self._cw & ~CW.OMS_4 & 0xFFFF
            self._send_controlword(base)
            sent = time.monotonic()
            self._send_controlword(base | CW.OMS_4)
            try:
                def done() -> bool:
                    sw = self._fresh_statusword_after(sent)
                    if sw < 0:
                        return False
                    if sw & SW.OMS_13:
                        raise DeviceFault(self.device, None, f"homing error (statusword 0x{sw:04X})")
                    if cia402.decode_state(sw) in (State.FAULT, State.FAULT_REACTION_ACTIVE):
                        raise self._fault_error()
                    return bool(sw & SW.OMS_12) and bool(sw & SW.TARGET_REACHED)

                self._wait(done, self.timeouts.homing_s, "0x6041 homing attained (bits 12 and 10)", poll_s=0.01)
            finally:
                if not self._interrupted.is_set():
                    self._send_controlword(base)
            self._raise_pending()

    def read_angle_rad(self) -> float:
        """Motor shaft angle: streamed position when fresh, else 0x6064 by SDO."""
        with self._lock:
            self._raise_pending()
            with self._latest_lock:
                fresh = time.monotonic() - self._stream_at <= self.settings.statusword_fresh_s
                value = self._latest.get("position_rad")
            if fresh and value is not None:
                return value
            return int(self.sdo_read(cia402.POSITION_ACTUAL_VALUE)) * TWO_PI / self.increments_per_rev

    def latest(self) -> dict[str, float]:
        """Latest streamed values by quantity (SI), without waiting."""
        with self._latest_lock:
            return dict(self._latest)
