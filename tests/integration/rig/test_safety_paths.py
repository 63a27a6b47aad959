"""Every interlock and watchdog path of the simulated reducer bench trips the safe state (issue 5).

Each test opens the whole simulated bench (plant, two CiA 402 drives, CiA 406 encoder, Modbus torque
flanges and temperature module) from a temp copy of ``configs/sim_reducer.toml``, enables the drives,
provokes one cause, and checks: the trip is recorded with its kind and cause in ``rig.safety.trips``,
and the quick-stop controlword (0x0002) reaches the enabled drives on the bus, seen by a passive
listener, as a CAN analyser would see it.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bench.errors import BenchError, InterlockTripped
from bench.protocols.cia402 import State
from bench.rig import Rig

from .conftest import QUICK_STOP_CW_BYTES, enable_drives, wait_until

NODE_IN, NODE_LOAD = 1, 2  # node ids of drive_in, drive_load in sim_reducer.toml


def _trip(rig, kind: str, timeout_s: float = 3.0):
    return wait_until(lambda: next((t for t in rig.safety.trips if t.kind == kind), None), timeout_s,
                      f"a {kind!r} trip (trips so far: {rig.safety.trips})")


def _drives_disabled(rig, timeout_s: float = 3.0) -> None:
    """After the safe state both drives end without power: SWITCH ON DISABLED (or FAULT for a faulted one)."""
    for role in ("drive_in", "drive_load"):
        drive = rig.device(role)
        wait_until(lambda d=drive: d.state in (State.SWITCH_ON_DISABLED, State.FAULT), timeout_s,
                   f"{role} disabled (now {drive.state})")


def test_torque_interlock_trips_and_quick_stop_reaches_both_drives(make_rig_file, bus_listener):
    path, channel = make_rig_file(limits={"torque_nm": 10.0})
    listener = bus_listener(channel)
    with Rig.from_config(path) as rig:
        enable_drives(rig)
        load = rig.device("drive_load")
        for torque_nm in np.linspace(0.0, 9.0, 10):  # below the limit: nothing trips
            load.set_torque_nm(float(torque_nm))
            time.sleep(0.01)
        time.sleep(0.1)
        assert rig.safety.trips == []
        start = time.monotonic()
        with pytest.raises(BenchError):  # the safety path interrupts the ramp (or the ramp ends first)
            for torque_nm in np.linspace(9.0, 20.0, 60):
                load.set_torque_nm(float(torque_nm))
                time.sleep(0.01)
            time.sleep(1.0)
            rig.raise_if_tripped()
        trip = _trip(rig, "interlock")
        assert trip.channel in ("torque_out.torque_nm", "drive_load.torque_nm")
        assert abs(trip.value) > 10.0 and "above max 10" in trip.cause
        t_in = listener.wait_for_controlword(NODE_IN, QUICK_STOP_CW_BYTES, after_s=start)
        t_load = listener.wait_for_controlword(NODE_LOAD, QUICK_STOP_CW_BYTES, after_s=start)
        assert t_in >= trip.monotonic_s and t_load >= trip.monotonic_s
        _drives_disabled(rig)
        with pytest.raises(InterlockTripped, match="above max 10"):
            rig.raise_if_tripped()
        # the plant no longer sees the load torque: set points released, drives off
        wait_until(lambda: abs(rig.sim.plant.output_torque_nm) < 10.0, 3.0, "output torque back under the limit")


def test_silent_channel_watchdog_trips(make_rig_file, bus_listener):
    path, channel = make_rig_file(append='[[interlocks]]\nchannel = "encoder_out.angle_rad"\nsilent_timeout_s = 0.1\n')
    listener = bus_listener(channel)
    with Rig.from_config(path) as rig:
        enable_drives(rig)
        time.sleep(0.15)  # the watchdog is armed by the channel's first block and must stay quiet
        assert rig.safety.trips == []
        encoder = rig.sim.simulators["encoder_out"]
        encoder.faults.kinds = frozenset({"tpdo"})  # heartbeat and SDO go on: only the stream stops
        start = time.monotonic()
        encoder.faults.drop_fraction = 1.0
        trip = _trip(rig, "watchdog")
        assert trip.channel == "encoder_out.angle_rad"
        assert "silent for more than 0.1 s" in trip.cause
        assert encoder.faults.counters.dropped_tx > 0
        assert 0.1 <= trip.monotonic_s - start < 1.0
        listener.wait_for_controlword(NODE_IN, QUICK_STOP_CW_BYTES, after_s=start)
        listener.wait_for_controlword(NODE_LOAD, QUICK_STOP_CW_BYTES, after_s=start)
        _drives_disabled(rig)
        assert [t.kind for t in rig.safety.trips].count("watchdog") == 1  # one trip per silence


def test_heartbeat_lost_trips(make_rig_file, bus_listener):
    path, channel = make_rig_file(device_lines={"encoder_out": ["timeouts = { heartbeat_s = 0.2 }"]})
    listener = bus_listener(channel)
    with Rig.from_config(path) as rig:
        enable_drives(rig)
        start = time.monotonic()
        rig.sim.simulators["encoder_out"].stop_heartbeat()
        trip = _trip(rig, "watchdog")
        assert "encoder_out" in trip.cause and "heartbeat 0x703" in trip.cause
        assert trip.monotonic_s - start < 1.5
        listener.wait_for_controlword(NODE_IN, QUICK_STOP_CW_BYTES, after_s=start)
        listener.wait_for_controlword(NODE_LOAD, QUICK_STOP_CW_BYTES, after_s=start)
        _drives_disabled(rig)
        assert any("heartbeat" in str(e) for e in rig.errors)


def test_drive_fault_trips_with_the_emcy_code(make_rig_file, bus_listener):
    path, channel = make_rig_file()
    listener = bus_listener(channel)
    with Rig.from_config(path) as rig:
        enable_drives(rig)
        start = time.monotonic()
        rig.sim.plant.axes["load"].inject_fault("overcurrent")
        trip = _trip(rig, "fault")
        assert trip.cause.startswith("drive_load")
        # the EMCY of the faulted drive: CiA 301 EMCY = error code (LE) | error register | 5 bytes;
        # 0x2310 "continuous over current" (CiA 402 error codes), register bits 0 generic + 1 current
        emcy = wait_until(lambda: listener.emcys(NODE_LOAD), 2.0, "EMCY 0x082")[0]
        assert emcy[:2] == bytes.fromhex("1023") and emcy[2] & 0x03 == 0x03
        assert "2310" in trip.cause or "over" in trip.cause.lower()
        # the drive still enabled gets the quick stop; the faulted one is already without torque
        listener.wait_for_controlword(NODE_IN, QUICK_STOP_CW_BYTES, after_s=start)
        _drives_disabled(rig)
        assert rig.device("drive_load").state is State.FAULT


def test_transport_error_of_a_serial_instrument_trips(make_rig_file, bus_listener):
    path, channel = make_rig_file()
    listener = bus_listener(channel)
    with Rig.from_config(path) as rig:
        enable_drives(rig)
        wait_until(lambda: rig.rings["torque_out.torque_nm"].total_written > 0, 2.0, "torque flange samples")
        start = time.monotonic()
        rig.sim.simulators["torque_out"].unplug(down_s=0.5)  # the line goes away, then comes back
        trip = _trip(rig, "transport")
        assert trip.cause.startswith("torque_out")
        listener.wait_for_controlword(NODE_IN, QUICK_STOP_CW_BYTES, after_s=start)
        listener.wait_for_controlword(NODE_LOAD, QUICK_STOP_CW_BYTES, after_s=start)
        _drives_disabled(rig)


def test_transport_error_on_the_can_bus_trips(make_rig_file, bus_listener):
    """A frame no driver can place (a TPDO of node 5, which the rig file does not have) is a bus error."""
    import can

    path, channel = make_rig_file()
    listener = bus_listener(channel)
    with Rig.from_config(path) as rig:
        enable_drives(rig)
        start = time.monotonic()
        listener.bus.send(can.Message(arbitration_id=0x185, data=bytes.fromhex("0102"), is_extended_id=False))
        trip = _trip(rig, "transport")
        assert trip.cause.startswith("bus can0") and "0x185" in trip.cause
        listener.wait_for_controlword(NODE_IN, QUICK_STOP_CW_BYTES, after_s=start)
        listener.wait_for_controlword(NODE_LOAD, QUICK_STOP_CW_BYTES, after_s=start)
        _drives_disabled(rig)
        assert any("0x185" in str(e) for e in rig.errors)


def test_emergency_stop_from_another_thread(make_rig_file, bus_listener):
    path, channel = make_rig_file()
    listener = bus_listener(channel)
    with Rig.from_config(path) as rig:
        enable_drives(rig)
        rig.device("drive_load").set_torque_nm(5.0)
        start = time.monotonic()
        stopper = threading.Thread(target=rig.emergency_stop, args=("operator pressed STOP",), name="estop")
        stopper.start()
        stopper.join(5.0)
        assert not stopper.is_alive()
        trip = _trip(rig, "emergency_stop")
        assert trip.cause == "operator pressed STOP"
        listener.wait_for_controlword(NODE_IN, QUICK_STOP_CW_BYTES, after_s=start)
        listener.wait_for_controlword(NODE_LOAD, QUICK_STOP_CW_BYTES, after_s=start)
        _drives_disabled(rig, timeout_s=0.5)  # emergency_stop returns once the drives are off
        with pytest.raises(BenchError, match="interrupted"):  # set points are refused until re-enabled
            rig.device("drive_load").set_torque_nm(5.0)
        rig.emergency_stop("again")  # idempotent
        wait_until(lambda: len(rig.safety.trips) == 2, 1.0, "the second trip recorded")
        assert [t.kind for t in rig.safety.trips] == ["emergency_stop", "emergency_stop"]
        assert rig.errors == []


def test_safe_state_from_several_threads_at_once(make_rig_file):
    path, _ = make_rig_file()
    with Rig.from_config(path) as rig:
        enable_drives(rig)
        threads = [threading.Thread(target=rig.safe_state, name=f"safe-{i}") for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5.0)
        assert not any(t.is_alive() for t in threads)
        _drives_disabled(rig, timeout_s=0.5)
        assert rig.errors == []
        rig.safe_state()  # and once more on a rig already safe
        assert rig.errors == []


def test_a_value_staying_out_of_limits_trips_once_per_excursion():
    """A 1 kHz channel held above its limit must not add a trip (and a safe-state run) every block."""
    from bench.config import InterlockConfig
    from bench.rig.safety import SafetySupervisor
    from bench.streams import Hub, SampleBlock

    hub, calls = Hub(), []
    sup = SafetySupervisor(hub, lambda action: calls.append(time.monotonic()))
    sup.start()
    try:
        sup.add_interlock(InterlockConfig("torque_out.torque_nm", min=-10.0, max=10.0))

        def publish(values):
            hub.publish(SampleBlock("torque_out.torque_nm", np.zeros(len(values)), np.asarray(values, float)))

        publish([9.0, 10.5, 11.0])  # excursion 1 starts at 10.5
        publish([12.0, 11.0])  # still out: no new trip
        publish([10.2, 9.0, 10.8])  # back in, out again at 10.8: excursion 2
        publish([-10.5])  # still out (below min): same excursion
        publish([0.0])
        publish([-11.0])  # excursion 3
        wait_until(lambda: len(sup.trips) >= 3, 2.0, "three trips")
        time.sleep(0.05)
        assert [t.value for t in sup.trips] == [10.5, 10.8, -11.0]
        sup.reset()  # re-armed: a value still out of limits after the reset trips again
        publish([-11.5])
        wait_until(lambda: len(sup.trips) == 1, 2.0, "a trip after the reset")
        assert sup.trips[0].value == -11.5
    finally:
        sup.stop()
