"""The real SSE trading calendar (SSE and SZSE share it; BSE follows it too)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import exchange_calendars as xcals
import numpy as np
import pandas as pd

# exchange_calendars only covers 20 years back by default; the SSE opened on this day.
FIRST_SESSION = "1990-12-19"


@lru_cache(maxsize=1)
def _xshg() -> xcals.ExchangeCalendar:
    return xcals.get_calendar("XSHG", start=FIRST_SESSION)


def _as_timestamp(value: dt.date | str | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def calendar_bounds() -> tuple[dt.date, dt.date]:
    """First and last day the calendar knows (the last one is about a year ahead of today)."""
    cal = _xshg()
    return cal.first_session.date(), cal.last_session.date()


def trading_days(start: dt.date | str, end: dt.date | str) -> pd.DatetimeIndex:
    """Open days in [start, end], both ends included (tz-naive, midnight)."""
    first, last = calendar_bounds()
    lo, hi = _as_timestamp(start), _as_timestamp(end)
    if hi < lo:
        raise ValueError(f"calendar range is empty: end {hi.date()} is before start {lo.date()}")
    if lo.date() < first or hi.date() > last:
        raise ValueError(
            f"calendar range [{lo.date()}, {hi.date()}] is outside the XSHG calendar [{first}, {last}]"
        )
    sessions = _xshg().sessions_in_range(lo, hi)
    return pd.DatetimeIndex(sessions.tz_localize(None) if sessions.tz is not None else sessions)


def trading_days_array(start: dt.date | str, end: dt.date | str) -> np.ndarray:
    """Open days in [start, end] as numpy datetime64[D]."""
    return trading_days(start, end).values.astype("datetime64[D]")


def previous_trading_day(day: dt.date | str) -> dt.date:
    """The last open day strictly before `day`."""
    cal = _xshg()
    ts = _as_timestamp(day)
    if ts.date() <= cal.first_session.date():
        raise ValueError(f"no trading day before {ts.date()}: the calendar starts {cal.first_session.date()}")
    return cal.date_to_session(ts - pd.Timedelta(days=1), direction="previous").date()


def is_trading_day(day: dt.date | str) -> bool:
    """Whether `day` is an SSE session (a day outside the calendar raises, naming its bounds)."""
    return len(trading_days(day, day)) == 1
