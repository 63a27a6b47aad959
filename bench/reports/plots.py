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

from bench.sequences.plotdata import PlotData, ramp_slices
from bench.units import rad_s_to_rpm, rad_to_arcmin, rad_to_deg, rpm_to_rad_s

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


def _side_fit(speed_rad_s: np.ndarray, sign: float, t0_nm: float, c_nm_s_rad: float):
    """The fitted line ±(T0 + c·|ω|) over the measured speeds of one direction, and its extension to 0."""
    mags = np.abs(speed_rad_s[np.sign(speed_rad_s) == sign])
    if not mags.size:
        return None
    w = sign * np.array([mags.min(), mags.max()])
    w0 = np.array([0.0, w[0]])
    return (w, sign * (t0_nm + c_nm_s_rad * np.abs(w))), (w0, sign * (t0_nm + c_nm_s_rad * np.abs(w0)))


def no_load_figure(p: PlotData, meta: dict) -> Figure:
    """No-load running torque over input speed (rpm), a marker per measured point and direction, and
    the line |T| = T0 + c·|ω| the procedure fitted, on each side over its measured speeds."""
    a = p.arrays
    fig = Figure(figsize=FIGSIZE_IN)
    ax = fig.add_subplot()
    speed = np.asarray(a["speed_rad_s"], float)
    torque = np.asarray(a["torque_nm"], float)
    std = np.asarray(a["torque_std_nm"], float) if "torque_std_nm" in a else None
    for sign, name, marker, colour in ((1.0, "forward", "o", "C0"), (-1.0, "reverse", "s", "C1")):
        on = np.sign(speed) == sign
        if on.any():
            ax.errorbar(rad_s_to_rpm(speed[on]), torque[on], yerr=None if std is None else std[on], fmt=marker,
                        color=colour, ms=7, capsize=3, label=f"{name}" + (" (mean ± σ)" if std is not None else ""))
    if "fit_coulomb_nm" in a:
        t0 = float(np.ravel(a["fit_coulomb_nm"])[0])
        c = float(np.ravel(a["fit_viscous_nm_s_rad"])[0])
        label = (f"fit |T| = T0 + c·|ω| (dotted: extended to 0)\nT0 = {t0:.4g} N·m, c = {c:.4g} N·m·s/rad "
                 f"= {c * rpm_to_rad_s(1000.0):.3g} N·m per 1000 rpm")
        for sign in (1.0, -1.0):
            lines = _side_fit(speed, sign, t0, c)
            if lines is None:
                continue
            (w, t), (w0, t0_line) = lines
            ax.plot(rad_s_to_rpm(w), t, "-", color="C2", lw=1.6, label=label)
            ax.plot(rad_s_to_rpm(w0), t0_line, ":", color="C2", lw=1.2)
            label = None
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    top = float(np.nanmax(np.abs(rad_s_to_rpm(speed)))) if speed.size else 1.0
    ax.set_xlim(-1.08 * top if (speed < 0).any() else 0.0, 1.08 * top if (speed > 0).any() else 0.0)
    ax.set_xlabel("input speed [rpm]")
    ax.set_ylabel("input torque [N·m]")
    ax.set_title("No-load running torque, output free" + (f" ({p.label})" if p.label else ""))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


#: the angle axis of a breakaway plot shows at most this many motion thresholds either side of zero
BREAKAWAY_ANGLE_VIEW = 10.0


