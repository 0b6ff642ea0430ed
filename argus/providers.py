"""Resolve provider endpoints: live services from the configuration, else the simulated market."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from argus.config import ArgusConfig, ConfigError
from extract.pipeline import Endpoints

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Providers publish the day's bars between 15:30 and 17:00 Shanghai time.
PUBLISHED_BY = dt.time(17, 0)
# The simulated providers check tokens like the real ones; the demo's is public.
DEMO_TOKEN = "argus-sim"


def live_through(now: dt.datetime | None = None) -> dt.date:
    """The last calendar day whose daily data a live provider has published."""
    now = (now or dt.datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    return now.date() if now.time() >= PUBLISHED_BY else now.date() - dt.timedelta(days=1)


@contextmanager
def provider_endpoints(config: ArgusConfig, as_of: dt.date | None = None) -> Iterator[tuple[Endpoints, dt.date]]:
    """Yield the endpoints to extract from and the last date they have published."""
    providers = config.providers
    if providers.live:
        if not (providers.tushare.url and providers.qmt.url):
            raise ConfigError("providers: set both tushare.url and qmt.url for a live run, or neither for the demo")
        token = os.environ.get(providers.tushare.token_env, "")
        qmt_token = os.environ.get(providers.qmt.token_env) or None
        yield Endpoints(providers.tushare.url, token, providers.qmt.url, qmt_token), as_of or live_through()
        return

    from simulator.server import market_process

    market_cfg = config.market if as_of is None else config.market.model_copy(update={"as_of": as_of})
    with market_process(market_cfg, token=DEMO_TOKEN, qmt_token=DEMO_TOKEN) as (tushare_url, qmt_url):
        yield Endpoints(tushare_url, DEMO_TOKEN, qmt_url, DEMO_TOKEN), market_cfg.published_through
