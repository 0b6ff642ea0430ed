"""Adjustment maths per kind of corporate action, derived by the warehouse from pre_close alone.

Tushare's factors are withheld, so silver must derive every factor from the bars
(ratio method); the simulated market knows the true factor of each case.
"""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pandas as pd
import pytest

from argus import db
from argus.dbt import build_stage
from extract.pipeline import Endpoints, run_extract
from simulator import MarketServer, SimulatedMarket


@pytest.fixture(scope="module")
def derived(server, base_config):
    config = base_config.with_market(
        securities=16, start_date=dt.date(2024, 3, 1), end_date=dt.date(2024, 8, 30),
        discrepancies={"rate": 0.0, "price_noise_max": 0.02},
    )
    market = SimulatedMarket.build(config.market)
    info = server.with_database(f"argus_actions_{uuid.uuid4().hex[:8]}")
    db.ensure_database(info)
    with MarketServer(market) as served:
        endpoints = Endpoints(served.tushare_url, served.token, served.qmt_url, served.token)
        for provider in ("tushare", "qmt"):
            run_extract(provider, info, endpoints, config, "actions", market.days[-1].date())
    with info.connect() as conn:
        conn.execute("truncate raw_tushare.adj_factor")
    for stage in ("bronze", "silver"):
        build_stage(stage, info, config)
    with info.connect() as conn:
        cur = conn.execute("""select ts_code, to_char(trade_date, 'YYYYMMDD') as trade_date,
                                     adj_factor, adj_factor_source from silver.slv_adj_factor""")
        factors = pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])
    db.drop_database(info)
    truth = market.true_factor.astype({"ts_code": str, "trade_date": str})
    merged = truth.merge(factors, on=["ts_code", "trade_date"], validate="one_to_one")
    assert len(merged) == len(truth) == len(factors)
    return market, merged.sort_values(["ts_code", "trade_date"]).reset_index(drop=True)


def _case(market: SimulatedMarket, role: str) -> str:
    codes = market.securities.loc[market.securities["role"] == role, "ts_code"].tolist()
    assert len(codes) == 1, f"the simulated market should have one {role} security"
    return codes[0]


def _relative(merged: pd.DataFrame, code: str) -> pd.DataFrame:
    """Both factors rebased to their first day: a derived series starts at 1 in the window."""
    series = merged[merged["ts_code"] == code].copy()
    series["true_rel"] = series["factor"] / series["factor"].iloc[0]
    series["derived_rel"] = series["adj_factor"] / series["adj_factor"].iloc[0]
    return series


def _assert_matches_truth(series: pd.DataFrame, ex_dates: list[str]) -> None:
    assert set(series["adj_factor_source"]) == {"derived"}
    traded_ex = [d for d in ex_dates if d in set(series["trade_date"])]
    assert traded_ex, "no ex-date of this case falls inside the window"
    # Exchange prices are rounded to the fen, so a derived step can differ from the
    # unrounded true step by the rounding of pre_close (< 0.005 / price).
    np.testing.assert_allclose(series["derived_rel"], series["true_rel"], rtol=2e-3)


def _ex_dates(market: SimulatedMarket, code: str, **kinds) -> list[str]:
    actions = market.actions[market.actions["ts_code"] == code]
    for column in kinds:
        actions = actions[actions[column] > 0]
    return actions["ex_date"].astype(str).tolist()


def test_cash_dividend(derived):
    market, merged = derived
    cash_only = market.actions[(market.actions["cash"] > 0) & (market.actions[["bonus", "transfer", "rights"]]
                                                                .sum(axis=1) == 0)]
    code = cash_only["ts_code"].astype(str).iloc[0]
    _assert_matches_truth(_relative(merged, code), _ex_dates(market, code, cash=1))


def test_bonus_and_transfer_shares(derived):
    market, merged = derived
    code = _case(market, "bonus_transfer")
    ex = _ex_dates(market, code)
    assert any((market.actions["ts_code"] == code) & (market.actions["bonus"] + market.actions["transfer"] > 0))
    _assert_matches_truth(_relative(merged, code), ex)


def test_rights_issue(derived):
    market, merged = derived
    code = _case(market, "rights_issue")
    _assert_matches_truth(_relative(merged, code), _ex_dates(market, code, rights=1))


def test_two_actions_in_a_row(derived):
    market, merged = derived
    code = _case(market, "consecutive_ex")
    ex = sorted(_ex_dates(market, code))
    days = [d.strftime("%Y%m%d") for d in market.days]
    assert any(days.index(b) - days.index(a) == 1 for a, b in zip(ex, ex[1:]) if a in days and b in days)
    _assert_matches_truth(_relative(merged, code), ex)


def test_ex_date_on_a_suspended_day(derived):
    market, merged = derived
    code = _case(market, "suspended_ex")
    suspended = set(market.suspensions.loc[market.suspensions["ts_code"] == code, "trade_date"].astype(str))
    ex = _ex_dates(market, code)
    assert suspended & set(ex), "the ex-date should fall on a suspended day"
    series = _relative(merged, code)
    # The derived factor can only see the action on resumption; on traded days it matches the truth.
    traded = series[~series["trade_date"].isin(suspended)]
    np.testing.assert_allclose(traded["derived_rel"], traded["true_rel"], rtol=2e-3)
    # Suspended days carry the last traded factor forward: no prices to adjust there.
    on_hold = series[series["trade_date"].isin(suspended)]
    assert (on_hold["adj_factor"].diff().fillna(0) == 0).all()


def test_first_listed_day_has_factor_one(derived):
    market, merged = derived
    code = _case(market, "new_listing")
    series = merged[merged["ts_code"] == code]
    listed = market.securities.loc[market.securities["ts_code"] == code, "list_date"].iloc[0]
    assert series["trade_date"].iloc[0] == listed
    assert series["adj_factor"].iloc[0] == pytest.approx(1.0)
    np.testing.assert_allclose(series["adj_factor"], series["factor"], rtol=2e-3)