def breakaway_figure(p: PlotData, meta: dict) -> Figure:
    """Starting / back-driving torque: each ramp's torque and the shaft angle moved since its start,
    over the time since the ramp began (the directions overlaid), with the breakaway torque and the
    instant motion was seen marked; angles in arcmin, where the motion threshold reads as a number."""
    a = p.arrays
    fig = Figure(figsize=FIGSIZE_IN)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    t = np.asarray(a["time_s"], float)
    torque = np.asarray(a["torque_nm"], float)
    angle = rad_to_arcmin(np.asarray(a["angle_rad"], float))
    per_ramp = {k: np.ravel(np.asarray(a[k], float)) for k in ("breakaway_torque_nm", "breakaway_time_s",
                                                               "motion_time_s") if k in a}
    thr = rad_to_arcmin(float(np.ravel(a["motion_threshold_rad"])[0])) if "motion_threshold_rad" in a else None
    for i, span in enumerate(ramp_slices(a["direction"])):
        sign = float(np.ravel(a["direction"])[span.start])
        name, colour = ("forward", "C0") if sign > 0 else ("reverse", "C1")
        t0 = t[span][0]
        tr = t[span] - t0
        tb = per_ramp.get("breakaway_time_s", np.full(i + 1, np.nan))[i] - t0
        tb_torque = per_ramp.get("breakaway_torque_nm", np.full(i + 1, np.nan))[i]
        tm = per_ramp.get("motion_time_s", np.full(i + 1, np.nan))[i] - t0
        if np.isfinite(tb_torque):
            label = f"{name}: breakaway {tb_torque:+.4g} N·m"
        elif np.isinf(tb_torque):
            label = f"{name}: no motion up to {float(np.nanmax(sign * torque[span])) * sign:+.4g} N·m"
        else:
            label = name
        ax1.plot(tr, torque[span], color=colour, lw=1.0, label=label)
        ax2.plot(tr, angle[span], color=colour, lw=1.0)
        if np.isfinite(tb) and np.isfinite(tb_torque):
            ax1.plot([tb], [tb_torque], "o", color=colour, ms=8, mfc="none", mew=1.8)
            # left of the marker, away from the ramp that comes up from below-left (down from above-left)
            ax1.annotate(f"{tb_torque:+.4g} N·m", (tb, tb_torque), textcoords="offset points",
                         xytext=(-10, 3 if sign > 0 else -3), ha="right", va="bottom" if sign > 0 else "top",
                         fontsize=8, color=colour)
            for ax in (ax1, ax2):
                ax.axvline(tb, color=colour, lw=0.8, ls="--",
                           label="dashed: breakaway instant" if ax is ax2 and i == 0 else None)
        if np.isfinite(tm):
            ax2.plot([tm], [np.interp(tm, tr, angle[span])], "v" if sign < 0 else "^", color=colour, ms=8,
                     label=f"{name}: motion seen")
    if thr is not None:
        ax2.axhspan(-thr, thr, color="0.5", alpha=0.15, label=f"motion threshold ±{thr:.3g} arcmin")
    torque_what = str(np.ravel(a["torque_channel"])[0]) if "torque_channel" in a else "torque"
    angle_what = str(np.ravel(a["angle_channel"])[0]) if "angle_channel" in a else "shaft angle"
    ax1.set_ylabel(f"{torque_what} [N·m]")
    ax1.set_title(f"{p.label.capitalize() if p.label else 'Breakaway'} torque: torque ramps until the shaft turns")
    ax1.margins(y=0.15)
    clipped = ""
    finite = np.abs(angle[np.isfinite(angle)])
    if thr is not None and finite.size and finite.max() > BREAKAWAY_ANGLE_VIEW * thr:
        # what decides is the angle against the threshold: once the shaft runs, it may run far
        ax2.set_ylim(-BREAKAWAY_ANGLE_VIEW * thr, BREAKAWAY_ANGLE_VIEW * thr)
        clipped = f", clipped at ±{BREAKAWAY_ANGLE_VIEW:g}× threshold"
    ax2.set_ylabel(f"{angle_what}\nmoved since ramp start [arcmin]{clipped}", fontsize=9)
    ax2.set_xlabel("time since ramp start [s]")
    for ax in (ax1, ax2):
        ax.axhline(0, color="k", lw=0.5)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def _line_axes(ax, x, y, slope, intercept, x_display, label):
    ax.plot(x_display(x), y, "o", color="C0", ms=7, label="measured")
    if slope is not None:
        xx = np.array([min(0.0, float(np.min(x))), float(np.max(x))])
        ax.plot(x_display(xx), intercept + slope * xx, "-", color="C2", lw=1.6, label=label)
    lo, hi = min(0.0, float(np.min(x_display(x)))), float(np.max(x_display(x)))
    ax.set_xlim(lo - 0.03 * (hi - lo), hi + 0.05 * (hi - lo))  # from zero: the intercept shows
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)


def motor_constants_figure(p: PlotData, meta: dict) -> Figure:
    """Kt: shaft torque over phase current with the fitted line; Ke: open-circuit line-to-line voltage
    over speed (rpm) with the fitted line; the constants in the legends."""
    a = p.arrays
    fig = Figure(figsize=FIGSIZE_IN)
    ax1, ax2 = fig.subplots(1, 2)

    def scalar(name):
        return float(np.ravel(a[name])[0]) if name in a else None

    if "current_a" in a:
        kt, b = scalar("kt_nm_a"), scalar("kt_intercept_nm")
        label = f"Kt = {kt:.4g} N·m/A\n(intercept {b:+.3g} N·m)" if kt is not None else None
        _line_axes(ax1, np.asarray(a["current_a"], float), np.asarray(a["torque_nm"], float), kt, b,
                   lambda x: x, label)
    else:
        ax1.text(0.5, 0.5, "no Kt points", transform=ax1.transAxes, ha="center", va="center")
    ax1.set_xlabel("phase current [A rms]")
    ax1.set_ylabel("shaft torque [N·m]")
    ax1.set_title("Torque constant Kt (torque on current, held speed)", fontsize=10)
    if "speed_rad_s" in a:
        ke, b = scalar("ke_v_s_rad"), scalar("ke_intercept_v")
        label = (f"Ke = {ke:.4g} V·s/rad = {ke * rpm_to_rad_s(1000.0):.4g} V/krpm\n(intercept {b:+.3g} V)"
                 if ke is not None else None)
        _line_axes(ax2, np.asarray(a["speed_rad_s"], float), np.asarray(a["emf_v"], float), ke, b,
                   rad_s_to_rpm, label)
    else:
        ax2.text(0.5, 0.5, "no Ke points", transform=ax2.transAxes, ha="center", va="center")
    ax2.set_xlabel("speed [rpm]")
    ax2.set_ylabel("back-EMF, line-to-line [V rms]")
    ax2.set_title("Back-EMF constant Ke (open circuit, back-driven)", fontsize=10)
    fig.tight_layout()
    return fig


