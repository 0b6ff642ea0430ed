"""A throwaway PostgreSQL database holding contract-shaped bronze/silver/gold tables.

The tables are created here by hand, not by dbt: the gates must be testable while the dbt
project is still being written. Every test starts from the same small, clean market
(two securities, four open days, one suspension) and breaks it on purpose.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from argus import db
from argus.config import ArgusConfig, load_config
from expectations.context import GX_PROJECT_ROOT

DDL = """
create schema bronze; create schema silver; create schema gold;

create table bronze.brz_tushare__stock_basic (
    ts_code text, symbol text, name text, area text, industry text, market text, exchange text,
    board text, is_st boolean, list_status text, list_date date, delist_date date, _load_id text);
create table bronze.brz_tushare__trade_cal (
    exchange text, cal_date date, is_open boolean, pretrade_date date, _load_id text);
create table bronze.brz_tushare__daily (
    ts_code text, trade_date date, open float8, high float8, low float8, close float8, pre_close float8,
    volume bigint, amount float8, _load_id text, _reject_reason text);
create table bronze.brz_qmt__daily (like bronze.brz_tushare__daily);
alter table bronze.brz_qmt__daily add column is_suspended boolean;
create table bronze.brz_tushare__adj_factor (
    ts_code text, trade_date date, adj_factor float8, _load_id text, _reject_reason text);
create table bronze.brz_tushare__daily_basic (
    ts_code text, trade_date date, pe_ttm float8, pb float8, turnover_rate float8, total_share float8,
    float_share float8, total_mv float8, circ_mv float8, _load_id text, _reject_reason text);

create table silver.slv_trade_calendar (
    trade_date date, prev_trade_date date, next_trade_date date, day_index int);
create table silver.slv_security_spine (ts_code text, trade_date date, has_bar boolean, is_suspended boolean);
create table silver.slv_daily_bars_fused (
    ts_code text, trade_date date, open float8, high float8, low float8, close float8, pre_close float8,
    volume bigint, amount float8, open_source text, high_source text, low_source text, close_source text,
    pre_close_source text, volume_source text, amount_source text);
create table silver.slv_adj_factor (ts_code text, trade_date date, adj_factor float8, adj_factor_source text);
create table silver.slv_valuation_daily (
    ts_code text, trade_date date, pe_ttm float8, pb float8, pe_ttm_source text, pb_source text);
create table silver.slv_corporate_actions (
    ts_code text, ex_date date, cash_div_tax float8, stk_bo_rate float8, stk_co_rate float8);
create table silver.slv_close_consistency (
    ts_code text, trade_date date, rel_diff float8, tolerance float8, is_consistent boolean);

create table gold.dim_security (
    ts_code text, symbol text, name text, exchange text, board text, market text, industry text,
    is_st boolean, price_limit_pct float8, list_status text, list_date date, delist_date date,
    qlib_instrument text);
create table gold.dim_trade_calendar (like silver.slv_trade_calendar);
create table gold.fct_daily_bar (
    ts_code text, trade_date date, is_suspended boolean, open float8, high float8, low float8,
    close float8, pre_close float8, volume bigint, amount float8, adj_factor float8,
    adj_factor_source text, open_hfq float8, high_hfq float8, low_hfq float8, close_hfq float8,
    pe_ttm float8, pb float8, open_source text, high_source text, low_source text, close_source text,
    pre_close_source text, volume_source text, amount_source text, pe_ttm_source text, pb_source text,
    _load_id text);
create table gold.qlib_daily_pv (
    instrument text, datetime date, "$open" float8, "$close" float8, "$high" float8, "$low" float8,
    "$volume" float8, "$factor" float8);
