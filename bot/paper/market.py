"""The paper exchange's market: simulated or replayed prices, ticks and klines.

This is the import point; the parts live in ``market_*`` modules (types and
intervals, the 1m bar store, the price model, the simulator, the CSV replay).
"""

from bot.paper.market_model import Gap, Phase
from bot.paper.market_replay import ReplayMarket
from bot.paper.market_sim import DEFAULT_START_MS, MarketSimulator
from bot.paper.market_specs import DEFAULT_MARKET_SYMBOLS, KNOWN_MARKETS, MarketSpec, market_spec
from bot.paper.market_types import (
    INTERVAL_MS,
    MAX_KLINES_LIMIT,
    Candle,
    MarketDataError,
    MarketSource,
    Tick,
    UnknownSymbolError,
    interval_ms,
)

__all__ = [
    "DEFAULT_MARKET_SYMBOLS",
    "DEFAULT_START_MS",
    "INTERVAL_MS",
    "KNOWN_MARKETS",
    "MAX_KLINES_LIMIT",
    "Candle",
    "Gap",
    "MarketDataError",
    "MarketSimulator",
    "MarketSource",
    "MarketSpec",
    "Phase",
    "ReplayMarket",
    "Tick",
    "UnknownSymbolError",
    "interval_ms",
    "market_spec",
]