#: up to this many cycles get a colour and legend entry each; more are drawn as one series
POSITIONING_CYCLES_NAMED = 8


def positioning_figure(p: PlotData, meta: dict) -> Figure:
    """One-way positioning, deviations from the datum (arcmin) over the target's output angle (deg).

    Top: a marker series per cycle, the per-target mean as a line, each target's readings spanned by
    a bar of ± half spread about the middle of their range, ± the one-way positioning accuracy
    (largest |deviation|) as dashed lines. Bottom, because the spread is usually far smaller than
    the deviations: the same readings less the middle of their target's range, the bars, and ± the
    repeatability (largest half spread) as dashed lines.
    """
    a = p.arrays
    fig = Figure(figsize=FIGSIZE_IN)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1.0))
    x = rad_to_deg(np.mod(np.asarray(a["target_rad"], float), 2 * math.pi))
    order = np.argsort(x, kind="stable")
    x = x[order]
    dev = rad_to_arcmin(np.asarray(a["deviation_rad"], float))[:, order]
    cycles = dev.shape[0]
    hi, lo = dev.max(axis=0), dev.min(axis=0)
    mid, half = 0.5 * (hi + lo), 0.5 * (hi - lo)
    rep = (rad_to_arcmin(float(np.ravel(a["repeatability_rad"])[0])) if "repeatability_rad" in a
           else float(half.max()))
    acc = (rad_to_arcmin(float(np.ravel(a["positioning_accuracy_rad"])[0])) if "positioning_accuracy_rad" in a
           else float(np.abs(dev).max()))
    worst = float(x[int(np.argmax(half))])
    markers = "os^vD<>p"
    named = cycles <= POSITIONING_CYCLES_NAMED
    for ax, centre in ((ax1, np.zeros_like(mid)), (ax2, mid)):
        ax.errorbar(x, mid - centre, yerr=half, fmt="none", ecolor="0.35", elinewidth=1.2, capsize=5, zorder=2,
                    label="± half spread of each target's readings" if ax is ax1 else None)
        for c in range(cycles):
            label = (f"cycle {c + 1}" if named else (f"readings, {cycles} cycles" if c == 0 else None)
                     ) if ax is ax1 else None
            ax.plot(x, dev[c] - centre, markers[c % len(markers)] if named else "o", ls="none", ms=6, mfc="none",
                    mew=1.3, color=f"C{c % 10}" if named else "C0", zorder=3, label=label)
        ax.axhline(0, color="k", lw=0.5)
        ax.grid(True, alpha=0.3)
        ax.margins(y=0.15)
    ax1.plot(x, dev.mean(axis=0), "-", color="k", lw=1.4, zorder=4, label="mean over the cycles")
    for sign in (1.0, -1.0):
        first = sign > 0
        ax1.axhline(sign * acc, color="C3", ls="--", lw=1.0,
                    label=f"positioning accuracy ±{acc:.3g} arcmin (max |deviation|)" if first else None)
        ax2.axhline(sign * rep, color="C3", ls="--", lw=1.0,
                    label=f"repeatability ±{rep:.3g} arcmin (max half spread, at {worst:.0f}°)" if first else None)
    if rep > 0:  # the dashed lines inside, room above them for the legend
        ax2.set_ylim(-1.4 * rep, 2.1 * rep)
    ax2.set_xlim(-10.0, 370.0)
    ax2.set_xticks(np.arange(0.0, 361.0, 30.0))
    ax2.set_xlabel("target: output angle from the start [deg]")
    ax1.set_ylabel("deviation from the datum\n[arcmin]")
    ax2.set_ylabel("about the middle of\neach target's range [arcmin]", fontsize=9)
    ax1.set_title("One-way positioning" + (f" ({p.label})" if p.label else "")
                  + f": actual − commanded from the datum (first target, first cycle), {x.size} targets × "
                  f"{cycles} cycles, forward", fontsize=10)
    ax1.legend(loc="best", fontsize=8, ncols=2, framealpha=0.9)
    ax2.legend(loc="upper right", fontsize=8, framealpha=0.9)
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
        "ripple": ripple_figure, "no_load": no_load_figure, "breakaway": breakaway_figure,
        "motor_constants": motor_constants_figure, "positioning": positioning_figure}

TITLES = {"hysteresis": "Hysteresis loop", "te": "Transmission error", "efficiency": "Efficiency map",
          "ripple": "Torque ripple", "no_load": "No-load running torque", "breakaway": "Breakaway torque",
          "motor_constants": "Motor constants Kt and Ke", "positioning": "Positioning repeatability and accuracy"}


def figures(content) -> list[tuple[str, Figure]]:
    """``(caption, figure)`` for every plot of a :class:`~bench.reports.content.ReportContent`."""
    out = []
    for p in content.plots:
        caption = TITLES[p.kind] + (f" – {p.label}" if p.label else "")
        out.append((caption, DRAW[p.kind](p, content.unit_meta)))
    if content.channels:
        out.append(("Recorded channels", channels_figure(content.channels)))
    return out
