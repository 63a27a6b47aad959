"""CiA 406 (encoders) as pure code: objects and count ↔ angle scaling with wrap handling.

Objects (CiA 406, DOMAIN.md 5.3): 0x6000 operating parameters, 0x6001 measuring units per
revolution, 0x6002 total measuring range, 0x6003 preset value (writing sets the present position to
it), 0x6004 position value (UNSIGNED32, the one to map into a TPDO), 0x6030 speed value.
The device type 0x1000 low word is 406; the high word says single-turn (1) or multi-turn (2).
"""

from __future__ import annotations

import math

import numpy as np

OPERATING_PARAMETERS = 0x6000
MEASURING_UNITS_PER_REVOLUTION = 0x6001
TOTAL_MEASURING_RANGE = 0x6002
PRESET_VALUE = 0x6003
POSITION_VALUE = 0x6004
SPEED_VALUE = 0x6030  # :01 speed value channel 1

DEVICE_PROFILE = 406
TWO_PI = 2.0 * math.pi


def counts_to_rad(counts, units_per_rev: int):
    """Position value counts → rad (no unwrap)."""
    return np.asarray(counts, dtype=np.float64) * (TWO_PI / units_per_rev)


def rad_to_counts(angle_rad: float, units_per_rev: int, range_counts: int) -> int:
    """Angle → position value in [0, range_counts) (for a preset)."""
    return int(round(angle_rad * units_per_rev / TWO_PI)) % range_counts


def unwrap_counts(counts, range_counts: int, previous: int | None = None) -> tuple[np.ndarray, int | None]:
    """Make a wrapping position value continuous.

    ``counts`` wrap modulo ``range_counts`` (the total measuring range, 2**32 for a plain UNSIGNED32).
    A step of more than half the range between two samples is taken as a wrap.  ``previous`` is the
    last unwrapped value of the previous block (int64 counts) so blocks join without a jump;
    returns (unwrapped int64 counts, last unwrapped value).
    """
    c = np.asarray(counts, dtype=np.int64)
    if c.size == 0:
        return c, previous
    if previous is None:
        previous = int(c[0])  # the first sample starts the continuous count
    half = range_counts // 2
    steps = np.diff(c, prepend=np.int64(previous % range_counts))
    steps = (steps + half) % range_counts - half
    out = previous + np.cumsum(steps)
    return out, int(out[-1])
