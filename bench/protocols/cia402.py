"""CiA 402 (drives and motion control) as pure code: state machine, controlwords, modes.

Everything here follows CiA 402-2 and DOMAIN.md section 5.4: the statusword (0x6041) decodes to one
of eight states; the controlword (0x6040) for the next step towards a wanted state is a pure function
of the present state; fault reset is a rising edge of bit 7; halt is bit 8; quick stop is bit 2 low.
No I/O: the driver sends what this module computes and waits for the statusword it predicts.
"""

from __future__ import annotations

import enum

# --- object indexes (CiA 402-2) ---------------------------------------------------------------
CONTROLWORD = 0x6040
STATUSWORD = 0x6041
QUICK_STOP_OPTION_CODE = 0x605A
MODES_OF_OPERATION = 0x6060
MODES_OF_OPERATION_DISPLAY = 0x6061
POSITION_ACTUAL_VALUE = 0x6064
VELOCITY_ACTUAL_VALUE = 0x606C
TARGET_TORQUE = 0x6071
MAX_TORQUE = 0x6072
MOTOR_RATED_TORQUE = 0x6076
TORQUE_ACTUAL_VALUE = 0x6077
TARGET_POSITION = 0x607A
POSITION_ENCODER_RESOLUTION = 0x608F  # :01 increments, :02 motor revolutions
TARGET_VELOCITY = 0x60FF
PROFILE_VELOCITY = 0x6081  # PP: speed of the trapezoid, velocity units
PROFILE_ACCELERATION = 0x6083  # PP / PV, acceleration units
PROFILE_DECELERATION = 0x6084
ERROR_CODE = 0x603F
SUPPORTED_DRIVE_MODES = 0x6502

DEVICE_PROFILE = 402


class State(enum.Enum):
    """The eight states of the CiA 402 power state machine."""

    NOT_READY_TO_SWITCH_ON = "NOT READY TO SWITCH ON"
    SWITCH_ON_DISABLED = "SWITCH ON DISABLED"
    READY_TO_SWITCH_ON = "READY TO SWITCH ON"
    SWITCHED_ON = "SWITCHED ON"
    OPERATION_ENABLED = "OPERATION ENABLED"
    QUICK_STOP_ACTIVE = "QUICK STOP ACTIVE"
    FAULT_REACTION_ACTIVE = "FAULT REACTION ACTIVE"
    FAULT = "FAULT"


# (mask, value, state): the statusword patterns of CiA 402-2 (bits 0-3, 5, 6)
_STATE_PATTERNS = (
    (0x4F, 0x00, State.NOT_READY_TO_SWITCH_ON),
    (0x4F, 0x40, State.SWITCH_ON_DISABLED),
    (0x6F, 0x21, State.READY_TO_SWITCH_ON),
    (0x6F, 0x23, State.SWITCHED_ON),
    (0x6F, 0x27, State.OPERATION_ENABLED),
    (0x6F, 0x07, State.QUICK_STOP_ACTIVE),
    (0x4F, 0x0F, State.FAULT_REACTION_ACTIVE),
    (0x4F, 0x08, State.FAULT),
)


def decode_state(statusword: int) -> State | None:
    """State encoded in a statusword, or ``None`` for a pattern CiA 402 does not define."""
    for mask, value, state in _STATE_PATTERNS:
        if statusword & mask == value:
            return state
    return None


class SW(enum.IntFlag):
    """Statusword bits (0x6041)."""

    READY_TO_SWITCH_ON = 1 << 0
    SWITCHED_ON = 1 << 1
    OPERATION_ENABLED = 1 << 2
    FAULT = 1 << 3
    VOLTAGE_ENABLED = 1 << 4
    QUICK_STOP = 1 << 5  # 0 = quick stop active
    SWITCH_ON_DISABLED = 1 << 6
    WARNING = 1 << 7
    REMOTE = 1 << 9
    TARGET_REACHED = 1 << 10
    INTERNAL_LIMIT_ACTIVE = 1 << 11
    OMS_12 = 1 << 12  # PP: set-point acknowledge; homing: homing attained; CSx: drive follows command
    OMS_13 = 1 << 13  # PP/CSP: following error; homing: homing error


