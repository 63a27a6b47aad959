"""Synthetic records with known answers for the analysis tests (no code from bench.analysis)."""

from __future__ import annotations

import math

import numpy as np

ENCODER_29BIT_RAD = 2.0 * math.pi / 2**29  # DOMAIN.md G11: 29 bit = 536,870,912 counts/rev


def three_slope(t, k1, k2, k3, t1, t2):
    """DOMAIN.md §1.1 written out independently, symmetric in torque."""
    t = np.asarray(t, dtype=float)
    out = np.empty_like(t)
    for i, x in enumerate(t.flat):
        a = abs(x)
        if a <= t1:
            phi = a / k1
        elif a <= t2:
            phi = t1 / k1 + (a - t1) / k2
        else:
            phi = t1 / k1 + (t2 - t1) / k2 + (a - t2) / k3
        out.flat[i] = math.copysign(phi, x) if x != 0 else 0.0
    return out


class LoopModel:
    """Closed loop: θ = φ(T) + (β/2)·tanh(T/Tb) ∓ (h/2)·(1 − (T/A)²) (− loading, + unloading).

    The loop closes at the tips ±A (as a real loop does: friction holds the angle at the reversal),
    and the mid-line is φ(T) + (β/2)·tanh(T/Tb) exactly. Known answers: loop width at T = 0 is h;
    lost motion at ±w·TN is 2φ(w·TN) + β·tanh(w·TN/Tb); the mid-line slope is 1/K of the segment.
    """

    def __init__(self, tn, k1, k2=None, k3=None, t1=None, t2=None, backlash_rad=0.0,
                 hysteresis_rad=0.0, backlash_width_nm=None):
        self.tn = tn
        self.k = (k1, k2 or k1, k3 or k1)
        self.t12 = (t1 or 0.3 * tn, t2 or 0.6 * tn)
        self.beta = backlash_rad
        self.h = hysteresis_rad
        self.tb = backlash_width_nm or 0.005 * tn

    def phi(self, t):
        k1, k2, k3 = self.k
        return three_slope(t, k1, k2, k3, *self.t12)

    def mid(self, t):
        return self.phi(t) + 0.5 * self.beta * np.tanh(np.asarray(t) / self.tb)

    def angle(self, t, rising, amplitude=None):
        amp = self.tn if amplitude is None else amplitude
        width = self.h * np.clip(1.0 - (np.asarray(t) / amp) ** 2, 0.0, None)
        return self.mid(t) + np.where(rising, -0.5, 0.5) * width

    def lost_motion(self, w):
        return float(2 * self.phi(np.array([w * self.tn]))[0] + self.beta * math.tanh(w * self.tn / self.tb))


def triangle_record(model, n_samples, n_loops=2.0, phase=0.0, amplitude=None, noise_t=0.0,
                    noise_a=0.0, quantise=True, seed=0, steps=None):
    """Torque as a triangle wave ±amplitude over ``n_loops`` periods starting at ``phase`` (cycles).

    ``steps``: if given, torque is held at multiples of ``steps`` (N·m) along the triangle, i.e.
    stepped loading. Returns (measured torque, measured angle, true torque, rising flags).
    """
    rng = np.random.default_rng(seed)
    amp = model.tn if amplitude is None else amplitude
    u = phase + np.arange(n_samples) * (n_loops / n_samples)        # cycles
    f = np.mod(u, 1.0)
    # triangle starting at 0 rising: 0→+A (f 0..0.25), +A→−A (0.25..0.75), −A→0 (0.75..1)
    tri = np.where(f < 0.25, 4 * f, np.where(f < 0.75, 2 - 4 * f, 4 * f - 4)) * amp
    rising = (f < 0.25) | (f >= 0.75)
    if steps is not None:
        # held levels; the angle stays on the branch it came by until the level changes back
        tri = np.round(tri / steps) * steps
        change = np.sign(np.diff(tri, prepend=tri[0]))
        idx = np.where(change != 0, np.arange(n_samples), 0)
        np.maximum.accumulate(idx, out=idx)
        last = change[idx]
        rising = np.where(last != 0, last > 0, rising)
    ang = model.angle(tri, rising, amp)
    t_meas = tri + noise_t * rng.standard_normal(n_samples)
    a_meas = ang + noise_a * rng.standard_normal(n_samples)
    if quantise:
        a_meas = np.round(a_meas / ENCODER_29BIT_RAD) * ENCODER_29BIT_RAD
    return t_meas, a_meas, tri, rising
