"""The runner thread: steps under the lock, paced or not, callbacks, errors reach the caller."""

from __future__ import annotations

import threading
import time

import pytest
from plant_helpers import motor_rig, reducer_plant, reducer_rig

from bench.errors import ConfigError
from hil_mocks.plant import Plant, PlantError, PlantRunner


def test_unpaced_runner_steps_and_calls_back():
    plant = reducer_plant()
    ticks = []
    seen = threading.Event()

    def tick(p):
        ticks.append(p.t_s)
        if len(ticks) >= 50:
            seen.set()

    runner = PlantRunner(plant, realtime=False, chunk_s=0.001)
    runner.add_tick_callback(tick)
    with runner:
        assert runner._thread.name.startswith("plant")
        assert seen.wait(5.0)
    runner.stop()  # idempotent
    assert ticks[:3] == pytest.approx([0.001, 0.002, 0.003])
    assert not runner.running


def test_paced_runner_does_not_run_ahead_of_the_wall_clock():
    plant = reducer_plant()
    start = time.monotonic()  # before the runner starts: the bound below can only be loose, never flaky
    with PlantRunner(plant, realtime=True, chunk_s=0.002):
        time.sleep(0.1)
        with plant.lock:
            simulated = plant.t_s
        elapsed = time.monotonic() - start
    assert 0 < simulated <= elapsed + 0.002


def test_callback_error_stops_the_runner_and_reaches_stop():
    plant = reducer_plant()
    runner = PlantRunner(plant, realtime=False)

    def bad(_plant):
        raise RuntimeError("simulator bug")

    runner.add_tick_callback(bad)
    runner.start()
    runner._thread.join(5.0)
    with pytest.raises(PlantError, match="simulator bug"):
        runner.stop()


def test_plants_build_from_both_shipped_configs():
    reducer = Plant.from_rig(reducer_rig())
    motor = Plant.from_rig(motor_rig())
    assert reducer.ratio == 50 and reducer.is_reducer
    assert motor.ratio == 1 and not motor.is_reducer
    assert set(reducer.axes) == {"in", "load"}


def test_too_stiff_coupling_is_a_config_error_naming_the_key():
    import dataclasses
    rig = motor_rig()
    sim = dataclasses.replace(rig.sim, coupling_stiffness_nm_rad=1e9)
    with pytest.raises(ConfigError, match="sim.coupling_stiffness_nm_rad"):
        Plant(sim, rig.unit)


def test_a_rig_without_sim_table_is_refused():
    import dataclasses
    rig = dataclasses.replace(reducer_rig(), sim=None)
    with pytest.raises(PlantError, match=r"no \[sim\] table"):
        Plant.from_rig(rig)


def test_reducer_too_stiff_for_the_step_is_a_config_error():
    import dataclasses
    rig = reducer_rig()
    red = dataclasses.replace(rig.sim.reducer, k3_nm_rad=1e9)
    with pytest.raises(ConfigError, match=r"sim\.reducer\.k3_nm_rad.*step_s"):
        Plant(dataclasses.replace(rig.sim, reducer=red), rig.unit)