"""

LOAD = "load-1"
OPEN_DAYS = [dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4), dt.date(2024, 1, 5)]
PREV_OPEN_DAY, NEXT_OPEN_DAY = dt.date(2023, 12, 29), dt.date(2024, 1, 8)
# ts_code -> (exchange, board, list_date, base price, adjustment factor)
SECURITIES = {
    "600519.SH": ("SSE", "main", dt.date(2001, 8, 27), 1700.0, 8.0),
    "300750.SZ": ("SZSE", "chinext", dt.date(2018, 6, 11), 160.0, 1.5),
}
SUSPENDED = ("300750.SZ", dt.date(2024, 1, 4))
MARKET_SOURCES = ("open", "high", "low", "close", "pre_close", "volume", "amount")


def _bar(base: float, day_number: int) -> dict[str, float]:
    close = base + day_number
    return {"open": close - 0.5, "high": close + 1, "low": close - 1, "close": close,
            "pre_close": close - 1, "volume": 100_000 + day_number, "amount": close * 100_000}


def _insert(cur: psycopg.Cursor, table: str, rows: list[dict]) -> None:
    columns = list(rows[0])
    quoted = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(["%s"] * len(columns))
    cur.executemany(f"insert into {table} ({quoted}) values ({values})", [tuple(r[c] for c in columns) for r in rows])


def seed(conn: psycopg.Connection) -> None:
    """Truncate every table and load the clean market every gate accepts."""
    with conn.cursor() as cur:
        for (table,) in cur.execute(
            "select schemaname || '.' || tablename from pg_tables where schemaname in ('bronze','silver','gold')"
        ).fetchall():
            cur.execute(f"truncate {table}")

        stock_basic, dim_security = [], []
        for code, (exchange, board, list_date, _, _) in SECURITIES.items():
            symbol, suffix = code.split(".")
            common = {"ts_code": code, "symbol": symbol, "name": f"name {symbol}", "exchange": exchange,
                      "board": board, "industry": "x", "is_st": False, "list_status": "L",
                      "list_date": list_date, "delist_date": None}
            stock_basic.append({**common, "area": "x", "market": board, "_load_id": LOAD})
            dim_security.append({**common, "market": board, "qlib_instrument": suffix + symbol,
                                 "price_limit_pct": 10.0 if board == "main" else 20.0})
        _insert(cur, "bronze.brz_tushare__stock_basic", stock_basic)
        _insert(cur, "gold.dim_security", dim_security)

        calendar_days = [PREV_OPEN_DAY + dt.timedelta(days=n) for n in range((NEXT_OPEN_DAY - PREV_OPEN_DAY).days + 1)]
        open_days = [PREV_OPEN_DAY, *OPEN_DAYS, NEXT_OPEN_DAY]
        trade_cal, previous_open = [], PREV_OPEN_DAY - dt.timedelta(days=1)
        for day in calendar_days:
            trade_cal.append({"exchange": "SSE", "cal_date": day, "is_open": day in open_days,
                              "pretrade_date": previous_open, "_load_id": LOAD})
            if day in open_days:
                previous_open = day
        _insert(cur, "bronze.brz_tushare__trade_cal", trade_cal)

        calendar = [{"trade_date": day, "prev_trade_date": open_days[i], "next_trade_date": open_days[i + 2],
                     "day_index": 100 + i} for i, day in enumerate(OPEN_DAYS)]
        _insert(cur, "silver.slv_trade_calendar", calendar)
        _insert(cur, "gold.dim_trade_calendar", calendar)

        tables: dict[str, list[dict]] = {name: [] for name in (
            "bronze.brz_tushare__daily", "bronze.brz_qmt__daily", "bronze.brz_tushare__adj_factor",
            "bronze.brz_tushare__daily_basic", "silver.slv_security_spine", "silver.slv_daily_bars_fused",
            "silver.slv_adj_factor", "silver.slv_valuation_daily", "silver.slv_close_consistency",
            "gold.fct_daily_bar", "gold.qlib_daily_pv")}
        for code, (_, _, _, base, factor) in SECURITIES.items():
            for number, day in enumerate(OPEN_DAYS):
                key = {"ts_code": code, "trade_date": day}
                suspended = (code, day) == SUSPENDED
                bar = _bar(base, number)
                valuation = {"pe_ttm": 25.0, "pb": 6.0}
                if not suspended:
                    tables["bronze.brz_tushare__daily"].append({**key, **bar, "_load_id": LOAD, "_reject_reason": None})
                    tables["silver.slv_close_consistency"].append(
                        {**key, "rel_diff": 0.0, "tolerance": 0.005, "is_consistent": True})
                # bronze keeps QMT's suspension notice as a marker without prices or volume
                qmt_bar = dict.fromkeys(bar) if suspended else bar
                tables["bronze.brz_qmt__daily"].append(
                    {**key, **qmt_bar, "is_suspended": suspended, "_load_id": LOAD, "_reject_reason": None})
                tables["bronze.brz_tushare__adj_factor"].append(
                    {**key, "adj_factor": factor, "_load_id": LOAD, "_reject_reason": None})
                tables["bronze.brz_tushare__daily_basic"].append(
                    {**key, **valuation, "turnover_rate": 1.2, "total_share": 1e9, "float_share": 8e8,
                     "total_mv": 1e11, "circ_mv": 8e10, "_load_id": LOAD, "_reject_reason": None})
                tables["silver.slv_security_spine"].append({**key, "has_bar": not suspended, "is_suspended": suspended})
                fused = {field: None if suspended else bar[field] for field in MARKET_SOURCES}
                sources = {f"{field}_source": None if suspended else "qmt" for field in MARKET_SOURCES}
                tables["silver.slv_daily_bars_fused"].append({**key, **fused, **sources})
                tables["silver.slv_adj_factor"].append({**key, "adj_factor": factor, "adj_factor_source": "tushare"})
                tables["silver.slv_valuation_daily"].append(
                    {**key, **valuation, "pe_ttm_source": "tushare", "pb_source": "tushare"})
                hfq = {f"{p}_hfq": None if suspended else bar[p] * factor for p in ("open", "high", "low", "close")}
                tables["gold.fct_daily_bar"].append(
                    {**key, "is_suspended": suspended, **fused, **sources, **hfq, **valuation,
                     "adj_factor": factor, "adj_factor_source": "tushare", "pe_ttm_source": "tushare",
                     "pb_source": "tushare", "_load_id": LOAD})
                exchange = code.split(".")[1]
                tables["gold.qlib_daily_pv"].append(
                    {"instrument": exchange + code.split(".")[0], "datetime": day,
                     **{f"${p}": hfq[f"{p}_hfq"] for p in ("open", "high", "low", "close")},
                     "$volume": None if suspended else bar["volume"] / factor, "$factor": factor})
        for table, rows in tables.items():
            _insert(cur, table, rows)
        _insert(cur, "silver.slv_corporate_actions",
                [{"ts_code": "600519.SH", "ex_date": OPEN_DAYS[1], "cash_div_tax": 19.1, "stk_bo_rate": 0.0,
                  "stk_co_rate": 0.0}])
    conn.commit()


@pytest.fixture(scope="session")
def warehouse(server: db.ConnectionInfo) -> Iterator[db.ConnectionInfo]:
    info = server.with_database(f"argus_gx_test_{uuid.uuid4().hex[:10]}")
    db.ensure_database(info)
    try:
        with info.connect() as conn:
            conn.execute(DDL)
            conn.commit()
        yield info
    finally:
        db.drop_database(info)


@pytest.fixture
def market(warehouse: db.ConnectionInfo) -> Iterator[psycopg.Connection]:
    """A connection to the clean market; tests break it through this connection and commit."""
    with warehouse.connect() as conn:
        seed(conn)
        yield conn


@pytest.fixture(scope="session")
def gx_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the committed GX project, so test runs never write to the shared tree."""
    root = tmp_path_factory.mktemp("gx_project")
    shutil.copytree(GX_PROJECT_ROOT / "gx", root / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    return root


@pytest.fixture(scope="session")
def config() -> ArgusConfig:
    return load_config()
