"""The paper exchange's market: simulated or replayed prices, ticks and klines.

This is the import point; the parts live in this package's modules: ``types``
(intervals, candles, the ``MarketSource`` protocol), ``bars`` (the 1m bar store),
``specs`` (per-symbol price scales), ``model`` (the seeded price model), ``sim``
(the simulator), ``csv_files`` and ``replay`` (Binance's 1m CSV replay), ``windowed``
(the same replay streamed, for long runs).
"""

from bot.paper.market.model import Gap, Phase
from bot.paper.market.replay import ReplayMarket
from bot.paper.market.sim import DEFAULT_START_MS, MarketSimulator
from bot.paper.market.specs import DEFAULT_MARKET_SYMBOLS, KNOWN_MARKETS, MarketSpec, market_spec
from bot.paper.market.types import (
    INTERVAL_MS,
    MAX_KLINES_LIMIT,
    Candle,
    MarketDataError,
    MarketSource,
    Tick,
    UnknownSymbolError,
    interval_ms,
)
from bot.paper.market.windowed import WindowedReplayMarket

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
    "WindowedReplayMarket",
    "interval_ms",
    "market_spec",
]
