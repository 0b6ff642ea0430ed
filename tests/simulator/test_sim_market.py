"""The generated market obeys the exchange rules the warehouse will check."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from sim_support import END, START, role, small_config

from argus.calendar import previous_trading_day, trading_days, trading_days_array
from simulator import SimulatedMarket
from simulator.corporate_actions import cumulative_factor, ex_reference_price, round_price

CODE_PATTERNS = {
    ("main", "SH"): r"^60[0135]\d{3}\.SH$",
    ("star", "SH"): r"^688\d{3}\.SH$",
    ("main", "SZ"): r"^00[0123]\d{3}\.SZ$",
    ("chinext", "SZ"): r"^30[01]\d{3}\.SZ$",
    ("bse", "BJ"): r"^(43\d|83\d|87\d|92\d)\d{3}\.BJ$",
}


def bars(market: SimulatedMarket) -> pd.DataFrame:
    """Tushare daily with plain string keys, sorted per security by date."""
    out = market.daily.astype({"ts_code": str, "trade_date": str})
    return out.sort_values(["ts_code", "trade_date"]).reset_index(drop=True)


def with_prev_close(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["prev_close"] = frame.groupby("ts_code")["close"].shift(1)
    frame["prev_date"] = frame.groupby("ts_code")["trade_date"].shift(1)
    return frame


# ------------------------------------------------------------------ calendar / maths
def test_calendar_is_the_real_sse_calendar() -> None:
    days = trading_days("2024-02-05", "2024-02-23")
    # Spring Festival 2024: closed 9–16 Feb; 2024-02-18 was a Sunday make-up day the SSE does not trade.
    assert [d.strftime("%m%d") for d in days] == [
        "0205",
        "0206",
        "0207",
        "0208",
        "0219",
        "0220",
        "0221",
        "0222",
        "0223",
    ]
    assert trading_days_array("1990-12-19", "1990-12-31")[0] == np.datetime64("1990-12-19")
    assert previous_trading_day(dt.date(2024, 2, 19)) == dt.date(2024, 2, 8)
    with pytest.raises(ValueError, match="before start"):
        trading_days("2024-02-05", "2024-01-01")


def test_ex_reference_formula_and_rounding() -> None:
    # 10派3 on 12.35: (12.35 − 0.3) / 1
    assert ex_reference_price(12.35, cash=0.3) == pytest.approx(12.05)
    # 10送2转3派1.5 on 20.00: (20 − 0.15) / 1.5 = 13.2333 → 13.23
    assert ex_reference_price(20.0, cash=0.15, bonus=0.2, transfer=0.3) == pytest.approx(13.23)
    # 10配3 at 7.00 on 10.00: (10 + 0.3·7) / 1.3 = 9.3077 → 9.31
    assert ex_reference_price(10.0, rights=0.3, rights_price=7.0) == pytest.approx(9.31)
    assert round_price(1.005) == pytest.approx(1.01)  # half-up, not banker's rounding
    with pytest.raises(ValueError, match="non-positive"):
        ex_reference_price(1.0, cash=1.5)


def test_cumulative_factor_moves_only_on_ex_dates() -> None:
    close = np.array([10.0, 10.2, 9.0, 9.1])
    pre = np.array([9.9, 10.0, 10.2 / 1.5, 9.0])
    f = cumulative_factor(close, pre)
    assert f[0] == 1.0 and f[1] == 1.0
    assert f[2] == pytest.approx(1.5) and f[3] == pytest.approx(1.5)


# ------------------------------------------------------------------ determinism / roster
def test_same_config_gives_identical_frames(cfg, market) -> None:
    again = SimulatedMarket.build(cfg)
    for name in (
        "daily",
        "adj_factor",
        "daily_basic",
        "dividend",
        "qmt_daily",
        "actions",
        "stock_basic",
        "discrepancy_log",
        "true_factor",
    ):
        pd.testing.assert_frame_equal(getattr(market, name), getattr(again, name), obj=name)
    other = SimulatedMarket.build(small_config(seed=8))
    assert not market.daily["close"].equals(other.daily["close"])


def test_roster_codes_boards_and_st(market) -> None:
    sec = market.securities
    assert len(sec) == 20 and sec["ts_code"].is_unique
    assert set(sec["board"]) == {"main", "star", "chinext", "bse"}
    for row in sec.itertuples():
        assert re.match(CODE_PATTERNS[(row.board, row.ts_code[-2:])], row.ts_code), row.ts_code
    st = sec[sec["is_st"]]
    assert len(st) >= 2 and st["name"].str.match(r"^\*?ST ").all()
    assert (st["price_limit_pct"] == 5).all()
    expected = sec["board"].map({"main": 10, "star": 20, "chinext": 20, "bse": 30}).where(~sec["is_st"], 5)
    assert (sec["price_limit_pct"] == expected).all()
    assert list(market.stock_basic.columns) == list(SimulatedMarket.STOCK_BASIC_COLUMNS)


# ------------------------------------------------------------------ prices
def test_closes_respect_price_limits(market) -> None:
    b = bars(market).merge(market.securities[["ts_code", "price_limit_pct", "list_date"]], on="ts_code")
    session = b.groupby("ts_code").cumcount()
    new = role(market, "new_listing")
    exempt = (b["ts_code"] == new) & (session < 5)
    lim = b["price_limit_pct"] / 100
    up = round_price(b["pre_close"] * (1 + lim))
    down = round_price(b["pre_close"] * (1 - lim))
    limited = b[~exempt]
    assert (limited["close"] <= up[~exempt] + 1e-9).all()
    assert (limited["close"] >= down[~exempt] - 1e-9).all()
    # Some bars close at the limit, so the clamp is exercised rather than vacuous.
    assert ((limited["close"] - up[~exempt]).abs() < 1e-9).sum() + (
        (limited["close"] - down[~exempt]).abs() < 1e-9
    ).sum() > 0
    first = b[b["ts_code"] == new].iloc[0]
    assert first["trade_date"] == market.securities.set_index("ts_code").loc[new, "list_date"]
    assert first["close"] / first["pre_close"] > 1.2  # beyond ±20%: no limit in the first sessions


def test_ohlc_volume_amount_consistent(market) -> None:
    d = market.daily
    assert (d[["open", "high", "low", "close", "pre_close"]] > 0).all().all()
    assert (d["low"] <= d[["open", "close"]].min(axis=1)).all()
    assert (d["high"] >= d[["open", "close"]].max(axis=1)).all()
    vwap = d["amount"] * 1000 / (d["vol"] * 100)
    assert ((vwap >= d["low"] - 0.01) & (vwap <= d["high"] + 0.01)).all()
    assert (d["vol"] == d["vol"].round()).all()
    assert np.allclose(d["change"], (d["close"] - d["pre_close"]).round(2))
    assert np.allclose(d["pct_chg"], d["change"] / d["pre_close"] * 100, atol=1e-3)
    for col in ("open", "high", "low", "close"):
        assert np.allclose(d[col], d[col].round(2))


def test_pre_close_is_previous_close_except_on_ex_dates(market) -> None:
    b = with_prev_close(bars(market))
    ex = set(zip(market.actions["ts_code"], market.actions["ex_date"]))
    susp = market.suspensions
    halted_ex = {
        (a.ts_code, a.ex_date)
        for a in market.actions.itertuples()
        if ((susp["ts_code"] == a.ts_code) & (susp["trade_date"] == a.ex_date)).any()
    }
    plain = b[b["prev_close"].notna()]
    is_ex = [(c, t) in ex for c, t in zip(plain["ts_code"], plain["trade_date"])]
    ordinary = plain[~np.array(is_ex)]
    resumed_after_ex = ordinary.apply(
        lambda r: any(c == r.ts_code and r.prev_date < t < r.trade_date for c, t in halted_ex), axis=1
    )
    ordinary = ordinary[~resumed_after_ex]
    assert np.allclose(ordinary["pre_close"], ordinary["prev_close"])
    assert len(ordinary) > 0.8 * len(plain)


def _ex_row(market: SimulatedMarket, code: str, which: int = 0) -> tuple[pd.Series, pd.Series]:
    act = market.actions[market.actions["ts_code"] == code].sort_values("ex_date").iloc[which]
    b = with_prev_close(bars(market))
    row = b[(b["ts_code"] == code) & (b["trade_date"] == act["ex_date"])]
    assert len(row) == 1, f"{code} has no bar on its ex-date {act['ex_date']}"
    return act, row.iloc[0]


def test_cash_dividend_ex_date_pre_close(market) -> None:
    cash_only = market.actions[(market.actions[["bonus", "transfer", "rights"]] == 0).all(axis=1)]
    b = with_prev_close(bars(market)).set_index(["ts_code", "trade_date"])
    checked = 0
    for a in cash_only.itertuples():
        if (a.ts_code, a.ex_date) in b.index and not np.isnan(b.loc[(a.ts_code, a.ex_date), "prev_close"]):
            row = b.loc[(a.ts_code, a.ex_date)]
            if row["prev_date"] != market.days[market.days.strftime("%Y%m%d") < a.ex_date][-1].strftime(
                "%Y%m%d"
            ):
                continue  # halted before the ex-date: covered by the suspension test
            assert row["pre_close"] == pytest.approx(float(ex_reference_price(row["prev_close"], a.cash)))
            assert row["pre_close"] < row["prev_close"]
            checked += 1
    assert checked >= 5


def test_bonus_and_transfer_ex_date_pre_close(market) -> None:
    act, row = _ex_row(market, role(market, "bonus_transfer"))
    assert act["bonus"] > 0 and act["transfer"] > 0 and act["cash"] > 0
    expected = ex_reference_price(row["prev_close"], act["cash"], act["bonus"], act["transfer"])
    assert row["pre_close"] == pytest.approx(float(expected))
    assert row["pre_close"] < row["prev_close"] / 1.4


def test_rights_issue_ex_date_pre_close(market) -> None:
    act, row = _ex_row(market, role(market, "rights_issue"))
    assert act["rights"] > 0 and 0 < act["rights_price"] < row["prev_close"]
    expected = ex_reference_price(row["prev_close"], rights=act["rights"], rights_price=act["rights_price"])
    assert row["pre_close"] == pytest.approx(float(expected))
    # Rights issues are not dividends in Tushare.
    assert market.dividend[market.dividend["ts_code"] == act["ts_code"]].empty


def test_two_ex_dates_on_consecutive_trading_days(market) -> None:
    code = role(market, "consecutive_ex")
    first, row1 = _ex_row(market, code, 0)
    second, row2 = _ex_row(market, code, 1)
    days = list(market.days.strftime("%Y%m%d"))
    assert days.index(second["ex_date"]) == days.index(first["ex_date"]) + 1
    assert row1["pre_close"] == pytest.approx(float(ex_reference_price(row1["prev_close"], first["cash"])))
    assert row2["prev_close"] == row1["close"]
    assert row2["pre_close"] == pytest.approx(
        float(ex_reference_price(row1["close"], second["cash"], second["bonus"], second["transfer"]))
    )
    ends = market.dividend[market.dividend["ts_code"] == code].groupby("end_date")["div_proc"].apply(set)
    assert len(ends) == 2 and all(v == {"预案", "股东大会通过", "实施"} for v in ends)


def test_suspended_ex_date(market) -> None:
    code = role(market, "suspended_ex")
    act = market.actions[market.actions["ts_code"] == code].iloc[0]
    halted = set(market.suspensions.loc[market.suspensions["ts_code"] == code, "trade_date"])
    assert act["ex_date"] in halted
    b = bars(market)
    own = b[b["ts_code"] == code]
    assert act["ex_date"] not in set(own["trade_date"])
    last = own[own["trade_date"] < act["ex_date"]].iloc[-1]
    resumed = own[own["trade_date"] > act["ex_date"]].iloc[0]
    expected = float(ex_reference_price(last["close"], act["cash"], act["bonus"], act["transfer"]))
    assert resumed["pre_close"] == pytest.approx(expected) and expected < last["close"]
    adj = (
        market.adj_factor[market.adj_factor["ts_code"] == code]
        .astype({"trade_date": str})
        .set_index("trade_date")
    )
    days = list(market.days.strftime("%Y%m%d"))
    before = days[days.index(act["ex_date"]) - 1]
    assert before in halted  # the step happens inside the halt, not on resumption
    step = adj.loc[act["ex_date"], "adj_factor"] / adj.loc[before, "adj_factor"]
    assert step == pytest.approx(last["close"] / expected, rel=2e-3)
    assert adj.loc[resumed["trade_date"], "adj_factor"] == adj.loc[act["ex_date"], "adj_factor"]
    qmt = market.qmt_daily[(market.qmt_daily["stock_code"] == code) & (market.qmt_daily["suspend_flag"] == 1)]
    assert len(qmt) == len(halted)
    assert (qmt["volume"] == 0).all() and (qmt["amount"] == 0).all()
    assert (qmt[["open", "high", "low", "close"]] == last["close"]).all().all()


def test_true_factor_steps_only_on_ex_dates_and_matches_tushare(market) -> None:
    tf = market.true_factor.astype({"ts_code": str, "trade_date": str}).sort_values(["ts_code", "trade_date"])
    tf["step"] = tf.groupby("ts_code")["factor"].pct_change()
    stepped = set(map(tuple, tf.loc[tf["step"].abs() > 1e-12, ["ts_code", "trade_date"]].to_numpy()))
    assert stepped == set(zip(market.actions["ts_code"], market.actions["ex_date"]))
    merged = tf.merge(
        market.adj_factor.astype({"ts_code": str, "trade_date": str}), on=["ts_code", "trade_date"]
    )
    assert np.allclose(merged["adj_factor"], merged["factor"].round(3))
    # The pre_close-derived ratio factor reproduces the true one on every uninterrupted traded run.
    b = bars(market)
    code = role(market, "bonus_transfer")
    own = b[b["ts_code"] == code]
    derived = cumulative_factor(own["close"], own["pre_close"])
    truth = tf[tf["ts_code"] == code].set_index("trade_date").loc[own["trade_date"], "factor"].to_numpy()
    assert np.allclose(derived * truth[0], truth)


def test_new_listing_and_delisting(market) -> None:
    sec = market.securities.set_index("ts_code")
    new, gone = role(market, "new_listing"), role(market, "delisted")
    window = (market.cfg.start_date.strftime("%Y%m%d"), market.cfg.end_date.strftime("%Y%m%d"))
    inside = (window[0] <= sec["list_date"]) & (sec["list_date"] <= window[1])
    assert list(sec.index[inside]) == [new]
    assert list(sec.index[sec["delist_date"].notna()]) == [gone]
    list_date, delist_date = sec.loc[new, "list_date"], sec.loc[gone, "delist_date"]
    d = bars(market)
    assert d.loc[d["ts_code"] == new, "trade_date"].min() == list_date
    assert d.loc[d["ts_code"] == gone, "trade_date"].max() < delist_date
    assert d.loc[d["ts_code"] == new].iloc[0]["pre_close"] > 0
    qmt = market.qmt_daily.astype({"stock_code": str})
    assert (
        qmt.loc[qmt["stock_code"] == gone, "time"].max()
        < pd.Timestamp(delist_date, tz="Asia/Shanghai").value // 10**6
    )
    adj = market.adj_factor.astype({"ts_code": str, "trade_date": str})
    days = list(market.days.strftime("%Y%m%d"))
    assert adj.loc[adj["ts_code"] == new, "trade_date"].min() == days[days.index(list_date) + 3]
    assert market.stock_basic.set_index("ts_code").loc[gone, "list_status"] == "D"
    assert sec.loc[gone, "name"].startswith("*ST")


def test_adj_factor_has_rows_on_halted_days(market) -> None:
    susp = market.suspensions
    adj = set(zip(market.adj_factor["ts_code"].astype(str), market.adj_factor["trade_date"].astype(str)))
    assert len(susp) >= 5
    assert all((c, t) in adj for c, t in zip(susp["ts_code"], susp["trade_date"]))
    daily = set(zip(market.daily["ts_code"].astype(str), market.daily["trade_date"].astype(str)))
    assert not any((c, t) in daily for c, t in zip(susp["ts_code"], susp["trade_date"]))


def test_daily_basic_units_and_valuation(market) -> None:
    db = market.daily_basic
    assert len(db) == len(market.daily)
    assert np.allclose(db["close"], market.daily["close"])
    assert np.allclose(db["total_mv"], (db["close"] * db["total_share"]).round(4), rtol=1e-6)
    assert np.allclose(db["circ_mv"], (db["close"] * db["float_share"]).round(4), rtol=1e-6)
    assert (db["free_share"] <= db["float_share"] + 1e-6).all() and (
        db["float_share"] <= db["total_share"] + 1e-6
    ).all()
    st_codes = market.securities.loc[market.securities["is_st"], "ts_code"]
    assert db.loc[db["ts_code"].isin(st_codes), "pe_ttm"].isna().all()  # losses: no pe_ttm
    assert db.loc[~db["ts_code"].isin(st_codes), "pe_ttm"].gt(0).all()
    # Shares grow by (1 + S + T) on a bonus/transfer ex-date.
    code = role(market, "bonus_transfer")
    act = market.actions[market.actions["ts_code"] == code].iloc[0]
    own = db[db["ts_code"] == code].astype({"trade_date": str}).set_index("trade_date")["total_share"]
    before = own[own.index < act["ex_date"]].iloc[-1]
    assert own.loc[act["ex_date"]] == pytest.approx(before * (1 + act["bonus"] + act["transfer"]), rel=1e-6)


def test_dividend_rows(market) -> None:
    div = market.dividend
    impl = div[div["div_proc"] == "实施"]
    non_rights = market.actions[market.actions["rights"] == 0]
    assert len(impl) == len(non_rights) and len(div) == 3 * len(non_rights)
    assert not div.duplicated(["ts_code", "end_date", "div_proc"]).any()
    assert np.allclose(div["stk_div"], div["stk_bo_rate"] + div["stk_co_rate"])
    merged = impl.merge(non_rights, on=["ts_code", "ex_date"])
    assert len(merged) == len(impl)
    assert np.allclose(merged["cash_div_tax"], merged["cash"])
    assert np.allclose(merged["stk_bo_rate"], merged["bonus"]) and np.allclose(
        merged["stk_co_rate"], merged["transfer"]
    )
    assert (impl["imp_ann_date"] < impl["ex_date"]).all() and (impl["record_date"] < impl["ex_date"]).all()
    open_days = set(trading_days("2000-01-01", market.cfg.end_date).strftime("%Y%m%d"))
    assert set(div["ann_date"]) <= open_days
    assert div.loc[div["div_proc"] != "实施", "ex_date"].isna().all()


def test_trade_cal_covers_every_calendar_day(market) -> None:
    cal = market.trade_cal
    assert len(cal) == (END - START).days + 1
    assert cal["is_open"].sum() == len(market.days)
    row = cal.set_index("cal_date").loc["20240219"]
    assert row["is_open"] == 1 and row["pretrade_date"] == "20240208"
    assert cal.set_index("cal_date").loc["20240102", "pretrade_date"] == "20231229"


# ------------------------------------------------------------------ QMT and discrepancies
def test_qmt_matches_tushare_except_logged_discrepancies(market, cfg) -> None:
    log = market.discrepancy_log
    traded = len(market.daily)
    assert len(log) == round(cfg.discrepancies.rate * traded)
    assert set(log["kind"]) == set(SimulatedMarket.DISCREPANCY_KINDS)
    q = market.qmt_daily.astype({"stock_code": str})
    q["trade_date"] = (
        pd.to_datetime(q["time"], unit="ms", utc=True).dt.tz_convert("Asia/Shanghai").dt.strftime("%Y%m%d")
    )
    assert (pd.to_datetime(q["time"], unit="ms", utc=True).dt.tz_convert("Asia/Shanghai").dt.hour == 0).all()
    q = q[q["suspend_flag"] == 0].rename(columns={"stock_code": "ts_code"})
    d = bars(market)
    m = d.merge(q, on=["ts_code", "trade_date"], how="left", suffixes=("", "_q"), indicator=True)
    logged = m.merge(log, on=["ts_code", "trade_date"], how="left")
    clean = logged[logged["kind"].isna()]
    assert (clean["_merge"] == "both").all()
    assert np.allclose(clean["close"], clean["close_q"]) and (clean["vol"] == clean["volume"]).all()
    assert np.allclose(clean["amount"], clean["amount_q"] / 1000, atol=1e-3)
    missing = logged[logged["kind"] == "missing_day"]
    assert (missing["_merge"] == "left_only").all()
    noise = logged[logged["kind"] == "price_noise"]
    rel = (noise["close_q"] / noise["close"] - 1).abs()
    assert (rel > 0).all() and (rel <= cfg.discrepancies.price_noise_max + 0.01).all()
    assert (noise["high_q"] >= noise["close_q"]).all() and (noise["low_q"] <= noise["close_q"]).all()
    stale = logged[logged["kind"] == "stale_bar"]
    prev = with_prev_close(d).set_index(["ts_code", "trade_date"])
    for r in stale.itertuples():
        assert r.close_q == prev.loc[(r.ts_code, r.trade_date), "prev_close"]


def test_broken_rows_are_injected(broken_market) -> None:
    log = broken_market.broken_log
    assert list(log["kind"]) == ["negative_price", "high_below_low", "unknown_code", "negative_price"]
    d = broken_market.daily.astype({"ts_code": str, "trade_date": str})
    neg = log.iloc[0]
    row = d[(d["ts_code"] == neg["ts_code"]) & (d["trade_date"] == neg["trade_date"])]
    assert (row["close"] < 0).all() and len(row) == 1
    unknown = d[d["ts_code"] == "699999.SH"]
    assert list(unknown["trade_date"]) == ["20240307"]
    assert "699999.SH" not in set(broken_market.stock_basic["ts_code"])
    q = broken_market.qmt_daily.astype({"stock_code": str})
    assert (q["high"] < q["low"]).sum() == 1 and (q["close"] < 0).sum() == 1
    assert (d["close"] < 0).sum() == 1 and (d["high"] < d["low"]).sum() == 0
    assert (broken_market.daily_basic["close"] > 0).all()  # only the named provider table is corrupted


def test_broken_row_on_a_closed_day_is_rejected() -> None:
    from argus.config import BrokenRow

    bad = (BrokenRow(kind="negative_price", trade_date=dt.date(2024, 2, 12)),)
    with pytest.raises(ValueError, match="2024-02-12"):
        SimulatedMarket.build(small_config(broken_rows=bad))


def test_window_too_short_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least"):
        SimulatedMarket.build(small_config(end_date=dt.date(2024, 1, 10)))


def test_visible_reveals_one_day_at_a_time(market) -> None:
    days = market.days.strftime("%Y%m%d")
    k = 30
    first = market.visible("daily", days[k])
    second = market.visible("daily", days[k + 1])
    assert first["trade_date"].astype(str).max() == days[k]
    extra = second.iloc[len(first) :]
    assert set(extra["trade_date"].astype(str)) == {days[k + 1]}
    assert len(extra) == (market.daily["trade_date"] == days[k + 1]).sum()
    # A calendar holiday reveals nothing new.
    assert len(market.visible("daily", "2024-02-12")) == len(market.visible("daily", "2024-02-08"))
