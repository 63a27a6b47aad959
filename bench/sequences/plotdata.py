"""How a procedure hands plot data to the report: named numpy arrays in an ``.npz`` attachment.

A procedure calls ``ctx.attach_plot_data("hysteresis", torque_nm=..., angle_rad=..., ...)``; the
runner stores ``attachments/plot_hysteresis.npz`` (``plot_hysteresis_<label>.npz`` with a label).
The report (:mod:`bench.reports`) draws each kind it finds. Arrays are SI; the report converts to
display units. Kinds and their arrays (``*`` = required):

``hysteresis`` — static torsion loop (DOMAIN.md §2.1–2.2)
    ``torque_nm``\\*, ``angle_rad``\\* (the loop in recording order, output side);
    ``lost_motion_window_nm`` (w·TN: the ±window drawn as two vertical lines);
    stiffness fits as equal-length arrays ``fit_t_start_nm``, ``fit_t_end_nm``, ``fit_k_nm_rad``,
    ``fit_angle0_rad`` (line θ = angle0 + T / k drawn over [t_start, t_end]) and optional
    ``fit_label`` (strings, e.g. "K1").
``te`` — transmission error over output angle (DOMAIN.md §2.3)
    ``output_angle_rad``\\*, ``te_rad``\\*; ``orders``, ``amplitude_rad`` (order spectrum; the report
    computes one from a uniform resampling when absent).
``efficiency`` — efficiency map (DOMAIN.md §2.4)
    ``speed_rad_s``\\* (n), ``torque_nm``\\* (m), ``efficiency``\\* (m × n, fraction 0…1).
``ripple`` — torque ripple over angle (DOMAIN.md §4)
    ``angle_rad``\\*, ``torque_nm``\\*; ``orders``, ``amplitude_nm`` (computed when absent).
``no_load`` — no-load running torque over input speed (DOMAIN.md §1.1, §2.4)
    ``speed_rad_s``\\*, ``torque_nm``\\* (signed, one point per measured speed and direction, as
    measured); ``torque_std_nm`` (σ of the torque over each point's window, drawn as an error bar);
    ``fit_coulomb_nm``, ``fit_viscous_nm_s_rad`` (one number each, both or neither: the line
    |T| = T0 + c·|ω| fitted over both directions, drawn as ±(T0 + c·|ω|) over the measured speeds of
    each direction).
``breakaway`` — starting / back-driving torque ramps (DOMAIN.md §1.1, §2.4)
    ``time_s``\\*, ``torque_nm``\\*, ``angle_rad``\\*, ``direction``\\* (equal length, the ramps
    concatenated: at the torque sensor's sample instants the torque the breakaway was taken from and
    the shaft angle moved since the ramp's first sample; ``direction`` +1 / −1 per sample, each
    direction one contiguous ramp). One number per ramp, in the order the ramps appear:
    ``breakaway_torque_nm`` (signed; ±inf where the shaft did not move), ``breakaway_time_s``
    (instant of that torque; NaN where none), ``motion_time_s`` (first sample beyond the threshold;
    NaN where none). ``motion_threshold_rad`` (one number); ``torque_channel``, ``angle_channel``
    (one string each: which channels the arrays come from, for the axis labels).
``motor_constants`` — Kt and Ke lines (DOMAIN.md §4)
    ``current_a``, ``torque_nm`` (Kt points: phase current A rms, shaft torque at held speed);
    ``kt_nm_a``, ``kt_intercept_nm`` (the fitted line); ``speed_rad_s``, ``emf_v`` (Ke points: speed,
    open-circuit line-to-line voltage V rms); ``ke_v_s_rad``, ``ke_intercept_v`` (the fitted line).
    At least one pair of points; a line needs its points and both its numbers.
``positioning`` — one-way positioning: repeatability and accuracy (DOMAIN.md §1.1, Table A)
    ``target_rad``\\* (n: output angle of each target from the start, finite, 0 … 2π),
    ``deviation_rad``\\* (cycles × n, finite: (actual − datum) − (commanded − its datum), as
    ``PositioningResult.deviation_rad``); ``repeatability_rad`` (the ± value: max over the targets of
    half the spread), ``positioning_accuracy_rad`` (max |deviation|), one number each (the report
    computes them from ``deviation_rad`` when absent).
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

import numpy as np

#: kind → (required arrays, optional arrays)
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "hysteresis": (("torque_nm", "angle_rad"),
                   ("lost_motion_window_nm", "fit_t_start_nm", "fit_t_end_nm", "fit_k_nm_rad",
                    "fit_angle0_rad", "fit_label")),
    "te": (("output_angle_rad", "te_rad"), ("orders", "amplitude_rad")),
    "efficiency": (("speed_rad_s", "torque_nm", "efficiency"), ()),
    "ripple": (("angle_rad", "torque_nm"), ("orders", "amplitude_nm")),
    "no_load": (("speed_rad_s", "torque_nm"), ("torque_std_nm", "fit_coulomb_nm", "fit_viscous_nm_s_rad")),
    "breakaway": (("time_s", "torque_nm", "angle_rad", "direction"),
                  ("breakaway_torque_nm", "breakaway_time_s", "motion_time_s", "motion_threshold_rad",
                   "torque_channel", "angle_channel")),
    "motor_constants": ((), ("current_a", "torque_nm", "kt_nm_a", "kt_intercept_nm",
                             "speed_rad_s", "emf_v", "ke_v_s_rad", "ke_intercept_v")),
    "positioning": (("target_rad", "deviation_rad"), ("repeatability_rad", "positioning_accuracy_rad")),
}

#: per kind: arrays that hold strings (every other array of the kinds below must hold numbers)
STRINGS = {"breakaway": ("torque_channel", "angle_channel")}

PREFIX = "plot_"


@dataclass(frozen=True)
class PlotData:
    kind: str
    label: str
    arrays: dict[str, np.ndarray]


def attachment_name(kind: str, label: str = "") -> str:
    return f"{PREFIX}{kind}{'_' + label if label else ''}.npz"


def validate(kind: str, arrays: dict[str, object]) -> dict[str, np.ndarray]:
    """Check names and shapes for ``kind``; returns the arrays as numpy. Raises ValueError."""
    if kind not in KINDS:
        raise ValueError(f"unknown plot kind {kind!r}; kinds: {', '.join(KINDS)}")
    required, optional = KINDS[kind]
    missing = [r for r in required if r not in arrays]
    unknown = [k for k in arrays if k not in required and k not in optional]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(unknown)} (allowed: {', '.join(required + optional)})")
        raise ValueError(f"plot data {kind!r}: " + "; ".join(parts))
    out = {k: np.asarray(v) for k, v in arrays.items()}
    for k, v in out.items():
        if v.dtype == object:
            raise ValueError(f"plot data {kind!r}: {k} must be numbers or strings, not objects")
    pairs = {"hysteresis": ("torque_nm", "angle_rad"), "te": ("output_angle_rad", "te_rad"),
             "ripple": ("angle_rad", "torque_nm")}
    if kind in pairs:
        a, b = pairs[kind]
        if out[a].ndim != 1 or out[a].shape != out[b].shape:
            raise ValueError(f"plot data {kind!r}: {a} and {b} must be 1-D of equal length, "
                             f"found {out[a].shape} and {out[b].shape}")
    spectrum = {"te": ("orders", "amplitude_rad"), "ripple": ("orders", "amplitude_nm")}.get(kind)
    if spectrum and (spectrum[0] in out) != (spectrum[1] in out):
        raise ValueError(f"plot data {kind!r}: give both {spectrum[0]} and {spectrum[1]} or neither")
    if spectrum and spectrum[0] in out and out[spectrum[0]].shape != out[spectrum[1]].shape:
        raise ValueError(f"plot data {kind!r}: {spectrum[0]} and {spectrum[1]} differ in length")
    if kind == "efficiency":
        n, m = out["speed_rad_s"].size, out["torque_nm"].size
        if out["efficiency"].shape != (m, n):
            raise ValueError(f"plot data 'efficiency': efficiency must be (len(torque_nm), len(speed_rad_s)) "
                             f"= ({m}, {n}), found {out['efficiency'].shape}")
    if kind == "hysteresis":
        fits = [k for k in ("fit_t_start_nm", "fit_t_end_nm", "fit_k_nm_rad", "fit_angle0_rad") if k in out]
        if fits and len(fits) != 4:
            raise ValueError("plot data 'hysteresis': a stiffness fit needs fit_t_start_nm, fit_t_end_nm, "
                             "fit_k_nm_rad and fit_angle0_rad")
        sizes = {out[k].size for k in fits + (["fit_label"] if "fit_label" in out else [])}
        if len(sizes) > 1:
            raise ValueError("plot data 'hysteresis': fit_* arrays differ in length")
    check = _EXTRA_CHECKS.get(kind)
    if check is not None:
        check(out)
    return out


def _numbers(kind: str, out: dict[str, np.ndarray]) -> None:
    strings = STRINGS.get(kind, ())
    for k, v in out.items():
        if k in strings:
            if v.size != 1 or v.dtype.kind != "U":
                raise ValueError(f"plot data {kind!r}: {k} must be one string, found {v.dtype} of shape {v.shape}")
        elif v.dtype.kind not in "biuf":
            raise ValueError(f"plot data {kind!r}: {k} must hold numbers, found {v.dtype}")


def _one_d(kind: str, out: dict[str, np.ndarray], names: tuple[str, ...]) -> int:
    """All ``names`` 1-D, of one length, not empty; returns the length."""
    shapes = {k: out[k].shape for k in names}
    if any(len(s) != 1 for s in shapes.values()) or len(set(shapes.values())) != 1 or not out[names[0]].size:
        found = ", ".join(f"{k} {s}" for k, s in shapes.items())
        raise ValueError(f"plot data {kind!r}: {', '.join(names)} must be 1-D of equal, non-zero length, "
                         f"found {found}")
    return out[names[0]].size


def _scalars(kind: str, out: dict[str, np.ndarray], names: tuple[str, ...]) -> None:
    """Each of ``names`` present is one number."""
    for k in names:
        if k in out and out[k].size != 1:
            raise ValueError(f"plot data {kind!r}: {k} must be one number, found shape {out[k].shape}")


def _all_or_none(kind: str, out: dict[str, np.ndarray], names: tuple[str, ...], what: str) -> bool:
    given = [k for k in names if k in out]
    if given and len(given) != len(names):
        raise ValueError(f"plot data {kind!r}: {what} needs {' and '.join(names)} (missing "
                         f"{', '.join(k for k in names if k not in out)})")
    return bool(given)


def _check_no_load(out: dict[str, np.ndarray]) -> None:
    _numbers("no_load", out)
    _one_d("no_load", out, ("speed_rad_s", "torque_nm") + (("torque_std_nm",) if "torque_std_nm" in out else ()))
    fit = ("fit_coulomb_nm", "fit_viscous_nm_s_rad")
    if _all_or_none("no_load", out, fit, "the fitted line"):
        _scalars("no_load", out, fit)
        if not all(np.isfinite(out[k]).all() for k in fit):
            raise ValueError("plot data 'no_load': fit_coulomb_nm and fit_viscous_nm_s_rad must be finite "
                             "(leave them out when no line was fitted)")


def ramp_slices(direction: np.ndarray) -> list[slice]:
    """The ramps of a ``breakaway`` record: contiguous runs of one ``direction``."""
    d = np.asarray(direction)
    edges = np.flatnonzero(d[1:] != d[:-1]) + 1
    bounds = [0, *edges.tolist(), d.size]
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]


def _check_breakaway(out: dict[str, np.ndarray]) -> None:
    _numbers("breakaway", out)
    _one_d("breakaway", out, ("time_s", "torque_nm", "angle_rad", "direction"))
    direction = out["direction"]
    if not np.isin(direction, (-1, 1)).all():
        raise ValueError(f"plot data 'breakaway': direction must be +1 or -1 per sample, found "
                         f"{', '.join(f'{v:g}' for v in np.unique(direction[~np.isin(direction, (-1, 1))])[:5])}")
    spans = ramp_slices(direction)
    if len(spans) != np.unique(direction).size:
        raise ValueError(f"plot data 'breakaway': each direction must be one contiguous ramp, found "
                         f"{len(spans)} runs of {np.unique(direction).size} direction(s)")
    for k in ("breakaway_torque_nm", "breakaway_time_s", "motion_time_s"):
        if k in out and (out[k].ndim != 1 or out[k].size != len(spans)):
            raise ValueError(f"plot data 'breakaway': {k} must hold one number per ramp ({len(spans)}), "
                             f"found shape {out[k].shape}")
    _scalars("breakaway", out, ("motion_threshold_rad",))
    if "motion_threshold_rad" in out and not float(out["motion_threshold_rad"]) > 0:
        raise ValueError("plot data 'breakaway': motion_threshold_rad must be > 0")


def _check_motor_constants(out: dict[str, np.ndarray]) -> None:
    _numbers("motor_constants", out)
    pairs = (("Kt", ("current_a", "torque_nm"), ("kt_nm_a", "kt_intercept_nm")),
             ("Ke", ("speed_rad_s", "emf_v"), ("ke_v_s_rad", "ke_intercept_v")))
    found = False
    for name, points, line in pairs:
        has_points = _all_or_none("motor_constants", out, points, f"the {name} points")
        if has_points:
            _one_d("motor_constants", out, points)
            found = True
        if _all_or_none("motor_constants", out, line, f"the {name} line"):
            _scalars("motor_constants", out, line)
            if not has_points:
                raise ValueError(f"plot data 'motor_constants': the {name} line needs its points "
                                 f"{' and '.join(points)}")
    if not found:
        raise ValueError("plot data 'motor_constants': give the Kt points (current_a, torque_nm) and/or "
                         "the Ke points (speed_rad_s, emf_v)")


def _check_positioning(out: dict[str, np.ndarray]) -> None:
    _numbers("positioning", out)
    n = _one_d("positioning", out, ("target_rad",))
    dev = out["deviation_rad"]
    if dev.ndim != 2 or dev.shape[1] != n or dev.shape[0] < 1:
        raise ValueError(f"plot data 'positioning': deviation_rad must be (cycles, len(target_rad)) = (cycles, {n}) "
                         f"with at least one cycle, found shape {dev.shape}")
    scalars = ("repeatability_rad", "positioning_accuracy_rad")
    _scalars("positioning", out, scalars)
    for k in ("target_rad", "deviation_rad", *scalars):
        if k in out and not np.isfinite(out[k]).all():
            raise ValueError(f"plot data 'positioning': {k} must be finite")
    for k in scalars:
        if k in out and float(np.ravel(out[k])[0]) < 0:
            raise ValueError(f"plot data 'positioning': {k} must be ≥ 0, found {float(np.ravel(out[k])[0]):g}")


_EXTRA_CHECKS = {"no_load": _check_no_load, "breakaway": _check_breakaway,
                 "motor_constants": _check_motor_constants, "positioning": _check_positioning}


def encode(kind: str, arrays: dict[str, object]) -> bytes:
    """Validated arrays → ``.npz`` bytes (no pickles: strings are stored as unicode arrays)."""
    out = validate(kind, arrays)
    buf = io.BytesIO()
    np.savez_compressed(buf, __kind__=np.array(kind), **out)
    return buf.getvalue()


def decode(data: bytes, label: str = "") -> PlotData:
    """``.npz`` bytes → :class:`PlotData` (validated again: a report must not draw garbage)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    kind = str(arrays.pop("__kind__", ""))
    return PlotData(kind, label, validate(kind, arrays))


