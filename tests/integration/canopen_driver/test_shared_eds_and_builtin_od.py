"""The drivers with the real EDS files of ../shared/eds (no simulator needed) and with the built-in
dictionary (no EDS) against the scripted responder."""

from __future__ import annotations

import math

import pytest

from bench.drivers.canbus import CanBus
from bench.drivers.cia402_drive import Cia402Drive
from bench.drivers.cia406_encoder import Cia406Encoder
from bench.errors import ConfigError
from bench.protocols.cia402 import State
from bench.timebase import Timebase


@pytest.fixture
def bus(channel):
    b = CanBus("virtual", channel, 1_000_000, 250, Timebase())
    yield b
    b.close()


@pytest.mark.parametrize("eds_name", ["cia402_sample_profile_kacanopen.eds", "maxon_EPOS4_Module_50-5.eds",
                                      "technosoft_iPOS_v1.04.eds"])
def test_real_drive_files_load(bus, shared_dir, eds_name):
    # CRLF / LF, $NODEID expressions, 0x1000 without default (EPOS4): all accepted
    drive = Cia402Drive(bus, 7, name="drive_in", eds=shared_dir / "eds" / eds_name)
    drive.close()


def test_file_lacking_command_objects_lists_them(bus, shared_dir):
    # SCHUNK PRL 120 has no 0x60FF target velocity and no 0x6071 target torque
    with pytest.raises(ConfigError) as info:
        Cia402Drive(bus, 7, name="drive_in", eds=shared_dir / "eds" / "schunk_PRL120.eds")
    assert "0x60FF:00 target_velocity" in str(info.value) and "0x6071:00 target_torque" in str(info.value)
    # without them in the command layout it is accepted
    Cia402Drive(bus, 7, name="drive_in", eds=shared_dir / "eds" / "schunk_PRL120.eds",
                settings={"rpdo2": []}).close()


def test_profile_from_device_type_not_from_indexes(bus, shared_dir):
    # the iPOS file says 0x1000 = 0x00060192 (CiA 402): refused by the encoder driver
    with pytest.raises(ConfigError, match="0x00060192.*needs CiA 406"):
        Cia406Encoder(bus, 7, name="encoder_in", eds=shared_dir / "eds" / "technosoft_iPOS_v1.04.eds")
    # the CiA 406 sample also has 0x6502 (a 402 index by number): its meaning is not taken from that
    Cia406Encoder(bus, 7, name="encoder_in", eds=shared_dir / "eds" / "cia406_sample_profile_kacanopen.eds").close()


def test_builtin_dictionary_drives_a_device_without_eds(bus, scripted_drive):
    drive = Cia402Drive(bus, 5, name="drive_in", eds=None, timeouts={"sdo_s": 0.3})
    with drive:
        drive.connect()
        assert scripted_drive._mapping(0x1A00) == [(0x6041, 0, 16), (0x6064, 0, 32)]
        bus.start_sync()
        drive.set_mode("csv")
        drive.enable()
        assert drive.state is State.OPERATION_ENABLED
        drive.set_velocity_rad_s(math.pi)
        drive.disable()
    assert scripted_drive.target_velocity == 1 << 19


def test_builtin_encoder_dictionary(bus, scripted_encoder):
    scripted_encoder.counts = 2048
    with Cia406Encoder(bus, 9, name="encoder_out", eds=None, timeouts={"sdo_s": 0.3}) as enc:
        enc.connect()
        assert enc.units_per_rev == 8192
        assert enc.read_angle_rad() == pytest.approx(math.pi / 2)
