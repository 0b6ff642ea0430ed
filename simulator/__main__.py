"""`python -m simulator [config.yml]`: serve the configured simulated market until interrupted."""

from __future__ import annotations

import sys
import threading

from argus.config import MarketConfig, load_config
from simulator.market import SimulatedMarket
from simulator.server import MarketServer


def serve_forever(cfg: MarketConfig, token: str = "argus-sim") -> None:
    """Build the market and block serving it; Ctrl-C stops."""
    market = SimulatedMarket.build(cfg)
    with MarketServer(market, token) as server:
        print(f"tushare_url={server.tushare_url} token={server.token}", flush=True)
        print(f"qmt_url={server.qmt_url} as_of={server.as_of}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    serve_forever(load_config(sys.argv[1] if len(sys.argv) > 1 else None).market)
