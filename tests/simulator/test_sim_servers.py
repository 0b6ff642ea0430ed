"""The real tushare client and a plain HTTP client against the loopback servers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import requests
import tushare as ts
from sim_support import role

from simulator import MarketServer
from simulator.qmt_agent import ARROW_MIME


def pro_for(server: MarketServer, token: str | None = None):
    pro = ts.pro_api(token or server.token)
    pro._DataApi__http_url = server.tushare_url
    return pro


def raw_call(
    server: MarketServer, api_name: str, params: dict, fields: str = "", token: str | None = None
) -> dict:
    body = {"api_name": api_name, "token": token or server.token, "params": params, "fields": fields}
    return requests.post(f"{server.tushare_url}/{api_name}", json=body, timeout=10).json()


# ------------------------------------------------------------------ tushare
def test_urls_and_ports(server) -> None:
    assert server.tushare_url.startswith("http://127.0.0.1:") and server.tushare_url.endswith("/dataapi")
    assert server.qmt_url.startswith("http://127.0.0.1:") and server.qmt_url != server.tushare_url


def test_stock_basic_through_real_client(server, market) -> None:
    pro = pro_for(server)
    listed = pro.stock_basic()
    assert list(listed.columns) == list(market.STOCK_BASIC_COLUMNS)
    gone = role(market, "delisted")
    assert gone not in set(listed["ts_code"]) and (listed["list_status"] == "L").all()
    assert len(listed) == len(market.stock_basic) - 1
    delisted = pro.stock_basic(list_status="D", fields="ts_code,list_status,delist_date")
    assert list(delisted.columns) == ["ts_code", "list_status", "delist_date"]
    assert list(delisted["ts_code"]) == [gone] and delisted["delist_date"].iloc[0] is not None
    sse = pro.stock_basic(exchange="SSE")
    assert len(sse) > 0 and sse["ts_code"].str.endswith(".SH").all()


def test_trade_cal_through_real_client(server, market) -> None:
    cal = pro_for(server).trade_cal(exchange="SSE", start_date="20240201", end_date="20240229")
    assert list(cal.columns) == list(market.TRADE_CAL_COLUMNS)
    assert len(cal) == 29 and cal["is_open"].sum() == 15
    opened = pro_for(server).trade_cal(start_date="20240201", end_date="20240229", is_open="1")
    assert len(opened) == 15 and (opened["is_open"] == 1).all()


def test_daily_by_trade_date_and_by_code_range(server, market) -> None:
    pro = pro_for(server)
    day = pro.daily(trade_date="20240305")
    expected = market.daily[market.daily["trade_date"] == "20240305"]
    assert len(day) == len(expected) > 0 and list(day.columns) == list(market.DAILY_COLUMNS)
    assert np.allclose(day.sort_values("ts_code")["close"], expected.sort_values("ts_code")["close"])
    code = role(market, "bonus_transfer")
    rng = pro.daily(ts_code=code, start_date="20240201", end_date="20240331")
    truth = market.daily[
        (market.daily["ts_code"] == code)
        & market.daily["trade_date"].astype(str).between("20240201", "20240331")
    ]
    assert len(rng) == len(truth) > 10
    assert list(rng["trade_date"]) == sorted(rng["trade_date"], reverse=True)  # newest first, like Tushare
    assert np.allclose(rng.sort_values("trade_date")["pre_close"], truth["pre_close"])
    picked = pro.daily(ts_code=code, trade_date="20240305", fields="ts_code,close,vol")
    assert list(picked.columns) == ["ts_code", "close", "vol"] and len(picked) <= 1


def test_daily_pagination_with_limit_offset(server, market) -> None:
    first = raw_call(server, "daily", {"start_date": "20240101", "end_date": "20240630", "limit": 100})
    assert first["code"] == 0 and len(first["data"]["items"]) == 100 and first["data"]["has_more"] is True
    pages, offset = [], 0
    while True:
        page = raw_call(
            server,
            "daily",
            {"start_date": "20240101", "end_date": "20240630", "limit": 700, "offset": offset},
        )["data"]
        pages += page["items"]
        offset += len(page["items"])
        if not page["has_more"]:
            break
    assert len(pages) == len(market.daily)
    assert len({(r[0], r[1]) for r in pages}) == len(pages)
    capped = raw_call(server, "daily", {"limit": 100000})
    assert len(capped["data"]["items"]) == len(market.daily)  # the 20-security market fits under 6000 rows
    big = raw_call(server, "daily", {"limit": 10})["data"]
    assert big["has_more"] is True and len(big["items"]) == 10


def test_adj_factor_daily_basic_dividend(server, market) -> None:
    pro = pro_for(server)
    code = role(market, "suspended_ex")
    adj = pro.adj_factor(ts_code=code, start_date="20240101", end_date="20240630")
    halted = set(market.suspensions.loc[market.suspensions["ts_code"] == code, "trade_date"])
    assert halted <= set(adj["trade_date"])
    assert adj["adj_factor"].nunique() == 2
    basic = pro.daily_basic(trade_date="20240305", fields="ts_code,trade_date,pe_ttm,pb,total_mv")
    assert list(basic.columns) == ["ts_code", "trade_date", "pe_ttm", "pb", "total_mv"]
    assert len(basic) == (market.daily["trade_date"] == "20240305").sum()
    st = market.securities.loc[market.securities["is_st"], "ts_code"]
    assert basic.loc[basic["ts_code"].isin(st), "pe_ttm"].isna().all()  # null, not NaN-as-text
    div = pro.dividend(ts_code=role(market, "consecutive_ex"))
    assert list(div.columns) == list(market.DIVIDEND_COLUMNS)
    assert len(div) == 6 and set(div["div_proc"]) == {"预案", "股东大会通过", "实施"}
    ex = div.loc[div["div_proc"] == "实施", "ex_date"].iloc[0]
    by_ex = pro.dividend(ex_date=ex)
    assert (by_ex["ex_date"] == ex).all() and len(by_ex) >= 1


def test_bad_token_unknown_api_and_bad_params(server) -> None:
    with pytest.raises(Exception, match="token is invalid"):
        pro_for(server, token="wrong").daily(trade_date="20240305")
    pro = pro_for(server)
    with pytest.raises(Exception, match="unknown api_name 'moneyflow'"):
        pro.moneyflow(trade_date="20240305")
    with pytest.raises(Exception, match="does not accept parameter.*frequency"):
        pro.daily(trade_date="20240305", frequency="W")
    with pytest.raises(Exception, match="trade_date must be YYYYMMDD"):
        pro.daily(trade_date="2024-03-05")
    with pytest.raises(Exception, match="has no field.*nonsense"):
        pro.daily(trade_date="20240305", fields="ts_code,nonsense")
    with pytest.raises(Exception, match="list_status must be"):
        pro.stock_basic(list_status="X")


def test_as_of_hides_the_future_and_moves_one_day(server, market) -> None:
    pro = pro_for(server)
    days = list(market.days.strftime("%Y%m%d"))
    server.set_as_of(days[40])
    seen = pro.daily(start_date=days[0], end_date=days[-1], limit=6000)
    assert seen["trade_date"].max() == days[40]
    assert pro.daily(trade_date=days[41]).empty
    server.set_as_of(days[41])
    after = pro.daily(start_date=days[0], end_date=days[-1])
    new_rows = after[
        ~after.set_index(["ts_code", "trade_date"]).index.isin(
            seen.set_index(["ts_code", "trade_date"]).index
        )
    ]
    assert set(new_rows["trade_date"]) == {days[41]}
    assert len(new_rows) == (market.daily["trade_date"] == days[41]).sum()
    # Calendars and announcements are point-in-time too.
    assert pro.trade_cal(start_date="20240101", end_date="20241231")["cal_date"].max() <= days[41]
    assert (pro.dividend()["ann_date"] <= days[41]).all()
    # The delisted security is still listed before its delist date, listed 'D' from it on.
    gone = role(market, "delisted")
    delist = market.securities.set_index("ts_code").loc[gone, "delist_date"]
    server.set_as_of(days[days.index(delist) - 1])
    assert gone in set(pro.stock_basic()["ts_code"]) and pro.stock_basic(list_status="D").empty
    server.set_as_of(delist)
    assert gone not in set(pro.stock_basic()["ts_code"])
    new = role(market, "new_listing")
    server.set_as_of(days[0])
    assert new not in set(pro.stock_basic()["ts_code"])
    with pytest.raises(ValueError, match="outside the market window"):
        server.set_as_of(dt.date(2025, 1, 2))


# ------------------------------------------------------------------ QMT agent
def qmt_get(server: MarketServer, endpoint: str, headers: dict | None = None, **params) -> requests.Response:
    return requests.get(
        f"{server.qmt_url}/api/v1/{endpoint}", params=params, headers=headers or {}, timeout=10
    )


def test_qmt_health_dates_and_sector(server, market) -> None:
    health = qmt_get(server, "health").json()
    assert health["status"] == "ok" and health["as_of"] == market.as_of.strftime("%Y%m%d")
    dates = qmt_get(server, "trading_dates", market="SH", start_time="20240201", end_time="20240229").json()
    assert len(dates["dates"]) == 15 and dates["dates"][0] == "20240201"
    assert dates["times"][0] == pd.Timestamp("2024-02-01", tz="Asia/Shanghai").value // 10**6
    stocks = qmt_get(server, "sector_stocks", sector="沪深京A股").json()["stocks"]
    assert set(stocks) == set(market.stock_basic.loc[market.stock_basic["list_status"] == "L", "ts_code"])
    sh = qmt_get(server, "sector_stocks", sector="上证A股").json()["stocks"]
    assert sh and all(code.endswith(".SH") for code in sh)


def test_qmt_market_data_json(server, market) -> None:
    resp = qmt_get(
        server,
        "market_data",
        stock_list="all",
        period="1d",
        start_time="20240301",
        end_time="20240331",
        dividend_type="none",
    )
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json")
    doc = resp.json()
    assert doc["fields"] == [
        "stock_code",
        "time",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "amount",
        "preClose",
        "suspendFlag",
    ]
    frame = pd.DataFrame(doc["data"])
    start = pd.Timestamp("2024-03-01", tz="Asia/Shanghai").value // 10**6
    end = pd.Timestamp("2024-03-31", tz="Asia/Shanghai").value // 10**6
    truth = market.qmt_daily[market.qmt_daily["time"].between(start, end)]
    assert doc["count"] == len(frame) == len(truth)
    assert (
        np.allclose(frame["close"], truth["close"])
        and (frame["volume"].to_numpy() == truth["volume"].to_numpy()).all()
    )
    code = role(market, "suspended_ex")
    one = pd.DataFrame(
        qmt_get(server, "market_data", stock_list=code, start_time="20240101", end_time="20240630").json()[
            "data"
        ]
    )
    assert set(one["stock_code"]) == {code} and one["suspendFlag"].sum() == 3


def test_qmt_market_data_arrow(server, market) -> None:
    resp = qmt_get(
        server,
        "market_data",
        headers={"Accept": ARROW_MIME},
        stock_list="all",
        start_time="20240101",
        end_time="20240630",
    )
    assert resp.headers["Content-Type"] == ARROW_MIME
    table = pa.ipc.open_stream(resp.content).read_all()
    assert table.column_names == [
        "stock_code",
        "time",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "amount",
        "preClose",
        "suspendFlag",
    ]
    assert table.schema.field("time").type == pa.int64() and table.schema.field("volume").type == pa.int64()
    assert table.num_rows == len(market.qmt_daily)
    assert np.allclose(table.column("preClose").to_numpy(), market.qmt_daily["pre_close"])
    via_param = qmt_get(
        server, "market_data", stock_list="all", format="arrow", start_time="20240102", end_time="20240102"
    )
    assert pa.ipc.open_stream(via_param.content).read_all().num_rows == len(
        market.qmt_daily[market.qmt_daily["time"] == market.qmt_daily["time"].min()]
    )


def test_qmt_errors_name_the_parameter(server) -> None:
    cases = [
        ({"stock_list": "all", "period": "1m"}, "period"),
        ({"stock_list": "all", "dividend_type": "front"}, "dividend_type"),
        ({"stock_list": "all", "start_time": "2024-01-01"}, "start_time"),
        ({"stock_list": "600519"}, "stock_list"),
        ({}, "stock_list"),
        ({"stock_list": "all", "fields": "close,vwap"}, "fields"),
        ({"stock_list": "all", "colour": "red"}, "colour"),
    ]
    for params, bad in cases:
        resp = qmt_get(server, "market_data", **params)
        assert resp.status_code == 400, params
        assert resp.json()["parameter"] == bad and bad in resp.json()["message"]
    assert qmt_get(server, "sector_stocks", sector="美股").json()["parameter"] == "sector"
    assert requests.get(f"{server.qmt_url}/api/v1/nothing", timeout=10).status_code == 404


def test_qmt_bearer_token_and_as_of(market) -> None:
    with MarketServer(market, qmt_token="secret") as srv:
        assert qmt_get(srv, "health").status_code == 401
        ok = qmt_get(srv, "health", headers={"Authorization": "Bearer secret"})
        assert ok.status_code == 200
        days = list(market.days.strftime("%Y%m%d"))
        srv.set_as_of(days[10])
        auth = {"Authorization": "Bearer secret"}
        data = qmt_get(srv, "market_data", headers=auth, stock_list="all").json()["data"]
        last = pd.Timestamp(days[10], tz="Asia/Shanghai").value // 10**6
        assert max(data["time"]) == last
        dates = qmt_get(srv, "trading_dates", headers=auth).json()["dates"]
        assert dates == days[:11]