# ---------------------------------------------------------------------------------------------
# From bench.analysis results to plot data (duck-typed on the result fields, so that the report
# draws exactly what the analysis computed):
#     ctx.attach_plot_data("hysteresis", **plotdata.from_hysteresis(result, torque_nm, angle_rad))

def _intercept(torque: np.ndarray, angle: np.ndarray, lo: float, hi: float, k: float) -> float | None:
    """Angle offset θ0 of the line θ = θ0 + T/k that best matches the curve on [lo, hi] (mean residual)."""
    ok = np.isfinite(torque) & np.isfinite(angle) & (torque >= min(lo, hi)) & (torque <= max(lo, hi))
    if not ok.any() or not k:
        return None
    return float(np.mean(angle[ok] - torque[ok] / k))


def from_hysteresis(result, torque_nm=None, angle_rad=None) -> dict[str, np.ndarray]:
    """Arrays of kind ``hysteresis`` from a :class:`bench.analysis.HysteresisResult`.

    The loop drawn is the raw record when ``torque_nm`` / ``angle_rad`` are given, else the up and
    down branches of the result. Every stiffness the result holds (K over its interval, K1–K3 over
    theirs) becomes a fit line on each side of zero, placed on the loop's mid-line.
    """
    t_grid = np.asarray(result.torque_nm, float)
    mid = np.asarray(result.angle_mid_rad, float)
    if torque_nm is not None and angle_rad is not None:
        torque, angle = np.asarray(torque_nm, float), np.asarray(angle_rad, float)
    else:
        torque = np.concatenate([t_grid, t_grid[::-1]])
        angle = np.concatenate([np.asarray(result.angle_up_rad, float), np.asarray(result.angle_down_rad, float)[::-1]])
        keep = np.isfinite(torque) & np.isfinite(angle)
        torque, angle = torque[keep], angle[keep]
    out: dict[str, np.ndarray] = {"torque_nm": torque, "angle_rad": angle,
                                  "lost_motion_window_nm": np.array(result.lost_motion_window * result.rated_torque_nm)}
    fits: list[tuple[str, float, float, float]] = []
    if result.stiffness_nm_rad and result.stiffness_interval_nm:
        fits.append(("K", result.stiffness_nm_rad, *result.stiffness_interval_nm))
    for label, k, interval in zip(("K1", "K2", "K3"), (result.k1_nm_rad, result.k2_nm_rad, result.k3_nm_rad),
                                  result.k_intervals_nm or ()):
        if k:
            fits.append((label, k, *interval))
    rows = []
    for label, k, lo, hi in fits:
        for sign, suffix in ((1.0, "+"), (-1.0, "−")):
            a, b = sorted((sign * lo, sign * hi))
            angle0 = _intercept(t_grid, mid, a, b, k)
            if angle0 is not None:
                rows.append((f"{label}{suffix}", a, b, k, angle0))
    if rows:
        out["fit_label"] = np.array([r[0] for r in rows])
        out["fit_t_start_nm"] = np.array([r[1] for r in rows])
        out["fit_t_end_nm"] = np.array([r[2] for r in rows])
        out["fit_k_nm_rad"] = np.array([r[3] for r in rows])
        out["fit_angle0_rad"] = np.array([r[4] for r in rows])
    return out


