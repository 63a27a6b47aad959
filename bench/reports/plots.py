"""The figures of a report, one per plot-data attachment, drawn with matplotlib's object API.

No pyplot: figures are plain :class:`matplotlib.figure.Figure` objects (no global state, safe off
the GUI thread), saved as SVG for HTML and as pages of a PDF. Axes are in display units: angles in
arcmin (loops, TE) or degrees (position), speeds in rpm, efficiency in %.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bench.sequences.plotdata import PlotData
from bench.units import rad_s_to_rpm, rad_to_arcmin, rad_to_deg

FIGSIZE_IN = (10.0, 6.2)


def order_spectrum(angle_rad: np.ndarray, signal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude per order (cycles per revolution) of ``signal`` over ``angle_rad``.

    The signal is resampled on a uniform angle grid over the largest whole number of revolutions
    it covers, the mean removed, and the one-sided FFT amplitude returned (a sine of amplitude A at
    order k gives A at k). Empty arrays when less than one revolution was recorded.
    """
    a = np.asarray(angle_rad, float)
    s = np.asarray(signal, float)
    ok = np.isfinite(a) & np.isfinite(s)
    a, s = a[ok], s[ok]
    if a.size < 8:
        return np.empty(0), np.empty(0)
    idx = np.argsort(a, kind="stable")  # turning backwards gives the same spectrum
    a, s = a[idx], s[idx]
    step = float(np.median(np.diff(a)))
    # a grid [0, 2π) without its end point covers a whole revolution: count one sample step more
    revs = int(math.floor((a[-1] - a[0] + step) / (2 * math.pi) + 1e-6))
    if revs < 1:
        return np.empty(0), np.empty(0)
    end = a[0] + revs * 2 * math.pi
    if a[-1] < end:  # close the last step periodically (the record covers whole revolutions)
        a, s = np.append(a, end), np.append(s, s[0])
    n = max(64, int(2 ** math.ceil(math.log2(a.size))))
    grid = a[0] + np.arange(n) * (revs * 2 * math.pi / n)
    u = np.interp(grid, a, s)
    u = u - u.mean()
    amp = 2.0 * np.abs(np.fft.rfft(u)) / n
    amp[0] = 0.0
    orders = np.arange(amp.size) / revs
    return orders, amp


def _spectrum_axes(ax, orders, amp, unit_label, max_order, per="output revolution"):
    keep = (orders > 0) & (orders <= max_order)
    o, a = orders[keep], amp[keep]
    if o.size and a.max() > 0:
        significant = a > 0.01 * a.max()
        ax.vlines(o[significant], 0, a[significant], color="C0", lw=1.4)
        ax.plot(o[significant], a[significant], "o", color="C0", ms=3)
        for i in np.argsort(a)[::-1][:6]:
            if a[i] > 0.05 * a.max():
                ax.annotate(f"{o[i]:g}", (o[i], a[i]), textcoords="offset points", xytext=(0, 4),
                            ha="center", fontsize=8)
        right = max(10.0, 1.15 * float(o[significant].max()))
        ax.set_xlim(0, min(right, float(o.max())) if o.max() >= 10 else float(o.max()) * 1.05)
        ax.set_ylim(0, 1.15 * float(a.max()))
    else:
        ax.text(0.5, 0.5, "less than one revolution recorded: no order spectrum", transform=ax.transAxes,
                ha="center", va="center")
    ax.set_xlabel(f"order (cycles per {per})")
    ax.set_ylabel(f"amplitude [{unit_label}]")
    ax.grid(True, alpha=0.3)


def _max_order(ratio, orders) -> float:
    top = float(np.max(orders)) if len(orders) else 10.0
    if ratio:
        return min(top, max(10.0, 2.5 * abs(float(ratio))))
    return min(top, 250.0)


