"""Input checks shared by the analysis functions.

Every check raises :class:`ValueError` with a message that names the argument and says what is
missing, so a bad record never turns into a silent wrong number on a certificate.
"""

from __future__ import annotations

import numpy as np


def as_signal(name: str, values, *, min_samples: int = 2) -> np.ndarray:
    """Return ``values`` as a 1-D float64 array, checked for shape, length and finiteness."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if arr.size < min_samples:
        raise ValueError(f"{name}: {arr.size} samples, at least {min_samples} needed")
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{name}: non-finite value (NaN or inf) at index {bad}")
    return arr


def as_signals(min_samples: int = 2, **signals) -> list[np.ndarray]:
    """Check several signals of one record: each as :func:`as_signal`, and all of one length."""
    arrays = [as_signal(name, v, min_samples=min_samples) for name, v in signals.items()]
    lengths = {name: a.size for name, a in zip(signals, arrays)}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise ValueError(f"mismatched lengths: {listed}")
    return arrays


def positive(name: str, value) -> float:
    """A finite, strictly positive scalar."""
    v = float(value)
    if not np.isfinite(v) or v <= 0.0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return v


def nonzero(name: str, value) -> float:
    """A finite, non-zero scalar (e.g. a signed ratio)."""
    v = float(value)
    if not np.isfinite(v) or v == 0.0:
        raise ValueError(f"{name} must be finite and non-zero, got {value!r}")
    return v


def fraction_window(name: str, window) -> tuple[float, float]:
    """A ``(low, high)`` pair of fractions with ``0 <= low < high``."""
    try:
        lo, hi = (float(w) for w in window)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {window!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0.0 <= lo < hi):
        raise ValueError(f"{name} must satisfy 0 <= low < high, got {window!r}")
    return lo, hi