class CW(enum.IntFlag):
    """Controlword bits (0x6040)."""

    SWITCH_ON = 1 << 0
    ENABLE_VOLTAGE = 1 << 1
    QUICK_STOP = 1 << 2  # active LOW: 0 requests quick stop
    ENABLE_OPERATION = 1 << 3
    OMS_4 = 1 << 4  # PP: new set-point; homing: homing operation start
    OMS_5 = 1 << 5  # PP: change set immediately
    OMS_6 = 1 << 6  # PP: 0 absolute / 1 relative
    FAULT_RESET = 1 << 7  # rising edge
    HALT = 1 << 8


class Command(enum.IntEnum):
    """Device control commands (bits 0-3 and 7 of the controlword), CiA 402-2 table."""

    DISABLE_VOLTAGE = 0x0000
    QUICK_STOP = 0x0002
    SHUTDOWN = 0x0006
    SWITCH_ON = 0x0007
    DISABLE_OPERATION = 0x0007
    ENABLE_OPERATION = 0x000F
    FAULT_RESET = 0x0080


# The controlword for the next step from ``state`` towards each goal (None: already there or no
# command leads there, e.g. NOT READY TO SWITCH ON and FAULT REACTION ACTIVE, which the drive leaves
# by itself).  Transition numbers of CiA 402-2 in comments.
_TOWARDS: dict[State, dict[State, int]] = {
    State.OPERATION_ENABLED: {
        State.FAULT: Command.FAULT_RESET,  # 15 (edge)
        State.SWITCH_ON_DISABLED: Command.SHUTDOWN,  # 2
        State.READY_TO_SWITCH_ON: Command.SWITCH_ON,  # 3
        State.SWITCHED_ON: Command.ENABLE_OPERATION,  # 4
        State.QUICK_STOP_ACTIVE: Command.DISABLE_VOLTAGE,  # 12, then 2-3-4
    },
    State.SWITCHED_ON: {
        State.FAULT: Command.FAULT_RESET,
        State.SWITCH_ON_DISABLED: Command.SHUTDOWN,  # 2
        State.READY_TO_SWITCH_ON: Command.SWITCH_ON,  # 3
        State.OPERATION_ENABLED: Command.DISABLE_OPERATION,  # 5
        State.QUICK_STOP_ACTIVE: Command.DISABLE_VOLTAGE,  # 12
    },
    State.READY_TO_SWITCH_ON: {
        State.FAULT: Command.FAULT_RESET,
        State.SWITCH_ON_DISABLED: Command.SHUTDOWN,  # 2
        State.SWITCHED_ON: Command.SHUTDOWN,  # 6
        State.OPERATION_ENABLED: Command.SHUTDOWN,  # 8
        State.QUICK_STOP_ACTIVE: Command.DISABLE_VOLTAGE,  # 12
    },
    State.SWITCH_ON_DISABLED: {
        State.FAULT: Command.FAULT_RESET,  # 15
        State.READY_TO_SWITCH_ON: Command.DISABLE_VOLTAGE,  # 7
        State.SWITCHED_ON: Command.DISABLE_VOLTAGE,  # 10
        State.OPERATION_ENABLED: Command.DISABLE_VOLTAGE,  # 9
        State.QUICK_STOP_ACTIVE: Command.DISABLE_VOLTAGE,  # 12
    },
    State.QUICK_STOP_ACTIVE: {
        State.OPERATION_ENABLED: Command.QUICK_STOP,  # 11
    },
}


def next_controlword(state: State, goal: State) -> int | None:
    """Controlword (bits 0-3, 7) of the next transition from ``state`` towards ``goal``.

    ``None`` when ``state`` is the goal or when no command leads on from ``state`` (the drive
    moves by itself out of NOT READY TO SWITCH ON and FAULT REACTION ACTIVE).  FAULT is left by
    a rising edge of bit 7: send :func:`fault_reset_edge` rather than this word alone.
    """
    if state is goal:
        return None
    table = _TOWARDS.get(goal)
    if table is None:
        raise ValueError(f"no controlword leads to {goal.value}; goals are {[g.value for g in _TOWARDS]}")
    word = table.get(state)
    return None if word is None else int(word)