def hysteresis_figure(p: PlotData, meta: dict) -> Figure:
    """Torque over output angle (arcmin), the lost-motion window and the stiffness fits."""
    a = p.arrays
    fig = Figure(figsize=FIGSIZE_IN)
    ax = fig.add_subplot()
    theta = rad_to_arcmin(np.asarray(a["angle_rad"], float))
    torque = np.asarray(a["torque_nm"], float)
    ax.plot(theta, torque, color="C0", lw=1.0, label="loop")
    if "lost_motion_window_nm" in a:
        w = float(np.max(np.abs(a["lost_motion_window_nm"])))
        tn = meta.get("rated_torque_nm")
        pct = f" = ±{100 * w / tn:.3g} % TN" if tn else ""
        ax.axhspan(-w, w, color="C1", alpha=0.15, label=f"lost-motion window ±{w:.3g} N·m{pct}")
        ax.axhline(w, color="C1", lw=0.8)
        ax.axhline(-w, color="C1", lw=0.8)
    if "fit_k_nm_rad" in a:
        labels = a.get("fit_label")
        colours: dict[str, str] = {}
        for i in range(np.asarray(a["fit_k_nm_rad"]).size):
            t0 = float(np.ravel(a["fit_t_start_nm"])[i])
            t1 = float(np.ravel(a["fit_t_end_nm"])[i])
            k = float(np.ravel(a["fit_k_nm_rad"])[i])
            th0 = float(np.ravel(a["fit_angle0_rad"])[i])
            tt = np.linspace(t0, t1, 20)
            name = str(np.ravel(labels)[i]) if labels is not None else f"fit {i + 1}"
            base = name.rstrip("+-−")  # "K1+" / "K1−": one colour and one legend entry per stiffness
            first = base not in colours
            colours.setdefault(base, f"C{2 + len(colours) % 6}")
            label = (f"{base}: {k:.4g} N·m/rad = {k * math.pi / 10800:.4g} N·m/arcmin "
                     f"({min(abs(t0), abs(t1)):.3g}…{max(abs(t0), abs(t1)):.3g} N·m)") if first else None
            ax.plot(rad_to_arcmin(th0 + tt / k), tt, "--", lw=1.8, color=colours[base], label=label)
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("output angle θ [arcmin]")
    ax.set_ylabel("output torque T [N·m]")
    ax.set_title("Hysteresis loop" + (f" ({p.label})" if p.label else ""))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def te_figure(p: PlotData, meta: dict) -> Figure:
    """Transmission error over output angle and its order spectrum."""
    a = p.arrays
    fig = Figure(figsize=FIGSIZE_IN)
    ax1, ax2 = fig.subplots(2, 1)
    angle = np.asarray(a["output_angle_rad"], float)
    te = np.asarray(a["te_rad"], float)
    pp = float(np.nanmax(te) - np.nanmin(te)) if te.size else float("nan")
    ax1.plot(rad_to_deg(angle), rad_to_arcmin(te), lw=0.8)
    ax1.set_xlabel("output angle [deg]")
    ax1.set_ylabel("TE [arcmin]")
    ax1.set_title("Transmission error θout − θin/N" + (f" ({p.label})" if p.label else "")
                  + f": {rad_to_arcmin(pp):.3g} arcmin p-p")
    ax1.grid(True, alpha=0.3)
    if "orders" in a:
        orders, amp = np.asarray(a["orders"], float), np.asarray(a["amplitude_rad"], float)
    else:
        orders, amp = order_spectrum(angle, te)
    _spectrum_axes(ax2, orders, rad_to_arcmin(amp), "arcmin", _max_order(meta.get("ratio"), orders))
    fig.tight_layout()
    return fig


