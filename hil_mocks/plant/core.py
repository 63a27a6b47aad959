"""The inner step loop of the plant: plain floats in flat arrays, JIT-compiled by numba when present.

Why this shape: the plant must advance ≥ 20 simulated seconds per wall second at ≤ 200 µs steps
(≥ 100 k steps/s). A Python loop over objects manages a few thousand; one function over two flat
float64 arrays (state ``s``, parameters ``p``) compiles with numba to well above the target and still
runs, slowly, as plain Python when numba is absent (the benchmark measures both).

Two rigid bodies: body 0 = drive motor rotor + reducer input (wave generator), body 1 = load motor
rotor + reducer output. They are coupled by the reducer model of :mod:`hil_mocks.plant.reducer`
(motor bench: the same element with ratio 1, one linear stiffness, no backlash/hysteresis/TE).
Integration is symplectic (semi-implicit) Euler; Coulomb friction is solved implicitly per step
(stick when the friction can stop the body within the step), so sticking is exact and stable.
"""

from __future__ import annotations

import math

import numpy as np

try:  # numba is a dependency (pyproject); the fallback keeps the plant usable without it
    from numba import njit as _njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    HAVE_NUMBA = False

# ---- modes and faults (codes shared with axis.py) ------------------------------------------------
MODE_DISABLED, MODE_TORQUE, MODE_VELOCITY, MODE_POSITION = 0, 1, 2, 3
FAULT_NONE, FAULT_OVERCURRENT, FAULT_OVERTEMPERATURE, FAULT_FOLLOWING = 0, 1, 2, 3

# ---- per-axis state slots (axis k at k*AX) --------------------------------------------------------
AX = 20
S_TH = 0       # shaft angle, rad
S_OM = 1       # shaft speed, rad/s
S_TEM = 2      # electromagnetic torque after the current loop, N·m
S_VI = 3       # velocity-loop integrator, N·m
S_TW = 4       # winding temperature, °C
S_OCT = 5      # time the demanded current has been above the overcurrent limit, s
S_FAULT = 6    # fault code (FAULT_*)
S_TDEM = 7     # demanded torque (after the limit), N·m
S_TFL = 8      # true torque at this side's flange, N·m
S_TFLF = 9     # same, band-limited by the flange's bandwidth
S_PEL = 10     # electrical input power, W
S_VOLT = 11    # phase voltage rms, V
S_CUR = 12     # q current, A rms (signed)
S_ALPHA = 13   # acceleration of the last step, rad/s²
S_ENERGY = 14  # mechanical energy delivered by the motor's torque, J (for checks)

# ---- global state slots (at 2*AX) -----------------------------------------------------------------
G = 2 * AX
S_STEPS = G + 0     # steps taken
S_Z = G + 1         # hysteresis slider position (twist units), rad
S_DPREV = G + 2     # twist of the previous step, rad
S_SPRING = G + 3    # torque transmitted by the reducer, N·m (+ twists the output +)
S_TRED = G + 4      # reducer temperature, °C
S_PRED = G + 5      # reducer loss power, W
S_TE = G + 6        # kinematic TE of the last step, rad
S_TWIST = G + 7     # twist δ of the last step, rad
S_FRED = G + 8      # reducer friction torque at the input (incl. mesh loss), N·m
S_LEN = G + 9

# ---- per-axis parameter slots (axis k at k*AXP) ---------------------------------------------------
AXP = 32
P_MODE = 0
P_BRAKE = 1
P_TTGT = 2          # torque target, N·m
P_VTGT = 3          # velocity target, rad/s
P_PTGT = 4          # position target, rad
P_TLIM = 5          # torque limit, N·m
P_J = 6             # body inertia (motor + directly coupled side of the reducer), kg·m²
P_JM = 7            # motor rotor inertia, kg·m²
P_KT = 8
P_FC = 9            # motor Coulomb friction, N·m
P_CV = 10           # motor viscous friction, N·m·s/rad
P_COG_A = 11
P_COG_N = 12
P_COG_PH = 13
P_KP = 14           # velocity loop proportional gain, N·m·s/rad
P_KI = 15           # velocity loop integral gain, N·m/rad
P_KPP = 16          # position loop gain, 1/s
P_VMAX = 17
P_ACUR = 18         # current-loop update factor 1 − exp(−dt·ωc)
P_R = 19            # phase resistance, Ω
P_IRON = 20         # iron loss, W per rad/s
P_RTH = 21          # thermal resistance, K/W
P_TAU = 22          # thermal time constant, s
P_TMAX = 23         # max winding temperature, °C
P_IOC = 24          # overcurrent limit, A
P_TOC = 25          # overcurrent time, s
P_FE = 26           # following-error limit, rad
P_PP = 27           # pole pairs
P_RATED = 28        # rated torque (ripple scaling), N·m
P_AFLT = 29         # flange filter update factor 1 − exp(−dt·ωbw)

