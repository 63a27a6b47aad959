"""Cia402Drive / Cia406Encoder against the scripted canopen LocalNode responders (conftest)."""

from __future__ import annotations

import math
import time

import pytest

from bench.drivers.canbus import CanBus
from bench.drivers.cia402_drive import Cia402Drive
from bench.drivers.cia406_encoder import Cia406Encoder
from bench.errors import ConfigError, DeviceFault, DeviceTimeoutError, ProtocolError
from bench.protocols.canopen_sdo_abort import SdoAbortError
from bench.protocols.cia402 import State
from bench.streams import Hub
from bench.timebase import Timebase

SYNC_HZ = 250


def wait_for(predicate, timeout_s=2.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def hub():
    return Hub()


@pytest.fixture
def bus(channel):
    b = CanBus("virtual", channel, 1_000_000, SYNC_HZ, Timebase())
    yield b
    b.close()


def make_drive(bus, eds, hub, **kw):
    settings = kw.pop("settings", {})
    timeouts = {"sdo_s": 0.3, "state_transition_s": 0.5, "mode_switch_s": 0.3, "heartbeat_s": 0.3}
    timeouts.update(kw.pop("timeouts", {}))
    return Cia402Drive(bus, 5, name="drive_in", eds=eds, settings=settings, timeouts=timeouts, publish=hub.publish)


def test_connect_checks_identity_and_configures_pdos(bus, scripted_drive, drive_eds, hub):
    with make_drive(bus, drive_eds, hub) as drive:
        drive.connect()
        node = scripted_drive
        # TPDO1 = statusword + position, TPDO2 = velocity + torque (contract layout), written by SDO
        assert node._mapping(0x1A00) == [(0x6041, 0, 16), (0x6064, 0, 32)]
        assert node._mapping(0x1A01) == [(0x606C, 0, 32), (0x6077, 0, 16)]
        assert node._mapping(0x1600) == [(0x6040, 0, 16), (0x6060, 0, 8)]
        assert node._mapping(0x1601) == [(0x60FF, 0, 32), (0x6071, 0, 16)]
        assert node._mapping(0x1602) == [(0x607A, 0, 32)]
        assert node.raw(0x1800, 2) == 1 and node.raw(0x1800, 1) == 0x185
        assert node.raw(0x1017) == 100  # heartbeat producer time written
        assert node.node.nmt.state == "OPERATIONAL"
        assert drive.rated_torque_nm == pytest.approx(1.3)
        assert drive.increments_per_rev == 1 << 20  # no 0x608F in this EDS: contract default
        assert drive.identity["vendor_id"] == 0x12345678
        assert [c.name for c in drive.channels()] == [
            "drive_in.statusword", "drive_in.position_rad", "drive_in.velocity_rad_s", "drive_in.torque_nm"]


def test_wrong_vendor_is_a_config_error(bus, scripted_drive, drive_eds, hub):
    with make_drive(bus, drive_eds, hub, settings={"vendor_id": 0x1}) as drive:
        with pytest.raises(ConfigError, match="vendor-ID 0x1018:01 = 0x12345678, expected 0x00000001"):
            drive.connect()


def test_enable_mode_velocity_stream_and_disable(bus, scripted_drive, drive_eds, hub):
    sub = hub.subscribe(["drive_in.velocity_rad_s", "drive_in.position_rad", "drive_in.statusword"])
    with make_drive(bus, drive_eds, hub) as drive:
        drive.connect()
        bus.start_sync()
        drive.set_mode("csv")
        assert scripted_drive.mode_display == 9
        drive.enable()
        assert drive.state is State.OPERATION_ENABLED
        # standard path from SWITCH ON DISABLED: 0x06, 0x07, 0x0F (by RPDO1)
        assert [cw & 0x8F for cw in scripted_drive.controlwords[-3:]] == [0x06, 0x07, 0x0F]
        assert scripted_drive.rpdo_received >= 3
        drive.set_velocity_rad_s(2 * math.pi)  # one rev/s = 1048576 increments/s
        assert wait_for(lambda: scripted_drive.target_velocity == 1 << 20)
        assert wait_for(lambda: abs(drive.latest().get("velocity_rad_s", 0) - 2 * math.pi) < 1e-9)
        time.sleep(0.1)
        blocks = sub.drain(0.5)
        vel = [b for b in blocks if b.channel == "drive_in.velocity_rad_s"]
        assert vel and max(b.values.max() for b in vel) == pytest.approx(2 * math.pi)
        t = [x for b in vel for x in b.t_s]
        assert all(b > a for a, b in zip(t, t[1:]))  # monotonic timestamps
        assert drive.read_angle_rad() > 0
        drive.disable()
        assert drive.state is State.SWITCH_ON_DISABLED


def test_torque_scaling_in_per_mille_of_rated_torque(bus, scripted_drive, drive_eds, hub):
    with make_drive(bus, drive_eds, hub) as drive:
        drive.connect()
        drive.set_mode("cst")
        drive.enable()
        drive.set_torque_nm(0.65)  # 0.65 / 1.3 N·m = 500 ‰
        assert wait_for(lambda: scripted_drive.target_torque == 500)
        drive.set_torque_nm(-0.13)
        assert wait_for(lambda: scripted_drive.target_torque == -100)
        drive.quick_stop()  # option code 2: ends in SWITCH ON DISABLED
        assert drive.state is State.SWITCH_ON_DISABLED


def test_mode_switch_timeout_names_the_object(bus, scripted_drive_factory, drive_eds, hub):
    scripted_drive_factory(drive_eds, mode_delay_syncs=10_000)  # never confirms the mode
    with make_drive(bus, drive_eds, hub, timeouts={"mode_switch_s": 0.15}) as drive:
        drive.connect()
        bus.start_sync()
        with pytest.raises(DeviceTimeoutError, match=r"drive_in \(node 5\).*0x6061.*= 9 \(csv\).*0.15 s"):
            drive.set_mode("csv")


def test_unsupported_mode_and_sdo_abort(bus, scripted_drive, drive_eds, hub):
    scripted_drive.node.data_store[0x6502] = {0: (0x0004).to_bytes(4, "little")}  # PV only
    with make_drive(bus, drive_eds, hub) as drive:
        drive.connect()
        with pytest.raises(Exception, match="'cst' is not supported.*pv"):
            drive.set_mode("cst")
        with pytest.raises(SdoAbortError, match="Attempt to write a read only object") as info:
            drive.sdo_write(0x6041, 0, 0x1234)
        assert info.value.code == 0x06010002 and "drive_in (node 5)" in str(info.value)


def test_emcy_becomes_device_fault_and_fault_reset(bus, scripted_drive, drive_eds, hub):
    seen = []
    with make_drive(bus, drive_eds, hub) as drive:
        drive.set_error_callback(seen.append)
        drive.connect()
        bus.start_sync()
        drive.set_mode("csv")
        drive.enable()
        scripted_drive.fault(0x2310, 0x03)  # continuous over current
        assert wait_for(lambda: any(isinstance(e, DeviceFault) and e.code == 0x2310 for e in seen))
        fault = next(e for e in seen if isinstance(e, DeviceFault) and e.code == 0x2310)
        assert "drive_in (node 5)" in str(fault) and "over current" in str(fault).lower()
        with pytest.raises(DeviceFault, match="0x2310"):  # raised again from the next blocking call
            drive.set_velocity_rad_s(1.0)
        assert wait_for(lambda: drive.state is State.FAULT)  # the streamed statusword may lag ≤ 50 ms
        with pytest.raises(DeviceFault):
            drive.enable()
        drive.fault_reset()
        assert drive.state is State.SWITCH_ON_DISABLED
        drive.enable()
        assert drive.state is State.OPERATION_ENABLED


def test_heartbeat_loss_is_reported(bus, scripted_drive, drive_eds, hub):
    seen = []
    with make_drive(bus, drive_eds, hub, timeouts={"heartbeat_s": 0.25}) as drive:
        drive.set_error_callback(seen.append)
        drive.connect()
        assert wait_for(lambda: bus.heartbeat_state(5) is not None)
        assert not seen
        scripted_drive.node.nmt.stop_heartbeat()
        assert wait_for(lambda: any(isinstance(e, DeviceTimeoutError) for e in seen), 2.0)
        err = next(e for e in seen if isinstance(e, DeviceTimeoutError))
        assert "drive_in (node 5)" in str(err) and "heartbeat 0x705" in str(err)


def test_bad_pdo_length_and_unknown_cob_id_are_counted_not_fatal(bus, scripted_drive, drive_eds, hub, channel):
    import can
    seen, bus_errors = [], []
    bus.add_error_callback(bus_errors.append)
    with make_drive(bus, drive_eds, hub) as drive:
        drive.set_error_callback(seen.append)
        drive.connect()
        bus.start_sync()
        with can.Bus(interface="virtual", channel=channel) as rogue:
            rogue.send(can.Message(arbitration_id=0x185, data=b"\x37\x02\x00", is_extended_id=False))  # 3 of 6 bytes
            rogue.send(can.Message(arbitration_id=0x1A3, data=b"\x01\x02", is_extended_id=False))  # node 0x23: nobody
            rogue.send(can.Message(arbitration_id=0x385, data=b"\x01", is_extended_id=False))  # TPDO3 of node 5: unmapped
        assert wait_for(lambda: bus.stream_stats(0x185).bad_length == 1)
        assert wait_for(lambda: bus.unknown_counts.get(0x1A3) == 1 and bus.unknown_counts.get(0x385) == 1)
        assert any(isinstance(e, ProtocolError) and "0x185" in str(e) and "37 02 00" in str(e) for e in seen)
        assert any(isinstance(e, ProtocolError) and "0x385" in str(e) for e in seen)
        assert any(isinstance(e, ProtocolError) and "0x1A3" in str(e) for e in bus_errors)
        n = bus.stream_stats(0x185).frames
        assert wait_for(lambda: bus.stream_stats(0x185).frames > n + 5)  # decoding goes on


def test_silent_node_gives_timeout_naming_node_and_object(bus, drive_eds, hub):
    with make_drive(bus, drive_eds, hub, timeouts={"sdo_s": 0.1}) as drive:
        with pytest.raises(DeviceTimeoutError, match=r"drive_in \(node 5\): no answer to SDO upload 0x1000:00"):
            drive.connect()


def test_encoder_streams_unwrapped_angle_and_presets(bus, scripted_encoder, encoder_eds, hub):
    sub = hub.subscribe(["encoder_out.angle_rad"])
    rng = 8192 * 4096
    scripted_encoder.counts = rng - 8192 * 2  # two revolutions below the wrap
    scripted_encoder.step = 8192 // 16  # 1/16 rev per SYNC: crosses the wrap in 32 SYNCs
    with Cia406Encoder(bus, 9, name="encoder_out", eds=encoder_eds, settings={},
                       timeouts={"sdo_s": 0.3}, publish=hub.publish) as enc:
        enc.connect()
        assert enc.units_per_rev == 8192 and enc.range_counts == rng
        assert [c.name for c in enc.channels()] == ["encoder_out.angle_rad"]
        bus.start_sync()
        assert wait_for(lambda: scripted_encoder.syncs > 60)
        time.sleep(0.05)
        values = [v for b in sub.drain(0.2) for v in b.values]
        steps = [b - a for a, b in zip(values, values[1:])]
        assert len(values) > 40
        assert all(s == pytest.approx(2 * math.pi / 16) for s in steps)  # no jump at the wrap
        assert values[-1] > 2 * math.pi * (rng / 8192 - 2) + 2 * math.pi  # beyond the range: unwrapped
        bus.stop_sync()
        enc.preset(math.pi)
        assert scripted_encoder.counts == 4096
        assert enc.read_angle_rad() == pytest.approx(math.pi)


def test_encoder_refuses_a_drive_eds(bus, drive_eds):
    with pytest.raises(ConfigError, match="CiA 402.*needs CiA 406"):
        Cia406Encoder(bus, 9, name="encoder_out", eds=drive_eds)


def test_eds_lacking_needed_objects_lists_them_all(bus, tmp_path, eds_writer):
    write_eds, DRIVE_VARS = eds_writer
    lean = [v for v in DRIVE_VARS if v[0] not in (0x6077, 0x60FF, 0x6061)]
    eds = write_eds(tmp_path / "lean.eds", 0x00020192, 1, lean)
    with pytest.raises(ConfigError) as info:
        Cia402Drive(bus, 5, name="drive_load", eds=eds)
    text = str(info.value)
    assert "devices.drive_load.eds" in text
    for missing in ("0x6077:00 torque", "0x60FF:00 target_velocity", "0x6061:00 modes of operation display"):
        assert missing in text


def test_profile_is_decided_from_dcf_parameter_value(bus, tmp_path, drive_eds):
    # a DCF whose ParameterValue of 0x1000 says CiA 406 overrides the EDS default that says 402
    text = drive_eds.read_text(encoding="ascii")
    dcf = tmp_path / "as_encoder.dcf"
    dcf.write_text(text.replace("DefaultValue=0x00020192", "DefaultValue=0x00020192\r\nParameterValue=0x00020196"),
                   encoding="ascii")
    with pytest.raises(ConfigError, match=r"CiA 406.*this driver needs CiA 402"):
        Cia402Drive(bus, 5, name="drive_in", eds=dcf)


def test_timestamps_are_on_the_bus_timebase(bus, scripted_drive, drive_eds, hub):
    sub = hub.subscribe(["drive_in.statusword"])
    with make_drive(bus, drive_eds, hub) as drive:
        drive.connect()
        bus.start_sync()
        assert wait_for(lambda: scripted_drive.syncs > 10)
        blocks = sub.drain(0.5)
        now = bus.timebase.now()
        assert blocks and 0.0 < blocks[-1].t_s[-1] <= now and now - blocks[-1].t_s[-1] < 0.5
        assert blocks[-1].values[-1] == 0x0250  # SWITCH ON DISABLED as the responder reports it


def test_bad_settings_are_config_errors_with_key_path(bus, drive_eds):
    with pytest.raises(ConfigError) as info:
        Cia402Drive(bus, 5, name="drive_in", eds=drive_eds, settings={"tpdo1": ["statusword", "pos"]},
                    timeouts={"homing": 3.0})
    text = str(info.value)
    assert "devices.drive_in.timeouts.homing" in text and "unknown object 'pos'" in text


def test_mapping_not_taken_by_the_device_is_detected(bus, scripted_drive, drive_eds, hub):
    original = scripted_drive.read_value
    # the device keeps 0 in TPDO2's first mapping entry whatever is written (a broken implementation)
    scripted_drive.read_value = lambda index, sub: 0 if (index, sub) == (0x1A01, 1) else original(index, sub)
    with make_drive(bus, drive_eds, hub) as drive:
        with pytest.raises(ProtocolError, match=r"TPDO2 mapping 0x1A01 reads back as \[0x00000000, 0x60770010\], "
                                                r"written \[0x606C0020, 0x60770010\]"):
            drive.connect()


def test_halt_sets_and_clears_controlword_bit_8(bus, scripted_drive, drive_eds, hub):
    with make_drive(bus, drive_eds, hub) as drive:
        drive.connect()
        drive.set_mode("pv")
        drive.enable()
        drive.halt()
        assert wait_for(lambda: scripted_drive.last_cw == 0x010F)  # enable operation + halt
        drive.halt(False)
        assert wait_for(lambda: scripted_drive.last_cw == 0x000F)
        assert drive.state is State.OPERATION_ENABLED


def test_fault_that_stays_after_reset_names_the_error_code(bus, scripted_drive, drive_eds, hub):
    with make_drive(bus, drive_eds, hub) as drive:
        drive.connect()
        scripted_drive.persistent_fault = True
        scripted_drive.fault(0x7121)  # motor blocked
        assert wait_for(lambda: drive.state is State.FAULT)
        with pytest.raises(DeviceFault, match="0x7121.*Motor blocked") as info:
            drive.fault_reset()
        assert info.value.code == 0x7121
        # the rising edge was sent: bit 7 low, then high, then low again
        assert wait_for(lambda: [cw & 0x80 for cw in scripted_drive.controlwords[-3:]] == [0x00, 0x80, 0x00])