def from_transmission_error(result) -> dict[str, np.ndarray]:
    """Arrays of kind ``te`` from a :class:`bench.analysis.TransmissionErrorResult`."""
    return {"output_angle_rad": np.asarray(result.output_angle_rad, float), "te_rad": np.asarray(result.te_rad, float),
            "orders": np.asarray(result.orders, float), "amplitude_rad": np.asarray(result.amplitudes_rad, float)}


def from_torque_ripple(result) -> dict[str, np.ndarray]:
    """Arrays of kind ``ripple`` from a :class:`bench.analysis.TorqueRippleResult` (the mean revolution)."""
    return {"angle_rad": np.asarray(result.angle_rad, float), "torque_nm": np.asarray(result.torque_avg_nm, float),
            "orders": np.asarray(result.orders, float), "amplitude_nm": np.asarray(result.amplitudes_nm, float)}


def from_efficiency_map(emap) -> dict[str, np.ndarray]:
    """Arrays of kind ``efficiency`` from a :class:`bench.analysis.EfficiencyMap` (its plotting grid)."""
    return {"speed_rad_s": np.asarray(emap.speed_grid_rad_s, float), "torque_nm": np.asarray(emap.torque_grid_nm, float),
            "efficiency": np.asarray(emap.efficiency_grid, float)}


