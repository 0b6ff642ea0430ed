"""Transport for Tushare Pro: the real `tushare` client, pointed at a configurable URL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import tushare as ts

from extract.tushare import settings


class TushareError(RuntimeError):
    """Tushare refused or failed a call; the message names the endpoint and parameters."""


def make_client(url: str, token: str):
    if not token:
        raise TushareError("no Tushare token: set the variable named by providers.tushare.token_env")
    client = ts.pro_api(token=token, timeout=60)
    # The client keeps its endpoint in a name-mangled class attribute; setting it on the
    # instance redirects only this client (to the simulated market or a proxy).
    client._DataApi__http_url = url.rstrip("/")
    return client


def query(client, endpoint: str, **params) -> pd.DataFrame:
    try:
        return client.query(endpoint, **params)
    except Exception as exc:
        raise TushareError(f"tushare {endpoint}({params}) failed: {exc}") from exc


def yyyymmdd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def open_days(client, after: str, through: str) -> list[str]:
    """Open SSE days strictly after `after` up to `through` (both YYYYMMDD)."""
    if after >= through:
        return []
    cal = query(client, "trade_cal", exchange=settings.EXCHANGE, start_date=after, end_date=through)
    if cal.empty:
        return []
    days = cal.loc[(cal["is_open"].astype(int) == 1) & (cal["cal_date"] > after), "cal_date"]
    return sorted(days.tolist())
