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
