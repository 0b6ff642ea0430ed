"""Tushare Pro as a dlt source: reference data, daily bars, factors, valuation, dividends.

Daily endpoints are pulled one trading day at a time for the whole market, the
way Tushare serves full-market history, and carry an incremental cursor on
`trade_date`: a rerun asks for nothing, a run after the market advances one day
asks for that day only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

import dlt
import pandas as pd
import pyarrow as pa

from extract.arrow import after, batched, conform
from extract.tushare import settings
from extract.tushare.helpers import make_client, open_days, query, yyyymmdd

DAILY_ENDPOINTS = {
    "daily": settings.DAILY,
    "adj_factor": settings.ADJ_FACTOR,
    "daily_basic": settings.DAILY_BASIC,
}
DAILY_KEY = ("ts_code", "trade_date")
DIVIDEND_KEY = ("ts_code", "end_date", "div_proc")


def _day_before(day: dt.date) -> str:
    return yyyymmdd(day - dt.timedelta(days=1))


def _per_day_resource(client, endpoint: str, columns: dict, start: dt.date, end: dt.date):
    @dlt.resource(name=endpoint, primary_key=DAILY_KEY, write_disposition="merge", parallelized=True)
    def per_day(
        cursor=dlt.sources.incremental("trade_date", initial_value=_day_before(start), range_start="open"),
    ) -> Iterator[pa.Table]:
        days = open_days(client, cursor.last_value, yyyymmdd(end))
        frames = (query(client, endpoint, trade_date=day) for day in days)
        yield from batched(
            conform(frame, columns, f"tushare {endpoint}", DAILY_KEY) for frame in frames if not frame.empty
        )

    return per_day


@dlt.source(name="tushare", max_table_nesting=0)
def tushare_source(
    start: dt.date,
    end: dt.date,
    api_url: str = dlt.config.value,
    token: str = dlt.secrets.value,
):
    """Everything Argus reads from Tushare Pro between `start` and `end` (trade dates)."""
    client = make_client(api_url, token)

    def all_securities() -> pd.DataFrame:
        fields = ",".join(settings.STOCK_BASIC)
        frames = [query(client, "stock_basic", list_status=s, fields=fields) for s in settings.LIST_STATUSES]
        return pd.concat([f for f in frames if not f.empty], ignore_index=True)

    @dlt.resource(primary_key="ts_code", write_disposition="merge")
    def stock_basic() -> Iterator[pa.Table]:
        table = conform(all_securities(), settings.STOCK_BASIC, "tushare stock_basic", ("ts_code",))
        # The security master rarely changes: skip the load when the payload is identical.
        digest = hashlib.sha256(table.sort_by("ts_code").to_pandas().to_csv().encode()).hexdigest()
        state = dlt.current.resource_state()
        if state.get("digest") != digest:
            state["digest"] = digest
            yield table

    @dlt.resource(primary_key=("exchange", "cal_date"), write_disposition="merge")
    def trade_cal(
        cursor=dlt.sources.incremental("cal_date", initial_value=_day_before(start), range_start="open"),
    ) -> Iterator[pa.Table]:
        last, through = cursor.last_value, yyyymmdd(end)
        if last < through:
            frame = query(client, "trade_cal", exchange=settings.EXCHANGE, start_date=last, end_date=through)
            if not frame.empty:
                table = conform(frame, settings.TRADE_CAL, "tushare trade_cal", ("exchange", "cal_date"))
                yield after(table, "cal_date", last)

    @dlt.resource(primary_key=DIVIDEND_KEY, write_disposition="merge")
    def dividend() -> Iterator[pa.Table]:
        # A proposal is announced on ann_date and its implementation on imp_ann_date. A daily
        # run polls both dates for the new days; a backfill asks per security, which takes
        # far fewer calls than polling every day of the history. The cursor is the last day covered.
        state = dlt.current.resource_state()
        days = open_days(client, state.get("last_day", _day_before(start)), yyyymmdd(end))
        if not days:
            return
        if len(days) > settings.DIVIDEND_DAYS_POLLED:
            codes = all_securities()["ts_code"].tolist()
            frames = [query(client, "dividend", ts_code=code) for code in codes]
        else:
            frames = [query(client, "dividend", **{field: day})
                      for day in days for field in ("ann_date", "imp_ann_date")]
        frames = [f for f in frames if not f.empty]
        if frames:
            frame = pd.concat(frames, ignore_index=True).drop_duplicates(subset=list(DIVIDEND_KEY), keep="last")
            yield conform(frame, settings.DIVIDEND, "tushare dividend", DIVIDEND_KEY)
        state["last_day"] = days[-1]

    resources = [stock_basic(), trade_cal(), dividend()]
    resources += [
        _per_day_resource(client, endpoint, columns, start, end) for endpoint, columns in DAILY_ENDPOINTS.items()
    ]
    return resources