def from_no_load(points, coulomb_nm=None, viscous_nm_s_rad=None) -> dict[str, np.ndarray]:
    """Arrays of kind ``no_load`` from the measured points (``speed_rad_s``, ``torque_nm``,
    ``torque_std_nm`` each) and the line |T| = T0 + c·|ω| the procedure fitted (left out when either
    number is None or not finite, e.g. a single speed)."""
    out = {"speed_rad_s": np.array([p.speed_rad_s for p in points], float),
           "torque_nm": np.array([p.torque_nm for p in points], float),
           "torque_std_nm": np.array([p.torque_std_nm for p in points], float)}
    fit = (coulomb_nm, viscous_nm_s_rad)
    if all(v is not None and np.isfinite(v) for v in fit):
        out["fit_coulomb_nm"] = np.array(float(coulomb_nm))
        out["fit_viscous_nm_s_rad"] = np.array(float(viscous_nm_s_rad))
    return out


def from_breakaway(ramps, *, motion_threshold_rad=None, torque_channel="", angle_channel="") -> dict[str, np.ndarray]:
    """Arrays of kind ``breakaway`` from the ramps of a breakaway procedure.

    Each ramp has ``sign`` (+1 / −1), ``torque_nm`` (the signed breakaway torque, ±inf without motion)
    and ``trace`` with ``time_s``, ``torque_nm``, ``angle_rad`` (moved since the ramp's start),
    ``breakaway_time_s`` and ``motion_time_s``. Ramps without a trace or with no samples are left out.
    """
    kept = [r for r in ramps if getattr(r, "trace", None) is not None and np.size(r.trace.time_s)]
    if not kept:
        raise ValueError("plot data 'breakaway': no ramp has recorded samples")
    out = {"time_s": np.concatenate([np.asarray(r.trace.time_s, float) for r in kept]),
           "torque_nm": np.concatenate([np.asarray(r.trace.torque_nm, float) for r in kept]),
           "angle_rad": np.concatenate([np.asarray(r.trace.angle_rad, float) for r in kept]),
           "direction": np.concatenate([np.full(np.size(r.trace.time_s), 1 if r.sign > 0 else -1, np.int8)
                                        for r in kept]),
           "breakaway_torque_nm": np.array([r.torque_nm for r in kept], float),
           "breakaway_time_s": np.array([r.trace.breakaway_time_s for r in kept], float),
           "motion_time_s": np.array([r.trace.motion_time_s for r in kept], float)}
    if motion_threshold_rad is not None:
        out["motion_threshold_rad"] = np.array(float(motion_threshold_rad))
    if torque_channel:
        out["torque_channel"] = np.array(torque_channel)
    if angle_channel:
        out["angle_channel"] = np.array(angle_channel)
    return out


