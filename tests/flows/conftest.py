"""One small market (20 securities × one quarter) run through the whole flow, three times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from prefect.testing.utilities import prefect_test_harness

from argus.config import ArgusConfig
from argus.summary import RunSummary
from flows.daily import argus_daily
from simulator import SimulatedMarket

BROKEN_ROWS = [
    {"kind": "negative_price", "trade_date": "2024-08-05"},
    {"kind": "unknown_code", "trade_date": "2024-08-06"},
    {"kind": "high_below_low", "trade_date": "2024-08-07"},
]
GOLD_FINGERPRINT = """
    select count(*), md5(string_agg(row_to_json(f)::text, '|' order by ts_code, trade_date))
      from gold.fct_daily_bar f
"""


@dataclass
class FlowRuns:
    config: ArgusConfig
    config_path: str
    market: SimulatedMarket
    first: RunSummary
    advanced: RunSummary
    repeated: RunSummary
    fingerprint_before_repeat: tuple
    fingerprint_after_repeat: tuple


@pytest.fixture(scope="session")
def prefect_harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def e2e_config(base_config: ArgusConfig, tmp_path_factory, write_config) -> tuple[ArgusConfig, str]:
    folder = tmp_path_factory.mktemp("e2e")
    config = base_config.with_market(
        securities=20, start_date=dt.date(2024, 7, 1), end_date=dt.date(2024, 9, 30),
        broken_rows=BROKEN_ROWS, discrepancies={"rate": 0.01, "price_noise_max": 0.02},
    )
    config = config.model_copy(update={
        "export": config.export.model_copy(update={"qlib_dir": folder / "qlib"}),
        # With 20 securities one disagreeing close is already 5% of a day's pairs.
        "gates": config.gates.model_copy(update={"min_close_consistency": 0.85}),
    })
    return config, str(write_config(config, folder))


def _fingerprint(info) -> tuple:
    with info.connect() as conn:
        return tuple(conn.execute(GOLD_FINGERPRINT).fetchone())


@pytest.fixture(scope="session")
def flow_runs(database, prefect_harness, e2e_config) -> FlowRuns:
    config, path = e2e_config
    market = SimulatedMarket.build(config.market)
    first = argus_daily(config_path=path, as_of=market.days[-2].date())
    advanced = argus_daily(config_path=path)
    before = _fingerprint(database)
    repeated = argus_daily(config_path=path)
    return FlowRuns(config, path, market, first, advanced, repeated, before, _fingerprint(database))
