"""The plant held to DOMAIN.md: static twist (G4), the loop at zero torque, TE orders, cogging (G8)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from plant_helpers import ARCMIN_RAD, crossings, harmonic, motor_plant, reducer_plant

from bench.simconfig import Harmonic
from hil_mocks.plant import Plant, cogging_order, reducer


def _torque_ramp(plant: Plant, targets_nm: np.ndarray, chunk_s: float = 0.001):
    """Load motor in torque mode follows ``targets_nm`` (one per chunk); returns flange torque and output angle."""
    load = plant.axes["load"]
    load.mode = "torque"
    torque = np.empty(len(targets_nm))
    angle = np.empty(len(targets_nm))
    for i, target in enumerate(targets_nm):
        load.torque_target_nm = target
        plant.step(chunk_s)
        torque[i] = plant.sensors.torque_out.true_torque_nm
        angle[i] = plant.output_angle_rad
    return torque, angle


@pytest.mark.parametrize("lock", ["brake", "position"])
def test_static_twist_matches_three_slope_formula_g4(lock):
    # CSF-25-50-like stiffness (sim_reducer.toml) without backlash, hysteresis or TE: the twist must be
    # the catalogue three-slope formula, DOMAIN.md G4: φ(14) = 1.925′, φ(39) = 4.453′, φ(48) = 5.363′
    plant = reducer_plant(backlash_rad=0.0, hysteresis_nm=0.0, transmission_error=[])
    drive = plant.axes["in"]
    if lock == "brake":
        drive.brake_engaged = True
    else:
        drive.mode = "position"
        drive.position_target_rad = 0.0
    ramp = np.linspace(0.0, 48.0, 4001)[1:]  # 12 N·m/s, quasi-static
    torque, angle = _torque_ramp(plant, np.concatenate([ramp, np.full(300, 48.0)]))
    twist = angle - plant.input_angle_rad / plant.ratio
    for torque_nm, arcmin in ((14.0, 1.925), (39.0, 4.453), (48.0, 5.363)):
        i = int(np.argmin(abs(torque - torque_nm)))
        assert abs(torque[i] - torque_nm) < 0.02
        measured = np.interp(torque_nm, torque[max(i - 5, 0):i + 5], twist[max(i - 5, 0):i + 5])
        assert measured / ARCMIN_RAD == pytest.approx(arcmin, rel=5e-3), (torque_nm, measured / ARCMIN_RAD)
    # the true-value function the sequences use says the same
    assert plant.static_twist_rad(39.0) / ARCMIN_RAD == pytest.approx(4.453, rel=5e-4)


def _loop(plant: Plant, amplitude_nm: float, period_s: float, cycles: float, chunk_s: float = 0.001):
    t = np.arange(1, int(period_s * cycles / chunk_s) + 1) * chunk_s
    return _torque_ramp(plant, amplitude_nm * np.sin(2 * math.pi * t / period_s), chunk_s)


def test_loop_zero_torque_width_is_backlash_plus_hysteresis():
    # sim_reducer.toml: backlash 1.0e-4 rad, hysteresis 0.6 N·m; slow ±rated-torque (39 N·m) loop
    plant = reducer_plant()
    plant.axes["in"].brake_engaged = True
    torque, angle = _loop(plant, 39.0, period_s=8.0, cycles=1.5)
    points = crossings(torque, angle)
    down = [a for a, sense in points if sense < 0]  # B: unloading from +TN through 0
    up = [a for a, sense in points if sense > 0]    # B′: unloading from −TN through 0
    assert down and up
    width = down[-1] - up[-1]
    expected = 1.0e-4 + 2 * 0.6 / 2.5e4  # b + 2·H/K1, by hand from the config
    assert plant.expected_zero_torque_width_rad() == pytest.approx(expected, rel=1e-12)
    assert width == pytest.approx(expected, rel=0.02)


def test_loop_lost_motion_matches_true_value():
    # lost motion at ±3 % TN (DOMAIN.md §2.2): mid-line at +W minus mid-line at −W
    plant = reducer_plant()
    plant.axes["in"].brake_engaged = True
    torque, angle = _loop(plant, 39.0, period_s=8.0, cycles=2.0)
    w = 0.03 * 39.0
    half = len(torque) // 2  # second cycle: branches fully developed
    torque, angle = torque[half:], angle[half:]
    rising = np.gradient(torque) > 0

    def at(level, branch):
        sel = branch & (abs(torque - level) < 0.2)
        t, a = torque[sel], angle[sel]
        order = np.argsort(t)
        return float(np.interp(level, t[order], a[order]))

    lost_motion = 0.5 * (at(w, rising) + at(w, ~rising)) - 0.5 * (at(-w, rising) + at(-w, ~rising))
    expected = 1.0e-4 + 2 * w / 2.5e4  # b + 2W/K1 (H < W, W + H < T1)
    assert plant.expected_lost_motion_rad(w) == pytest.approx(expected, rel=1e-12)
    assert lost_motion == pytest.approx(expected, rel=0.02)


def test_constant_speed_shows_te_harmonics_at_their_orders():
    # sim_reducer.toml TE: order 1 5e-5 rad, order 2 3e-5 rad (phase 0.5), order 100 (= 2N) 1e-5 rad
    plant = reducer_plant()
    drive = plant.axes["in"]
    drive.mode = "velocity"
    drive.velocity_target_rad_s = 100.0  # output 2 rad/s
    plant.step(0.5)
    enc_in, enc_out = plant.sensors.encoder_in, plant.sensors.encoder_out
    th_in, th_out = [], []
    start = enc_out.read_rad()
    while True:
        plant.step(0.0005)
        th_in.append(enc_in.read_rad())
        th_out.append(enc_out.read_rad())
        if th_out[-1] - start > 2 * math.pi * 1.01:
            break
    th_in, th_out = np.array(th_in), np.array(th_out)
    te = th_out - th_in / plant.ratio  # DOMAIN.md §2.3
    grid = th_out[0] + np.arange(8192) * 2 * math.pi / 8192  # one output revolution, uniform in angle
    te_grid = np.interp(grid, th_out, te)
    te_grid -= te_grid.mean()
    for order, amplitude in ((1, 5e-5), (2, 3e-5), (100, 1e-5)):
        measured, _ = harmonic(te_grid, grid, order)
        assert measured == pytest.approx(amplitude, rel=0.02), order
    for order in (3, 50, 99, 101, 200):  # nothing where nothing was configured
        assert harmonic(te_grid, grid, order)[0] < 0.01 * 1e-5


@pytest.mark.parametrize("slots, pole_pairs, per_rev", [(12, 5, 60), (9, 4, 72)])
def test_motor_turned_slowly_shows_cogging_at_lcm_period_g8(slots, pole_pairs, per_rev):
    # DOMAIN.md G8: cycles/rev = LCM(Qs, 2p): 12s/10p → 60, 9s/8p → 72
    plant = motor_plant(slots=slots, pole_pairs=pole_pairs, cogging_amplitude_nm=0.02, ripple=[])
    assert cogging_order(plant.sim.drive_motor) == per_rev
    load = plant.axes["load"]  # the motor under test ("in") is unpowered, dragged by the load motor
    load.mode = "velocity"
    load.velocity_target_rad_s = 0.5
    plant.step(0.3)
    angle, torque = [], []
    start = plant.sensors.encoder_in.read_rad()
    span = 2 * math.pi / 6  # a sixth of a revolution: 10 or 12 cogging periods
    while not angle or angle[-1] - start < span * 1.01:
        plant.step(0.0005)
        angle.append(plant.sensors.encoder_in.read_rad())
        torque.append(plant.sensors.torque_in.true_torque_nm)
    grid = start + np.arange(4096) * span / 4096
    t_grid = np.interp(grid, angle, torque)
    spectrum = np.abs(np.fft.rfft(t_grid - t_grid.mean())) * 2 / len(grid)
    peak = int(np.argmax(spectrum))
    assert peak * (2 * math.pi / span) == per_rev  # the cogging period is 2π/LCM
    assert spectrum[peak] == pytest.approx(0.02, rel=0.03)
    # the mean is the motor's Coulomb friction (0.01 N·m default), opposing the motion
    assert t_grid.mean() == pytest.approx(-0.01, rel=0.05)


def test_efficiency_on_the_simulated_bench_equals_the_true_value():
    plant = reducer_plant()
    drive, load = plant.axes["in"], plant.axes["load"]
    drive.mode = "velocity"
    drive.velocity_target_rad_s = 100.0
    load.mode = "torque"
    load.torque_target_nm = -20.0  # braking the output
    plant.step(1.5)
    t_in, t_out, w_in = [], [], []
    for _ in range(500):
        plant.step(0.001)
        t_in.append(plant.sensors.torque_in.true_torque_nm)
        t_out.append(plant.sensors.torque_out.true_torque_nm)
        w_in.append(plant.input_speed_rad_s)
    eta = abs(np.mean(t_out)) / (plant.ratio * abs(np.mean(t_in)))  # DOMAIN.md §2.4
    # by hand from the config: T_in = 0.15 + 1e-4·100 + 20/(50·0.85)
    expected = 20 / (50 * (0.15 + 0.01 + 20 / 42.5))
    assert plant.true_efficiency(20.0, 100.0) == pytest.approx(expected, rel=1e-12)
    assert eta == pytest.approx(expected, rel=2e-3)


def test_starting_and_back_driving_torque_match_table_b():
    # DOMAIN.md Table B, CSF-25-50-2UH: starting torque 15 N·cm, back-driving torque 9 N·m.
    # sim_reducer.toml: Fc = 0.15 N·m at the input; drive-motor rotor friction 0.01 N·m, η_mesh 0.85.
    plant = reducer_plant()
    drive = plant.axes["in"]
    drive.mode = "torque"
    start_in = None
    for i in range(1, 400):  # input torque ramp 0 → 0.4 N·m at 1 N·m/s, output free
        drive.torque_target_nm = i * 0.001
        plant.step(0.001)
        if start_in is None and plant.input_speed_rad_s > 1e-3:
            start_in = plant.sensors.torque_in.true_torque_nm
            break
    assert start_in == pytest.approx(0.15, rel=0.03)

    plant = reducer_plant()
    load = plant.axes["load"]  # input free (drive disabled, no brake)
    load.mode = "torque"
    start_out = None
    for i in range(1, 15000):  # output torque ramp at 10 N·m/s
        load.torque_target_nm = i * 0.001
        plant.step(0.0001)
        if plant.input_speed_rad_s > 1e-3:
            start_out = plant.sensors.torque_out.true_torque_nm
            break
    expected = 50 * (0.15 + 0.01) / 0.85  # N·(Fc + Fc_motor)/η_mesh = 9.41 N·m
    assert reducer.back_driving_torque_nm(plant.sim.reducer, 50, 0.01) == pytest.approx(expected, rel=1e-12)
    assert start_out == pytest.approx(expected, rel=0.02)
    assert start_out == pytest.approx(9.0, rel=0.06)  # the catalogue value


def test_free_oscillation_decays():
    # a stiff output released from rated torque must ring down, never gain energy (stable integrator)
    plant = reducer_plant(hysteresis_nm=0.0, backlash_rad=0.0)
    plant.axes["in"].brake_engaged = True
    _torque_ramp(plant, np.linspace(0, 39.0, 500))
    plant.axes["load"].mode = "disabled"
    twist = []
    for _ in range(400):
        plant.step(plant.dt_s)
        twist.append(plant.output_angle_rad - plant.transmission_error_rad())
    twist = np.abs(np.array(twist))
    assert twist[:50].max() > 1e-4  # it does swing
    assert twist[-100:].max() < 0.2 * twist[:50].max()
    assert np.all(np.isfinite(twist))


def test_same_seed_same_run_other_seed_other_noise():
    def readings(seed):
        plant = reducer_plant()
        plant = Plant(dataclasses.replace(plant.sim, seed=seed), plant.unit)
        plant.axes["in"].mode = "velocity"
        plant.axes["in"].velocity_target_rad_s = 10.0
        out = []
        for _ in range(50):
            plant.step(0.002)
            out.append((plant.sensors.torque_in.read(), plant.sensors.temperature.read("ambient")))
        return out

    assert readings(3) == readings(3)
    assert readings(3) != readings(4)


def test_step_carries_remainders_over():
    a, b = reducer_plant(), reducer_plant()
    for _ in range(8):
        a.step(a.dt_s / 4)
    b.step(2 * b.dt_s)
    assert a.t_s == b.t_s == pytest.approx(2 * a.dt_s)


def test_transmission_error_is_taken_at_the_nominal_output_angle():
    plant = reducer_plant(transmission_error=[Harmonic(3, 2e-5, 0.25)])
    drive = plant.axes["in"]
    drive.mode = "position"
    drive.position_target_rad = 7.0
    plant.step(1.0)
    x = plant.input_angle_rad / plant.ratio
    assert abs(plant.input_angle_rad - 7.0) < 1e-3
    assert plant.transmission_error_rad() == pytest.approx(2e-5 * math.sin(3 * x + 0.25), rel=1e-9)


def test_plain_python_fallback_matches_the_compiled_loop():
    # the same source runs without numba; both must compute the same trajectory
    from hil_mocks.plant import core

    plant = reducer_plant()
    drive, load = plant.axes["in"], plant.axes["load"]
    drive.mode = "velocity"
    drive.velocity_target_rad_s = 50.0
    load.mode = "torque"
    load.torque_target_nm = -5.0
    compiled, python = plant._s.copy(), plant._s.copy()
    args = (plant._p, plant._te, plant._rip[0], plant._rip[1], 300)
    core.advance(compiled, *args)
    core.advance_py(python, *args)
    assert python[core.S_STEPS] == 300
    np.testing.assert_allclose(python, compiled, rtol=1e-9, atol=1e-12)


def test_plant_starts_at_rest_in_equilibrium():
    # the output starts on its kinematic position: e(0) = 3e-5·sin(0.5) for sim_reducer.toml
    plant = reducer_plant(backlash_rad=0.0, hysteresis_nm=0.0)
    assert plant.output_angle_rad == pytest.approx(3e-5 * math.sin(0.5), rel=1e-12)
    plant.step(0.05)
    assert abs(plant.output_speed_rad_s) < 1e-9 and abs(plant.output_torque_nm) < 1e-9


@pytest.mark.parametrize("step_s", [100e-6, 200e-6])
def test_lossless_oscillation_keeps_its_energy(step_s):
    # no friction, no damping, no mesh loss: the symplectic step must neither gain nor lose amplitude
    from plant_helpers import reducer_rig

    rig = reducer_rig()
    sim = rig.sim
    lossless = dict(coulomb_friction_nm=0.0, viscous_friction_nm_s_rad=0.0)
    sim = dataclasses.replace(
        sim, step_s=step_s,
        drive_motor=dataclasses.replace(sim.drive_motor, **lossless),
        load_motor=dataclasses.replace(sim.load_motor, **lossless),
        reducer=dataclasses.replace(sim.reducer, backlash_rad=0.0, hysteresis_nm=0.0, twist_damping_ratio=0.0,
                                    load_loss_fraction=0.0, transmission_error=[], **lossless))
    plant = Plant(sim, rig.unit)
    plant.axes["in"].brake_engaged = True
    load = plant.axes["load"]
    load.mode = "torque"
    load.torque_target_nm = 30.0
    plant.step(0.001)
    load.mode = "disabled"
    spans = []
    for _ in range(8):
        angles = []
        for _ in range(1000):
            plant.step(step_s)
            angles.append(plant.output_angle_rad)
        spans.append(np.ptp(angles))
    assert spans[0] > 1e-3
    assert max(spans) == pytest.approx(min(spans), rel=0.01)
