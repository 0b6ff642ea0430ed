"""The QMT data agent as a dlt source: full-market daily bars in Arrow batches.

The cursor is the bar `time` (the trade date as xtquant spells it), so a rerun
asks for nothing and an advanced market asks only for the new days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import dlt
import pyarrow as pa

from extract.arrow import conform
from extract.qmt import settings
from extract.qmt.helpers import QmtAgentClient

SHANGHAI = ZoneInfo("Asia/Shanghai")


def bar_time(day: dt.date) -> int:
    """xtquant's bar time: milliseconds since the epoch at 00:00 Shanghai on the trade date."""
    return int(dt.datetime.combine(day, dt.time(), SHANGHAI).timestamp() * 1000)


def bar_day(time_ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(time_ms / 1000, SHANGHAI).date()


@dlt.source(name="qmt", max_table_nesting=0)
def qmt_source(
    start: dt.date,
    end: dt.date,
    days_per_request: int = 60,
    agent_url: str = dlt.config.value,
    token: str | None = dlt.secrets.value,
):
    """Daily bars for every security the agent knows, between `start` and `end`."""
    client = QmtAgentClient(agent_url, token)

    @dlt.resource(primary_key=("stock_code", "time"), write_disposition="merge")
    def daily_bars(
        cursor=dlt.sources.incremental(
            "time", initial_value=bar_time(start - dt.timedelta(days=1)), range_start="open"
        ),
    ) -> Iterator[pa.Table]:
        after = bar_day(cursor.last_value) + dt.timedelta(days=1)
        if after > end:
            return
        days = client.trading_dates(after.strftime("%Y%m%d"), end.strftime("%Y%m%d"))
        for i in range(0, len(days), days_per_request):
            window = days[i : i + days_per_request]
            table = client.daily_bars(window[0], window[-1])
            if table.num_rows:
                yield conform(table, settings.DAILY_BARS, f"qmt market_data {window[0]}..{window[-1]}",
                              ("stock_code", "time"))

    return daily_bars
