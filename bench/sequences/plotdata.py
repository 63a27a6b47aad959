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
"""

from __future__ import annotations

import io
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
}

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
    return out


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
