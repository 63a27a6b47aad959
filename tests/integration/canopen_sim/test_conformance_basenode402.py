"""Conformance with a CiA 402 master we did not write: the ``canopen`` package's ``BaseNode402``.

The master configures the PDOs by SDO in PRE-OPERATIONAL (as a user of the package would), reads them
back (``setup_402_state_machine``), runs SYNC, takes the drive from SWITCH ON DISABLED to OPERATION
ENABLED, switches modes through 0x6060/0x6061, and reads back what the plant's motor does. The same
test runs on the project's EDS and on every CiA 402 file in ``../shared/eds/``.
"""

from __future__ import annotations

import logging
import math
import time

import canopen
import pytest
from canopen.profiles.p402 import BaseNode402

from hil_mocks.canopen import DRIVE_EDS, SimulatedCia402Drive

NODE = 1
SHARED_402 = ["maxon_EPOS4_Module_50-5.eds", "technosoft_iPOS_v1.04.eds", "schunk_PRL120.eds",
              "cia402_sample_profile_kacanopen.eds"]
REV = 1 << 20


def configure_pdos(node: BaseNode402) -> None:
    """TPDO1 statusword + mode display, TPDO2 position + velocity, TPDO3 torque (if present), all on
    every SYNC; RPDO1 controlword + mode, applied on reception. Other PDOs off."""
    od = node.object_dictionary
    node.tpdo.read()
    node.rpdo.read()
    for pdo in list(node.tpdo.map.values()) + list(node.rpdo.map.values()):
        pdo.clear()
        pdo.enabled = False
    layout_t = {1: [0x6041, 0x6061], 2: [0x6064, 0x606C], 3: [0x6077]}
    for number, indexes in layout_t.items():
        present = [i for i in indexes if i in od]
        if not present or number not in node.tpdo.map:
            continue
        tpdo = node.tpdo[number]
        for index in present:
            tpdo.add_variable(index)
        tpdo.trans_type = 1
        tpdo.enabled = True
    rpdo = node.rpdo[1]
    rpdo.add_variable(0x6040)
    rpdo.add_variable(0x6060)
    rpdo.trans_type = 255
    rpdo.enabled = True
    node.tpdo.save()
    node.rpdo.save()


@pytest.fixture
def rig(channel, plant):
    """network + BaseNode402 + simulated drive on plant axis "in"; yields a builder taking the EDS path."""
    made = []

    def build(eds_path):
        network = canopen.Network()
        network.NOTIFIER_CYCLE = 0.05                     # quick teardown
        network.connect(interface="virtual", channel=channel)
        axis = plant.axes["in"]
        sim = SimulatedCia402Drive(channel, NODE, axis, plant.lock, eds_path=eds_path, rated_torque_nm=1.3)
        made.append((network, sim))
        node = BaseNode402(NODE, str(eds_path))
        network.add_node(node)
        sim.start()
        node.nmt.state = "PRE-OPERATIONAL"
        configure_pdos(node)
        node.setup_402_state_machine()
        network.sync.start(0.005)
        node.nmt.state = "OPERATIONAL"
        return network, node, sim

    yield build
    for network, sim in made:
        network.sync.stop()
        network.disconnect()
        sim.stop()