def fault_reset_edge(controlword: int = 0) -> tuple[int, int]:
    """The two controlwords of a fault reset: bit 7 low, then high (a rising edge)."""
    low = controlword & ~CW.FAULT_RESET & 0xFFFF
    return low & ~0x0F, (low & ~0x0F) | CW.FAULT_RESET


def with_halt(controlword: int, halt: bool) -> int:
    """``controlword`` with bit 8 (halt) set or cleared."""
    return (controlword | CW.HALT) if halt else (controlword & ~CW.HALT & 0xFFFF)


class Mode(enum.IntEnum):
    """Modes of operation (0x6060 / 0x6061, INTEGER8)."""

    PP = 1  # profile position
    VL = 2  # velocity (frequency converters)
    PV = 3  # profile velocity
    PT = 4  # profile torque
    HOMING = 6
    IP = 7  # interpolated position
    CSP = 8  # cyclic synchronous position
    CSV = 9  # cyclic synchronous velocity
    CST = 10  # cyclic synchronous torque


MODE_NAMES: dict[str, Mode] = {
    "pp": Mode.PP, "vl": Mode.VL, "pv": Mode.PV, "pt": Mode.PT, "homing": Mode.HOMING,
    "ip": Mode.IP, "csp": Mode.CSP, "csv": Mode.CSV, "cst": Mode.CST,
}

# bit of each mode in 0x6502 supported drive modes
_SUPPORTED_BITS = {
    Mode.PP: 0, Mode.VL: 1, Mode.PV: 2, Mode.PT: 3, Mode.HOMING: 5, Mode.IP: 6,
    Mode.CSP: 7, Mode.CSV: 8, Mode.CST: 9,
}


def mode_from_name(name: str) -> Mode:
    """``"csv"`` → :attr:`Mode.CSV`; raises ``ValueError`` naming the known names."""
    try:
        return MODE_NAMES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown CiA 402 mode {name!r}; modes are: {', '.join(MODE_NAMES)}") from None


def decode_mode(value: int) -> Mode | None:
    """0x6061 value (signed; negative values are manufacturer-specific) → :class:`Mode` or None."""
    try:
        return Mode(value)
    except ValueError:
        return None


def decode_supported_modes(value: int) -> frozenset[Mode]:
    """0x6502 supported drive modes (UNSIGNED32 bit field) → the set of modes advertised."""
    return frozenset(mode for mode, bit in _SUPPORTED_BITS.items() if value >> bit & 1)


def encode_supported_modes(modes) -> int:
    """Inverse of :func:`decode_supported_modes` (for simulators and tests of configuration)."""
    word = 0
    for mode in modes:
        word |= 1 << _SUPPORTED_BITS[Mode(mode)]
    return word


# --- quick stop option code (0x605A) ----------------------------------------------------------

def quick_stop_ends_disabled(option_code: int) -> bool:
    """True if after a quick stop the drive goes to SWITCH ON DISABLED (codes 0-4), False if it
    stays in QUICK STOP ACTIVE (codes 5-8)."""
    return option_code <= 4


# --- unit scaling (raw counts live only here and in drivers) --------------------------------------

def torque_permille_to_nm(permille, rated_torque_nm: float):
    """0x6071 / 0x6077 are in per mille of the motor rated torque (0x6076)."""
    return permille * (rated_torque_nm / 1000.0)


def torque_nm_to_permille(torque_nm: float, rated_torque_nm: float) -> int:
    """N·m → INTEGER16 per mille of rated torque (rounded, range-checked)."""
    value = round(torque_nm * 1000.0 / rated_torque_nm)
    if not -32768 <= value <= 32767:
        raise ValueError(f"torque {torque_nm:g} N·m is {value} ‰ of {rated_torque_nm:g} N·m: beyond INTEGER16")
    return value
