"""Shared builders for the simulator tests (a uniquely named module: tests/ has no packages)."""

from __future__ import annotations

import datetime as dt

from argus.config import BrokenRow, MarketConfig
from simulator import SimulatedMarket

START, END = dt.date(2024, 1, 2), dt.date(2024, 6, 28)


def small_config(**changes) -> MarketConfig:
    base = dict(
        seed=7,
        securities=20,
        start_date=START,
        end_date=END,
        discrepancies={"rate": 0.02, "price_noise_max": 0.02},
    )
    return MarketConfig.model_validate({**base, **changes})


BROKEN = (
    BrokenRow(kind="negative_price", provider="tushare", trade_date=dt.date(2024, 3, 5)),
    BrokenRow(kind="high_below_low", provider="qmt", trade_date=dt.date(2024, 3, 6)),
    BrokenRow(kind="unknown_code", provider="tushare", trade_date=dt.date(2024, 3, 7)),
    BrokenRow(kind="negative_price", provider="qmt", trade_date=dt.date(2024, 3, 8), ts_code=None),
)


def role(market: SimulatedMarket, name: str) -> str:
    """The ts_code the generator gave a ground-truth role."""
    codes = market.securities.loc[market.securities["role"] == name, "ts_code"]
    assert len(codes) == 1, f"expected one {name}, got {list(codes)}"
    return codes.iloc[0]
