"""Small simulated markets shared by the simulator tests (each builds in well under a second)."""

from __future__ import annotations

import pytest
from sim_support import BROKEN, small_config

from argus.config import MarketConfig
from simulator import MarketServer, SimulatedMarket


@pytest.fixture(scope="session")
def cfg() -> MarketConfig:
    return small_config()


@pytest.fixture(scope="session")
def market(cfg: MarketConfig) -> SimulatedMarket:
    return SimulatedMarket.build(cfg)


@pytest.fixture(scope="session")
def broken_market() -> SimulatedMarket:
    return SimulatedMarket.build(small_config(broken_rows=BROKEN))


@pytest.fixture()
def server(market: SimulatedMarket):
    with MarketServer(market, token="test-token") as srv:
        yield srv