def wait_for(predicate, timeout_s=2.0):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def operate(network, node: BaseNode402, sim: SimulatedCia402Drive, plant, caplog) -> list[str]:
    """Enable, run every supported one of PV and PT, disable; returns the modes exercised."""
    axis = plant.axes["in"]
    od = node.object_dictionary
    for index in (0x6083, 0x6084):                        # profile acceleration / deceleration: 20 rev/s²
        if index in od:                                   # (vendor EDS defaults are in vendor units)
            node.sdo[index].raw = 20 * REV
    if 0x6072 in od:                                      # max torque: the sample EDS says 0 ‰
        node.sdo[0x6072].raw = 2000
    node.check_statusword()                               # waits for a TPDO1 (type 1: next SYNC)
    assert node.state == "SWITCH ON DISABLED"
    node.state = "OPERATION ENABLED"
    assert node.state == "OPERATION ENABLED"
    done = []
    if node.is_op_mode_supported("PROFILED VELOCITY"):
        node.op_mode = "PROFILED VELOCITY"
        assert node.op_mode == "PROFILED VELOCITY"
        node.sdo[0x60FF].raw = REV                        # 1 rev/s
        assert wait_for(lambda: abs(axis.speed_rad_s - 2 * math.pi) < 0.05 * 2 * math.pi, 3.0), axis
        with plant.lock:
            expected = axis.speed_rad_s * REV / (2 * math.pi)
        node.tpdo[2].wait_for_reception(1.0)
        # the drive reports what the plant's motor does (velocity actual in increments/s)
        assert node.tpdo_values[0x606C] == pytest.approx(expected, rel=0.05)
        with plant.lock:
            angle = axis.angle_rad
        node.tpdo[2].wait_for_reception(1.0)
        assert node.tpdo_values[0x6064] == pytest.approx(angle * REV / (2 * math.pi), abs=0.05 * REV)
        done.append("PV")
    if node.is_op_mode_supported("PROFILED TORQUE"):
        node.op_mode = "PROFILED TORQUE"
        assert node.op_mode == "PROFILED TORQUE"
        node.sdo[0x6071].raw = 100                        # 10 % of rated torque = 0.13 N·m
        assert wait_for(lambda: abs(axis.torque_nm - 0.13) < 0.01, 2.0), axis
        assert axis.mode == "torque"
        if 0x6077 in od:
            assert wait_for(lambda: node.tpdo_values.get(0x6077) in (99, 100, 101) or
                            node.sdo[0x6077].raw in (99, 100, 101), 2.0)
        node.sdo[0x6071].raw = 0
        done.append("PT")
    if not done and node.is_op_mode_supported("PROFILED POSITION"):
        node.op_mode = "PROFILED POSITION"
        assert node.op_mode == "PROFILED POSITION"
        with plant.lock:
            start = axis.angle_rad
        target = int(round(start * REV / (2 * math.pi))) + REV // 2   # half a revolution further
        node.sdo[0x607A].raw = target
        node.controlword = 0x1F                           # enable operation + new set-point
        assert wait_for(lambda: node.statusword & 0x1000, 1.0)   # set-point acknowledged
        node.controlword = 0x0F
        assert wait_for(lambda: node.statusword & 0x0400 and abs(axis.angle_rad - (start + math.pi)) < 0.01,
                        5.0), axis
        done.append("PP")
    node.state = "SWITCH ON DISABLED"
    assert wait_for(lambda: axis.mode == "disabled", 1.0)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "canopen" in r.name], \
        [r.getMessage() for r in caplog.records]
    assert sim.stats.bad_frames == 0 and not sim.stats.errors, sim.stats.errors
    return done


def test_basenode402_operates_the_reference_drive(rig, plant, caplog):
    network, node, sim = rig(DRIVE_EDS)
    assert operate(network, node, sim, plant, caplog) == ["PV", "PT"]


@pytest.mark.parametrize("eds_name", SHARED_402)
def test_basenode402_operates_a_drive_built_from_a_vendor_eds(rig, plant, caplog, shared_dir, eds_name):
    network, node, sim = rig(shared_dir / "eds" / eds_name)
    done = operate(network, node, sim, plant, caplog)
    expected = {"schunk_PRL120.eds": ["PP"]}.get(eds_name, ["PV", "PT"])
    assert done == expected


def test_plant_fault_reaches_the_master_as_emcy_and_resets(rig, plant):
    """A plant axis fault → EMCY seen by canopen's EmcyConsumer, FAULT state; BaseNode402 resets it."""
    network, node, sim = rig(DRIVE_EDS)
    axis = plant.axes["in"]
    node.check_statusword()
    node.state = "OPERATION ENABLED"
    with plant.lock:
        axis.inject_fault("overcurrent")
    assert wait_for(lambda: node.emcy.active, 1.0)
    emcy = node.emcy.active[-1]
    assert (emcy.code, emcy.register) == (0x2310, 0x03)
    assert wait_for(lambda: node.state == "FAULT", 1.0)
    assert node.sdo[0x603F].raw == 0x2310
    node.reset_from_fault()                              # controlword 0 then 0x80 edge, then to OPERATION ENABLED
    assert node.state == "OPERATION ENABLED"
    assert node.emcy.active == []                        # the error-reset EMCY (code 0x0000) cleared it
    assert axis.fault is None
