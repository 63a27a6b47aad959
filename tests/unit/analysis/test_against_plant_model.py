"""Cross-check with the simulator's reducer model: hysteresis_loop must find the true values that
``hil_mocks.plant.reducer`` states for its quasi-static loop (dead band + Coulomb hysteresis, a
loop shape unlike the synthetic one of test_hysteresis.py). Only the model's formulas are used."""

import numpy as np
import pytest

from bench.analysis import hysteresis_loop
from bench.units import ARCMIN_RAD

reducer = pytest.importorskip("hil_mocks.plant.reducer")
simconfig = pytest.importorskip("bench.simconfig")

TN = 39.0   # configs/sim_reducer.toml: CSF-25-50-2UH-like, backlash and hysteresis of the earlier sim bench (1.5e-4 rad, 0.6 N·m)
CFG = simconfig.ReducerConfig(backlash_rad=1.5e-4, hysteresis_nm=0.6)
_load = np.vectorize(lambda x: reducer.loading_branch_twist_rad(CFG, x))
_unload = np.vectorize(lambda x: reducer.unloading_branch_twist_rad(CFG, x))


def branches(torque):
    """Quasi-static loop between ±TN: after a reversal the friction element sticks until the torque
    has changed by 2H (the angle holds), then slips along the branch of the model."""
    up = np.maximum(_load(torque), _unload(-TN))
    down = np.minimum(_unload(torque), _load(TN))
    return up, down


def stiffness_of_model(lo, hi, step_nm=None):
    """Definition of DOMAIN.md §2.2 on the model's own mid-line: LS slope of T on θ_mid over
    |T| in [lo, hi], one slope, one intercept per side. With stepped loading the branches are
    known only at the levels and taken as straight between them (the issue's rule)."""
    sxy = sxx = 0.0
    for sign in (1.0, -1.0):
        t = sign * np.linspace(lo, hi, 2001)
        if step_nm:
            levels = np.arange(-TN, TN + step_nm / 2, step_nm)
            lu, ld = branches(levels)
            up, down = np.interp(t, levels, lu), np.interp(t, levels, ld)
        else:
            up, down = branches(t)
        mid = 0.5 * (up + down)
        sxy += np.dot(mid - mid.mean(), t - t.mean())
        sxx += np.dot(mid - mid.mean(), mid - mid.mean())
    return sxy / sxx


@pytest.mark.parametrize("steps_nm, noise_nm", [(None, 0.0), (None, 0.025), (0.025 * TN, 0.025), (0.025 * TN, 0.0)])
def test_loop_of_the_plant_model(steps_nm, noise_nm):
    n = 60_000
    u = 0.13 + np.arange(n) * (2.0 / n)
    f = np.mod(u, 1.0)
    torque = np.where(f < 0.25, 4 * f, np.where(f < 0.75, 2 - 4 * f, 4 * f - 4)) * TN
    if steps_nm:
        torque = np.round(torque / steps_nm) * steps_nm
    change = np.sign(np.diff(torque, prepend=torque[0]))
    last = np.maximum.accumulate(np.where(change != 0, np.arange(n), 0))
    rising = change[last] > 0
    up, down = branches(torque)
    angle = np.where(rising, up, down)
    measured = torque + noise_nm * np.random.default_rng(3).standard_normal(n)
    r = hysteresis_loop(measured, angle, rated_torque_nm=TN, lost_motion_window=0.04, breaks_nm=(14.0, 30.0))
    assert abs(r.hysteresis_loss_rad - reducer.expected_zero_torque_width_rad(CFG)) < 0.02 * ARCMIN_RAD
    assert abs(r.lost_motion_rad - reducer.expected_lost_motion_rad(CFG, 0.04 * TN)) < 0.02 * ARCMIN_RAD
    assert r.stiffness_nm_rad == pytest.approx(stiffness_of_model(0.5 * TN, TN, steps_nm), rel=0.01)
    assert r.k1_nm_rad == pytest.approx(stiffness_of_model(0.04 * TN, 14.0, steps_nm), rel=0.01)
    assert r.k3_nm_rad == pytest.approx(stiffness_of_model(30.0, TN, steps_nm), rel=0.01)
    # the stick at each tip makes the loop look stiffer than K2 near TN
    assert stiffness_of_model(0.5 * TN, TN) > CFG.k2_nm_rad
