"""CiA 402 state machine, controlwords and modes; values written from CiA 402-2 / DOMAIN.md 5.4."""

from __future__ import annotations

import pytest

from bench.protocols import cia402
from bench.protocols.cia402 import Mode, State


@pytest.mark.parametrize("statusword, state", [
    # DOMAIN.md 5.4 state decode table, with unrelated bits (remote 0x0200, voltage 0x0010,
    # target reached 0x0400) set as a real drive reports them
    (0x0000, State.NOT_READY_TO_SWITCH_ON),
    (0x0250, State.SWITCH_ON_DISABLED),  # 0x40 + remote + voltage enabled
    (0x0231, State.READY_TO_SWITCH_ON),  # 0x21 + voltage
    (0x0233, State.SWITCHED_ON),
    (0x0637, State.OPERATION_ENABLED),  # 0x27 + voltage + remote + target reached
    (0x0217, State.QUICK_STOP_ACTIVE),  # 0x07, bit 5 clear
    (0x021F, State.FAULT_REACTION_ACTIVE),
    (0x0218, State.FAULT),
    (0x0208, State.FAULT),
])
def test_statusword_decodes_to_state(statusword, state):
    assert cia402.decode_state(statusword) is state


def test_undefined_statusword_pattern_is_none():
    # 0x01: ready to switch on without bit 5 (quick stop) and without bit 6: not a CiA 402 pattern
    assert cia402.decode_state(0x0001) is None


@pytest.mark.parametrize("state, goal, word", [
    (State.SWITCH_ON_DISABLED, State.OPERATION_ENABLED, 0x0006),  # shutdown (transition 2)
    (State.READY_TO_SWITCH_ON, State.OPERATION_ENABLED, 0x0007),  # switch on (3)
    (State.SWITCHED_ON, State.OPERATION_ENABLED, 0x000F),  # enable operation (4)
    (State.FAULT, State.OPERATION_ENABLED, 0x0080),  # fault reset (15)
    (State.QUICK_STOP_ACTIVE, State.OPERATION_ENABLED, 0x0000),  # disable voltage (12)
    (State.OPERATION_ENABLED, State.SWITCH_ON_DISABLED, 0x0000),  # disable voltage (9)
    (State.OPERATION_ENABLED, State.SWITCHED_ON, 0x0007),  # disable operation (5)
    (State.OPERATION_ENABLED, State.QUICK_STOP_ACTIVE, 0x0002),  # quick stop (11)
    (State.SWITCHED_ON, State.READY_TO_SWITCH_ON, 0x0006),  # shutdown (6)
])
def test_next_controlword(state, goal, word):
    assert cia402.next_controlword(state, goal) == word


def test_no_command_from_states_the_drive_leaves_by_itself():
    assert cia402.next_controlword(State.NOT_READY_TO_SWITCH_ON, State.OPERATION_ENABLED) is None
    assert cia402.next_controlword(State.FAULT_REACTION_ACTIVE, State.OPERATION_ENABLED) is None
    assert cia402.next_controlword(State.OPERATION_ENABLED, State.OPERATION_ENABLED) is None


def test_enable_sequence_walks_the_standard_path():
    # DOMAIN.md 5.4: fault → 0x80 → switch on disabled → 0x06 → ready → 0x07 → switched on → 0x0F
    path = [State.FAULT, State.SWITCH_ON_DISABLED, State.READY_TO_SWITCH_ON, State.SWITCHED_ON]
    words = [cia402.next_controlword(s, State.OPERATION_ENABLED) for s in path]
    assert words == [0x80, 0x06, 0x07, 0x0F]


def test_fault_reset_is_a_rising_edge_of_bit_7():
    low, high = cia402.fault_reset_edge(0x008F)
    assert low & 0x80 == 0 and high & 0x80 == 0x80
    assert cia402.fault_reset_edge(0x0000) == (0x0000, 0x0080)


def test_halt_is_bit_8():
    assert cia402.with_halt(0x000F, True) == 0x010F
    assert cia402.with_halt(0x010F, False) == 0x000F


@pytest.mark.parametrize("name, value", [
    ("pp", 1), ("pv", 3), ("pt", 4), ("homing", 6), ("csp", 8), ("csv", 9), ("cst", 10),
])
def test_mode_numbers(name, value):
    # 0x6060 values, CiA 402-2 (DOMAIN.md 5.4)
    assert cia402.mode_from_name(name) == value
    assert cia402.decode_mode(value) is cia402.mode_from_name(name)


def test_unknown_mode_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="csv"):
        cia402.mode_from_name("speed")
    assert cia402.decode_mode(-3) is None  # manufacturer-specific


def test_supported_drive_modes_bits():
    # 0x6502 with PP (bit 0), PV (bit 2), PT (bit 3), homing (bit 5), CSP/CSV/CST (bits 7-9):
    # 0b11_1010_1101 = 0x3AD
    modes = cia402.decode_supported_modes(0x000003AD)
    assert modes == {Mode.PP, Mode.PV, Mode.PT, Mode.HOMING, Mode.CSP, Mode.CSV, Mode.CST}
    assert cia402.decode_supported_modes(0x00000004) == {Mode.PV}
    assert cia402.encode_supported_modes([Mode.CSV, Mode.CST]) == 0x300


def test_torque_per_mille_of_rated_torque():
    # 0x6077 = 250 ‰ of 0x6076 = 1300 mN·m → 0.325 N·m
    assert cia402.torque_permille_to_nm(250, 1.3) == pytest.approx(0.325)
    assert cia402.torque_nm_to_permille(-0.65, 1.3) == -500
    with pytest.raises(ValueError, match="INTEGER16"):
        cia402.torque_nm_to_permille(100.0, 0.001)


def test_quick_stop_option_code():
    assert cia402.quick_stop_ends_disabled(2) is True
    assert cia402.quick_stop_ends_disabled(6) is False
