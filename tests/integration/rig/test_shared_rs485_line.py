"""Several Modbus RTU instruments on one simulated RS-485 line, as on a real bench's cable (issue 4/5).

Both torque flanges (addresses 1 and 3) and the temperature module (address 2) share bus ``flange``:
one pseudo-terminal, one simulated line answering each address from its own place in the plant, and one
``SerialLine`` whose lock the three drivers' polling threads share.
"""

from __future__ import annotations

import pytest

from bench.errors import ConfigError
from bench.rig import Rig

from .conftest import enable_drives, wait_until

ONE_LINE = {
    "torque_in": ['bus = "flange"', "address = 1"],
    "torque_out": ['bus = "flange"', "address = 3"],
    "temperature": ['bus = "flange"', "address = 2"],
}


def test_three_instruments_share_one_simulated_line(make_rig_file):
    path, _ = make_rig_file(device_lines=ONE_LINE)
    with Rig.from_config(path) as rig:
        lines = {role: rig.device(role).line for role in ONE_LINE}
        assert lines["torque_in"] is lines["torque_out"] is lines["temperature"]
        enable_drives(rig)
        rig.device("drive_load").set_torque_nm(20.0)   # input held: the reducer carries the load torque
        plant = rig.sim.plant

        def matches_the_plant():
            with plant.lock:
                true_out, true_in = plant.sensors.torque_out.read(), plant.sensors.torque_in.read()
            out, inp = rig.latest("torque_out.torque_nm"), rig.latest("torque_in.torque_nm")
            return (abs(true_out) > 15.0 and abs(out - true_out) < 0.3 and abs(inp - true_in) < 0.03
                    and (true_out, true_in))

        # once the load torque has settled, each address answers from its own flange: the output side
        # carries about 50× the input side (ratio 50), so a swapped address could not match
        true_out, true_in = wait_until(matches_the_plant, 5.0, "both flanges reading their plant torque")
        assert abs(true_out) > 20 * abs(true_in) > 0
        wait_until(lambda: rig.latest("temperature.reducer_c") == rig.latest("temperature.reducer_c"), 5.0,
                   "a temperature sample")  # not NaN
        assert rig.latest("temperature.ambient_c") == pytest.approx(plant.sensors.temperature.read("ambient"),
                                                                    abs=0.1)
        assert not rig.safety.trips


def test_two_instruments_at_one_address_name_the_device(make_rig_file):
    lines = dict(ONE_LINE, torque_out=['bus = "flange"', "address = 1"])
    path, _ = make_rig_file(device_lines=lines)
    with pytest.raises(ConfigError, match=r"duplicate address 1 on bus 'flange' \(also used by 'torque_in'\)"):
        Rig.from_config(path)


def test_only_modbus_devices_share_a_simulated_line(make_rig_file):
    lines = {"torque_in": ['bus = "flange"', "address = 2"], "torque_out": ['driver = "dsp7000"', "settings = {}"]}
    path, _ = make_rig_file(device_lines=lines)
    with pytest.raises(ConfigError, match=r"devices\.torque_out.*only Modbus RTU devices share a simulated line"):
        Rig.from_config(path)
