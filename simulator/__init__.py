"""A deterministic simulated A-share market served over the real provider protocols on loopback."""

from simulator.market import SimulatedMarket
from simulator.server import MarketServer

__all__ = ["MarketServer", "SimulatedMarket"]
