"""Put channels sampled at different rates (and instants) onto one timebase for analysis."""

from __future__ import annotations

import numpy as np


def align(channels: dict[str, tuple[np.ndarray, np.ndarray]], *, reference: str | None = None,
          rate_hz: float | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Resample every channel onto a common time grid by linear interpolation.

    Parameters
    ----------
    channels : dict
        ``name -> (t_s, values)``, each with increasing ``t_s``.
    reference : str, optional
        Use this channel's own timestamps as the grid (no interpolation of that channel).
    rate_hz : float, optional
        Otherwise a uniform grid at this rate over the span that all channels cover.

    Returns
    -------
    t_s, values_by_name
        The grid, limited to the time span every channel covers (no extrapolation), and each
        channel on it.
    """
    if not channels:
        raise ValueError("align: no channels given")
    if (reference is None) == (rate_hz is None):
        raise ValueError("align: give exactly one of reference= or rate_hz=")
    for name, (t, v) in channels.items():
        if len(t) != len(v):
            raise ValueError(f"align: channel {name!r} has {len(t)} timestamps but {len(v)} values")
        if len(t) < 2:
            raise ValueError(f"align: channel {name!r} has fewer than 2 samples")
    start = max(float(t[0]) for t, _ in channels.values())
    stop = min(float(t[-1]) for t, _ in channels.values())
    if stop <= start:
        raise ValueError("align: the channels share no common time span")
    if reference is not None:
        if reference not in channels:
            raise ValueError(f"align: reference channel {reference!r} not among {sorted(channels)}")
        t_ref = np.asarray(channels[reference][0], dtype=float)
        grid = t_ref[(t_ref >= start) & (t_ref <= stop)]
    else:
        if rate_hz <= 0:
            raise ValueError("align: rate_hz must be positive")
        grid = start + np.arange(int(np.floor((stop - start) * rate_hz)) + 1) / rate_hz
    out = {name: np.interp(grid, np.asarray(t, dtype=float), np.asarray(v, dtype=float))
           for name, (t, v) in channels.items()}
    return grid, out
