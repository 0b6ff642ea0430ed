"""The warehouse's adjustment maths on real Tushare data (../shared/data/real).

Real unadjusted bars of three stocks go through the real bronze and silver
models with no Tushare factor available, so every factor is derived from
`pre_close` by the ratio method; real Tushare factor responses then check the
price-adjustment formulas themselves.
"""

from __future__ import annotations

import json
import uuid

import dlt
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from psycopg import sql

from argus import db
from argus.calendar import trading_days
from argus.dbt import build_stage
from extract.arrow import conform
from extract.pipeline import configure_dlt
from extract.qmt import settings as qmt_settings
from extract.tushare import settings as ts_settings

# Ex-dates listed in the samples' README: close[t-1] / pre_close[t] differs from 1.
EX_DATES = {
    "601318.SH": ["20180607", "20180906", "20190523", "20190904", "20200508", "20200916",
                  "20210422", "20211025", "20220620", "20221020", "20230614", "20231025"],
    "600036.SH": ["20180712", "20190712", "20200710", "20210713", "20220715", "20230713"],
    "000858.SZ": ["20180706", "20190606", "20200622", "20210709", "20220629", "20230627"],
}
SECURITIES = pd.DataFrame({
    "ts_code": ["601318.SH", "600036.SH", "000858.SZ"],
    "symbol": ["601318", "600036", "000858"],
    "name": ["中国平安", "招商银行", "五粮液"],
    "area": ["深圳", "深圳", "四川"],
    "industry": ["保险", "银行", "白酒"],
    "market": ["主板", "主板", "主板"],
    "exchange": ["SSE", "SSE", "SZSE"],
    "list_status": ["L", "L", "L"],
    "list_date": ["20070301", "20020409", "19980427"],
    "delist_date": [None, None, None],
})
SQL_TYPES = {pa.string(): "text", pa.float64(): "double precision", pa.int64(): "bigint"}


def _create_empty(conn, schema: str, table: str, columns: dict) -> None:
    body = ", ".join(f"{name} {SQL_TYPES[dtype]}" for name, dtype in columns.items())
    conn.execute(sql.SQL(f"create table {{}}.{{}} ({body}, _dlt_load_id text not null, _dlt_id text)")
                 .format(sql.Identifier(schema), sql.Identifier(table)))


@pytest.fixture(scope="module")
def real_warehouse(server, base_config, real_data, tmp_path_factory):
    info = server.with_database(f"argus_real_{uuid.uuid4().hex[:8]}")
    db.ensure_database(info)
    bars = pd.concat(
        [pd.read_csv(path, dtype={"trade_date": str}) for path in sorted((real_data / "tushare_daily").glob("*.csv"))],
        ignore_index=True,
    )
    sessions = trading_days("2018-01-02", "2023-12-21")
    days = pd.date_range("2018-01-02", "2023-12-21")
    open_days = set(sessions.strftime("%Y%m%d"))
    cal = pd.DataFrame({"exchange": "SSE", "cal_date": days.strftime("%Y%m%d")})
    cal["is_open"] = cal["cal_date"].isin(open_days).astype("int64")
    cal["pretrade_date"] = None

    configure_dlt()
    pipeline = dlt.pipeline(
        pipeline_name="argus_real_samples",
        pipelines_dir=str(tmp_path_factory.mktemp("dlt")),
        destination=dlt.destinations.postgres(credentials=info.dlt_url()),
        dataset_name="raw_tushare",
    )
    pipeline.run([
        dlt.resource(conform(bars, ts_settings.DAILY, "real daily"), name="daily",
                     primary_key=("ts_code", "trade_date"), write_disposition="merge"),
        dlt.resource(conform(SECURITIES, ts_settings.STOCK_BASIC, "real stock_basic"), name="stock_basic",
                     primary_key="ts_code", write_disposition="merge"),
        dlt.resource(conform(cal, ts_settings.TRADE_CAL, "real trade_cal"), name="trade_cal",
                     primary_key=("exchange", "cal_date"), write_disposition="merge"),
    ], loader_file_format="csv")
    with info.connect(autocommit=True) as conn:
        conn.execute("create schema raw_qmt")
        _create_empty(conn, "raw_tushare", "adj_factor", ts_settings.ADJ_FACTOR)
        _create_empty(conn, "raw_tushare", "daily_basic", ts_settings.DAILY_BASIC)
        _create_empty(conn, "raw_tushare", "dividend", ts_settings.DIVIDEND)
        _create_empty(conn, "raw_qmt", "daily_bars", qmt_settings.DAILY_BARS)
    for stage in ("bronze", "silver"):
        build_stage(stage, info, base_config)
    yield info, bars
    db.drop_database(info)