def from_motor_constants(result, *, current_a=None, torque_nm=None, speed_rad_s=None, emf_v=None) -> dict[str, np.ndarray]:
    """Arrays of kind ``motor_constants`` from a :class:`bench.analysis.MotorConstantsResult` and the
    points it was fitted on (a pair left out, or without its line in the result, is left out)."""
    out: dict[str, np.ndarray] = {}
    if current_a is not None and torque_nm is not None:
        out["current_a"], out["torque_nm"] = np.asarray(current_a, float), np.asarray(torque_nm, float)
        if result.kt_fit is not None:
            out["kt_nm_a"], out["kt_intercept_nm"] = np.array(result.kt_fit.slope), np.array(result.kt_fit.intercept)
    if speed_rad_s is not None and emf_v is not None:
        out["speed_rad_s"], out["emf_v"] = np.asarray(speed_rad_s, float), np.asarray(emf_v, float)
        if result.ke_fit is not None:
            out["ke_v_s_rad"], out["ke_intercept_v"] = np.array(result.ke_fit.slope), np.array(result.ke_fit.intercept)
    return out


def from_positioning(result, target_rad) -> dict[str, np.ndarray]:
    """Arrays of kind ``positioning`` from a
    :class:`~bench.analysis.PositioningResult` and the output angle of each
    target (from the start, one per column of ``result.deviation_rad``)."""
    return {"target_rad": np.asarray(target_rad, float), "deviation_rad": np.asarray(result.deviation_rad, float),
            "repeatability_rad": np.array(float(result.repeatability_rad)),
            "positioning_accuracy_rad": np.array(float(result.positioning_accuracy_rad))}
