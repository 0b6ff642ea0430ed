"""Exchange ex-reference prices and the ratio-method adjustment factor.

Both follow docs/DOMAIN.md; the market generator uses them to set `pre_close` on
ex-dates and to accumulate the true factor, so they are the single definition.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def round_price(values: ArrayLike) -> FloatArray:
    """Round to 0.01 CNY half-up, as the exchange does (numpy rounds half-to-even).

    The small epsilon absorbs binary noise such as 1.005 being stored as 1.00499...
    """
    arr = np.asarray(values, dtype=np.float64)
    return np.floor(arr * 100.0 + 0.5 + 1e-7) / 100.0


def ex_reference_price(
    close_prev: ArrayLike,
    cash: ArrayLike = 0.0,
    bonus: ArrayLike = 0.0,
    transfer: ArrayLike = 0.0,
    rights: ArrayLike = 0.0,
    rights_price: ArrayLike = 0.0,
) -> FloatArray:
    """pre_close_ex = (close_prev − D + R·P_r) / (1 + S + T + R), rounded to 0.01.

    All arguments are per share and broadcast against each other.
    """
    close_prev = np.asarray(close_prev, dtype=np.float64)
    numerator = close_prev - np.asarray(cash, dtype=np.float64) + np.multiply(rights, rights_price)
    denominator = 1.0 + np.add(np.add(bonus, transfer), rights)
    if np.any(numerator <= 0):
        raise ValueError("ex-reference price would be non-positive: the cash dividend exceeds the price")
    return round_price(numerator / denominator)


def cumulative_factor(close: ArrayLike, pre_close: ArrayLike) -> FloatArray:
    """Ratio-method factor for one security's consecutive traded bars.

    F_0 = 1 on the first bar, F_t = F_{t−1} · close_{t−1} / pre_close_t, so the
    factor moves only where pre_close differs from the previous close (ex-dates).
    """
    close = np.asarray(close, dtype=np.float64)
    pre_close = np.asarray(pre_close, dtype=np.float64)
    if close.shape != pre_close.shape or close.ndim != 1:
        raise ValueError(
            f"close and pre_close must be 1-D of one length, got {close.shape} and {pre_close.shape}"
        )
    steps = np.ones_like(close)
    steps[1:] = close[:-1] / pre_close[1:]
    return np.cumprod(steps)