def _factors(info) -> pd.DataFrame:
    with info.connect() as conn:
        cur = conn.execute("""
            select f.ts_code, to_char(f.trade_date, 'YYYYMMDD') as trade_date, f.adj_factor,
                   f.adj_factor_source, b.close, b.pre_close
              from silver.slv_adj_factor f
              join silver.slv_daily_bars_fused b using (ts_code, trade_date)
             order by f.ts_code, f.trade_date""")
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])


def test_derived_factor_steps_exactly_on_the_real_ex_dates(real_warehouse):
    info, bars = real_warehouse
    factors = _factors(info)
    assert len(factors) == len(bars)
    assert set(factors["adj_factor_source"]) == {"derived"}
    for code, ex_dates in EX_DATES.items():
        series = factors[factors["ts_code"] == code].reset_index(drop=True)
        assert series["adj_factor"].iloc[0] == pytest.approx(1.0)
        steps = series["adj_factor"] / series["adj_factor"].shift() - 1
        stepped = series.loc[steps.abs() > 1e-9, "trade_date"].tolist()
        assert stepped == ex_dates, code


def test_hfq_is_continuous_on_real_bars(real_warehouse):
    info, _ = real_warehouse
    factors = _factors(info)
    for code in EX_DATES:
        series = factors[factors["ts_code"] == code].reset_index(drop=True)
        hfq = series["close"] * series["adj_factor"]
        hfq_return = (hfq / hfq.shift()).iloc[1:]
        real_return = (series["close"] / series["pre_close"]).iloc[1:]
        np.testing.assert_allclose(hfq_return, real_return, rtol=1e-12)
        # Each step is the exchange's reference ratio close[t-1] / pre_close[t].
        ex = series["trade_date"].isin(EX_DATES[code])
        ratio = series["adj_factor"] / series["adj_factor"].shift()
        expected = series["close"].shift() / series["pre_close"]
        np.testing.assert_allclose(ratio[ex], expected[ex], rtol=1e-12)
        assert (ratio[ex] > 1).all()


def _response(real_data, name: str) -> pd.DataFrame:
    payload = json.loads((real_data / "tushare_responses" / f"{name}.json").read_text(encoding="utf-8"))
    return pd.DataFrame(payload["data"]["items"], columns=payload["data"]["fields"])


@pytest.mark.parametrize("name", ["stk_factor", "stk_factor_pro"])
def test_hfq_and_qfq_formulas_reproduce_tushare(real_data, name):
    """Tushare publishes raw, hfq and qfq prices with the factor: hfq = raw × F, qfq = raw × F / F_anchor."""
    row = _response(real_data, name).iloc[0]
    factor = row["adj_factor"]
    for field in ("open", "high", "low", "close"):
        assert row[field] * factor == pytest.approx(row[f"{field}_hfq"], abs=6e-5)
    # One anchor factor explains all four qfq prices: the ratio method, anchored at the latest factor.
    anchor = row["close"] * factor / row["close_qfq"]
    for field in ("open", "high", "low"):
        assert row[field] * factor / anchor == pytest.approx(row[f"{field}_qfq"], abs=6e-3)