GP = 2 * AXP
P_DT = GP + 0
P_N = GP + 1
P_K1 = GP + 2
P_K2 = GP + 3
P_K3 = GP + 4
P_T1 = GP + 5
P_T2 = GP + 6
P_PHI1 = GP + 7
P_PHI2 = GP + 8
P_BHALF = GP + 9
P_H = GP + 10
P_KH = GP + 11
P_CS = GP + 12          # twist damping, N·m·s/rad
P_FCRED = GP + 13       # reducer Coulomb friction at the input, N·m
P_CVRED = GP + 14       # reducer viscous friction at the input, N·m·s/rad
P_ETA = GP + 15         # mesh efficiency
P_AMB = GP + 16
P_RTHRED = GP + 17
P_TAURED = GP + 18
P_JWG = GP + 19         # reducer input inertia (part of body 0), kg·m²
P_JOUT = GP + 20        # reducer output inertia (part of body 1), kg·m²
P_LEN = GP + 21


def advance(s, p, te, rip0, rip1, n_steps):
    """Advance the plant by ``n_steps`` fixed steps; ``te``/``rip*`` are (n, 3) harmonic tables."""
    dt = p[P_DT]
    n_ratio = p[P_N]
    k1 = p[P_K1]
    k2 = p[P_K2]
    k3 = p[P_K3]
    t1 = p[P_T1]
    t2 = p[P_T2]
    phi1 = p[P_PHI1]
    phi2 = p[P_PHI2]
    bhalf = p[P_BHALF]
    hyst = p[P_H]
    kh = p[P_KH]
    cs = p[P_CS]
    amb = p[P_AMB]
    n_te = te.shape[0]
    for _ in range(n_steps):
        # ---- reducer: twist and transmitted torque ------------------------------------------------
        th0 = s[S_TH]
        th1 = s[AX + S_TH]
        x_nom = th0 / n_ratio
        e = 0.0
        for i in range(n_te):
            e += te[i, 1] * math.sin(te[i, 0] * x_nom + te[i, 2])
        delta = th1 - x_nom - e
        a = abs(delta) - bhalf
        if a <= 0.0:
            g = 0.0
        else:
            if a <= phi1:
                g = k1 * a
            elif a <= phi2:
                g = t1 + k2 * (a - phi1)
            else:
                g = t2 + k3 * (a - phi2)
            if delta < 0.0:
                g = -g
        ddot = (delta - s[S_DPREV]) / dt
        if kh > 0.0:
            # elasto-plastic hysteresis element: pre-slip spring kh in series with a slider at ±H;
            # while sliding the element carries exactly ±H
            z = s[S_Z]
            th_h = kh * (delta - z)
            if th_h > hyst:
                th_h = hyst
                z = delta - hyst / kh
            elif th_h < -hyst:
                th_h = -hyst
                z = delta + hyst / kh
            s[S_Z] = z
        else:
            th_h = 0.0
        spring = g + th_h + cs * ddot
        s[S_DPREV] = delta
        s[S_SPRING] = spring
        s[S_TE] = e
        s[S_TWIST] = delta

        # ---- the two axes ------------------------------------------------------------------------
        for k in range(2):
            b = k * AX
            q = k * AXP
            th = s[b + S_TH]
            om = s[b + S_OM]
            mode = int(p[q + P_MODE])
            if s[b + S_FAULT] != FAULT_NONE:
                mode = MODE_DISABLED
            tlim = p[q + P_TLIM]
            kt = p[q + P_KT]
            if mode == MODE_DISABLED:
                tdem = 0.0
                s[b + S_VI] = 0.0
                s[b + S_TEM] = 0.0
                s[b + S_OCT] = 0.0
            else:
                if mode == MODE_TORQUE:
                    tdem = p[q + P_TTGT]
                    s[b + S_VI] = 0.0
                else:
                    if mode == MODE_POSITION:
                        perr = p[q + P_PTGT] - th
                        if abs(perr) > p[q + P_FE]:
                            s[b + S_FAULT] = FAULT_FOLLOWING
                        wref = p[q + P_KPP] * perr
                    else:
                        wref = p[q + P_VTGT]
                    vmax = p[q + P_VMAX]
                    if wref > vmax:
                        wref = vmax
                    elif wref < -vmax:
                        wref = -vmax
                    ev = wref - om
                    vi = s[b + S_VI]
                    tdem = p[q + P_KP] * ev + vi
                    # conditional integration: no wind-up against the torque limit
                    if (tdem < tlim or ev < 0.0) and (tdem > -tlim or ev > 0.0):
                        vi += p[q + P_KI] * ev * dt
                        if vi > tlim:
                            vi = tlim
                        elif vi < -tlim:
                            vi = -tlim
                        s[b + S_VI] = vi
                if tdem > tlim:
                    tdem = tlim
                elif tdem < -tlim:
                    tdem = -tlim
                if abs(tdem) / kt > p[q + P_IOC]:
                    s[b + S_OCT] += dt
                    if s[b + S_OCT] > p[q + P_TOC]:
                        s[b + S_FAULT] = FAULT_OVERCURRENT
                else:
                    s[b + S_OCT] = 0.0
                if s[b + S_FAULT] != FAULT_NONE:
                    tdem = 0.0
                    s[b + S_TEM] = 0.0
                else:
                    s[b + S_TEM] += p[q + P_ACUR] * (tdem - s[b + S_TEM])
            s[b + S_TDEM] = tdem
            tem = s[b + S_TEM]
            # ripple (electrical orders, ∝ torque) and cogging (always, also unpowered)
            tmot = tem
            if tem != 0.0:
                rip = rip0 if k == 0 else rip1
                pp = p[q + P_PP]
                scale = tem / p[q + P_RATED]
                for i in range(rip.shape[0]):
                    tmot += scale * rip[i, 1] * math.sin(rip[i, 0] * pp * th + rip[i, 2])
            if p[q + P_COG_A] != 0.0:
                tmot += p[q + P_COG_A] * math.sin(p[q + P_COG_N] * th + p[q + P_COG_PH])

            # external (non-friction) torque on the body and its friction capacity
            jb = p[q + P_J]
            fc_m = p[q + P_FC]
            cv = p[q + P_CV]
            if k == 0:
                text = tmot + spring / n_ratio
                # mesh loss: friction ∝ transmitted torque, (1/η − 1) driving, (1 − η) back-driving
                ref = om if om != 0.0 else tmot
                eta = p[P_ETA]
                if spring * ref < 0.0:
                    loss = (1.0 / eta - 1.0) * abs(spring) / n_ratio
                else:
                    loss = (1.0 - eta) * abs(spring) / n_ratio
                fc_red = p[P_FCRED] + loss
                cv_red = p[P_CVRED]
            else:
                text = tmot - spring
                fc_red = 0.0
                cv_red = 0.0
            fc = fc_m + fc_red
            cvt = cv + cv_red
            if p[q + P_BRAKE] != 0.0:
                om_new = 0.0
                ftot = text  # the brake (and friction) holds whatever acts
            else:
                w = om + dt * text / jb
                lim = dt * fc / jb
                if abs(w) <= lim:
                    om_new = 0.0
                else:
                    if w > 0.0:
                        w -= lim
                    else:
                        w += lim
                    om_new = w / (1.0 + dt * cvt / jb)
                ftot = text - jb * (om_new - om) / dt
            alpha = (om_new - om) / dt
            # split the friction between motor and reducer (stuck: in proportion to the capacities)
            if om_new != 0.0:
                sg = 1.0 if om_new > 0.0 else -1.0
                f_red = sg * fc_red + cv_red * om_new
            elif p[q + P_BRAKE] == 0.0 and fc > 0.0:
                f_red = ftot * fc_red / fc
            else:
                f_red = 0.0
            if k == 0:
                # flange between drive motor and reducer input: torque into the reducer
                tfl = p[P_JWG] * alpha + f_red - spring / n_ratio
                s[S_FRED] = f_red
                s[S_PRED] = abs(f_red * om_new)
            else:
                # flange between load motor and reducer output: torque applied to the output
                tfl = spring + p[P_JOUT] * alpha
            s[b + S_TFL] = tfl
            s[b + S_TFLF] += p[q + P_AFLT] * (tfl - s[b + S_TFLF])
            s[b + S_ALPHA] = alpha
            s[b + S_OM] = om_new
            s[b + S_TH] = th + dt * om_new
            s[b + S_ENERGY] += tem * om_new * dt

            # electrical side and winding temperature
            cur = tem / kt
            r = p[q + P_R]
            p_iron = p[q + P_IRON] * abs(om_new)
            p_cu = 3.0 * r * cur * cur
            s[b + S_CUR] = cur
            s[b + S_VOLT] = abs(kt * om_new / 3.0 + r * cur)
            s[b + S_PEL] = tem * om_new + p_cu + p_iron
            tw = s[b + S_TW]
            tw += dt / p[q + P_TAU] * (p[q + P_RTH] * (p_cu + p_iron) - (tw - amb))
            s[b + S_TW] = tw
            if tw > p[q + P_TMAX] and s[b + S_FAULT] == FAULT_NONE:
                s[b + S_FAULT] = FAULT_OVERTEMPERATURE

        tr = s[S_TRED]
        s[S_TRED] = tr + dt / p[P_TAURED] * (p[P_RTHRED] * s[S_PRED] - (tr - amb))
        s[S_STEPS] += 1.0


advance_py = advance
if HAVE_NUMBA:
    advance = _njit(cache=True, nogil=True)(advance)


def new_state() -> np.ndarray:
    return np.zeros(S_LEN)


def new_params() -> np.ndarray:
    return np.zeros(P_LEN)