def efficiency_figure(p: PlotData, meta: dict) -> Figure:
    """Efficiency map over input speed (rpm) and output torque (N·m), as filled contours."""
    a = p.arrays
    fig = Figure(figsize=FIGSIZE_IN)
    ax = fig.add_subplot()
    speed = rad_s_to_rpm(np.asarray(a["speed_rad_s"], float))
    torque = np.asarray(a["torque_nm"], float)
    eta = 100.0 * np.asarray(a["efficiency"], float)
    finite = eta[np.isfinite(eta)]
    if speed.size >= 2 and torque.size >= 2 and finite.size and finite.max() > finite.min():
        levels = MaxNLocator(12).tick_values(float(finite.min()), float(finite.max()))
        filled = ax.contourf(speed, torque, eta, levels=levels, cmap="viridis")
        lines = ax.contour(speed, torque, eta, levels=levels[::2], colors="k", linewidths=0.5)
        ax.clabel(lines, fmt="%.0f %%", fontsize=7)
        fig.colorbar(filled, ax=ax, label="efficiency [%]")
    else:
        ax.pcolormesh(speed, torque, eta, shading="nearest")
    ax.set_xlabel("speed [rpm]")
    ax.set_ylabel("torque [N·m]")
    ax.set_title("Efficiency map" + (f" ({p.label})" if p.label else ""))
    fig.tight_layout()
    return fig


def ripple_figure(p: PlotData, meta: dict) -> Figure:
    """Torque over angle and its orders."""
    a = p.arrays
    fig = Figure(figsize=FIGSIZE_IN)
    ax1, ax2 = fig.subplots(2, 1)
    angle = np.asarray(a["angle_rad"], float)
    torque = np.asarray(a["torque_nm"], float)
    ax1.plot(rad_to_deg(angle), torque, lw=0.8)
    pp = float(np.nanmax(torque) - np.nanmin(torque)) if torque.size else float("nan")
    mean = float(np.nanmean(torque)) if torque.size else float("nan")
    # DOMAIN.md §4: ripple % of the mean torque; meaningless about a zero mean (cogging of an unpowered motor)
    pct = f" = {100 * pp / abs(mean):.3g} % of the mean" if abs(mean) > pp else ""
    ax1.set_xlabel("angle [deg]")
    ax1.set_ylabel("torque [N·m]")
    name = f"{p.label.capitalize()} torque" if p.label else "Torque ripple"
    ax1.set_title(f"{name}: {pp:.3g} N·m p-p{pct}")
    ax1.grid(True, alpha=0.3)
    if "orders" in a:
        orders, amp = np.asarray(a["orders"], float), np.asarray(a["amplitude_nm"], float)
    else:
        orders, amp = order_spectrum(angle, torque)
    _spectrum_axes(ax2, orders, amp, "N·m", min(float(np.max(orders)) if orders.size else 10.0, 250.0),
                   per="revolution")
    fig.tight_layout()
    return fig


def channels_figure(traces) -> Figure:
    """Raw recorded channels over time, one small axes each (for runs without plot data)."""
    n = len(traces)
    fig = Figure(figsize=(FIGSIZE_IN[0], max(2.0, 1.6 * n)))
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    for ax, tr in zip(axes, traces):
        ax.plot(tr.t_s, tr.values, lw=0.7)
        ax.set_ylabel(tr.unit or "-", fontsize=8)
        ax.set_title(f"{tr.name} ({tr.samples} samples)", fontsize=9, loc="left")
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlabel("time since run start [s]")
    fig.tight_layout()
    return fig


DRAW = {"hysteresis": hysteresis_figure, "te": te_figure, "efficiency": efficiency_figure,
        "ripple": ripple_figure}

TITLES = {"hysteresis": "Hysteresis loop", "te": "Transmission error", "efficiency": "Efficiency map",
          "ripple": "Torque ripple"}


def figures(content) -> list[tuple[str, Figure]]:
    """``(caption, figure)`` for every plot of a :class:`~bench.reports.content.ReportContent`."""
    out = []
    for p in content.plots:
        caption = TITLES[p.kind] + (f" – {p.label}" if p.label else "")
        out.append((caption, DRAW[p.kind](p, content.unit_meta)))
    if content.channels:
        out.append(("Recorded channels", channels_figure(content.channels)))
    return out
