"""dlt pipelines: incremental cursors, merge keys, the ingest-run record, bad payloads."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from argus import db
from argus.config import ArgusConfig
from extract.pipeline import Endpoints, run_extract
from simulator import MarketServer, SimulatedMarket


@pytest.fixture(scope="module")
def small_market(base_config: ArgusConfig):
    config = base_config.with_market(securities=12, start_date=dt.date(2024, 9, 2), end_date=dt.date(2024, 10, 31))
    return config, SimulatedMarket.build(config.market)


@pytest.fixture()
def fresh_db(server: db.ConnectionInfo):
    info = server.with_database(f"argus_extract_{uuid.uuid4().hex[:8]}")
    db.ensure_database(info)
    yield info
    db.drop_database(info)


def _extract_all(info, server: MarketServer, config, through: dt.date, run_id: str):
    endpoints = Endpoints(server.tushare_url, server.token, server.qmt_url, server.token)
    return {p: run_extract(p, info, endpoints, config, run_id, through) for p in ("tushare", "qmt")}


def _count(info, table: str) -> int:
    with info.connect() as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


def test_rerun_loads_nothing_and_next_day_loads_only_that_day(fresh_db, small_market):
    config, market = small_market
    days = market.days
    last, before_last = days[-1].date(), days[-2].date()
    with MarketServer(market) as server:
        server.set_as_of(before_last)
        first = _extract_all(fresh_db, server, config, before_last, "run-1")
        assert first["tushare"].rows["daily"] == _count(fresh_db, "raw_tushare.daily") > 0
        assert first["qmt"].rows["daily_bars"] == _count(fresh_db, "raw_qmt.daily_bars") > 0

        again = _extract_all(fresh_db, server, config, before_last, "run-2")
        assert again["tushare"].total_rows == 0
        assert again["qmt"].total_rows == 0

        server.set_as_of(last)
        advanced = _extract_all(fresh_db, server, config, last, "run-3")

    expected_bars = int((market.daily["trade_date"] == last.strftime("%Y%m%d")).sum())
    assert advanced["tushare"].rows["daily"] == expected_bars
    with fresh_db.connect() as conn:
        new_dates = conn.execute(
            "select distinct trade_date from raw_tushare.daily where _dlt_load_id = %s",
            (advanced["tushare"].load_id,),
        ).fetchall()
        assert new_dates == [(last.strftime("%Y%m%d"),)]
        dupes = conn.execute(
            "select count(*) from (select ts_code, trade_date from raw_tushare.daily"
            " group by 1, 2 having count(*) > 1) d"
        ).fetchone()[0]
        assert dupes == 0
        runs = conn.execute(
            "select run_id, provider, resource, rows, status, load_id is not null, finished_at >= started_at"
            " from ops.ingest_runs where resource in ('daily', 'daily_bars') order by run_id, provider"
        ).fetchall()
    assert [(r[0], r[1], r[4]) for r in runs] == [
        ("run-1", "qmt", "succeeded"), ("run-1", "tushare", "succeeded"),
        ("run-2", "qmt", "succeeded"), ("run-2", "tushare", "succeeded"),
        ("run-3", "qmt", "succeeded"), ("run-3", "tushare", "succeeded"),
    ]
    assert all(r[6] for r in runs)
    assert [r[3] for r in runs if r[0] == "run-2"] == [0, 0]


def test_failed_extract_is_recorded_and_keeps_what_was_stored(fresh_db, small_market):
    config, market = small_market
    through = market.days[-5].date()
    with MarketServer(market) as server:
        server.set_as_of(through)
        _extract_all(fresh_db, server, config, through, "good")
        stored = _count(fresh_db, "raw_tushare.daily")
        broken = Endpoints(server.tushare_url, "not-the-token", server.qmt_url, server.token)
        with pytest.raises(Exception, match="token"):
            run_extract("tushare", fresh_db, broken, config, "bad-token", market.days[-1].date())
    assert _count(fresh_db, "raw_tushare.daily") == stored
    with fresh_db.connect() as conn:
        statuses = conn.execute(
            "select distinct status, error like '%%token%%' from ops.ingest_runs where run_id = 'bad-token'"
        ).fetchall()
    assert statuses == [("failed", True)]
