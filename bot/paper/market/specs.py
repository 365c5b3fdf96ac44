"""Per-symbol parameters of the simulated market: start price, tick, beta to BTC, volatility.

Ticks match the venue's filters (``bot.paper.specs``) so every simulated price
is a valid order price; any other name gets generic parameters drawn from the
seed and the name, so a 200-symbol benchmark is reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

DRIVER = "BTCUSDT"


@dataclass(frozen=True)
class MarketSpec:
    """How one symbol moves: ``beta`` times BTC's return plus its own noise and gaps."""

    symbol: str
    start_price: Decimal
    tick: Decimal
    qty_decimals: int
    beta: float  # sensitivity to BTC's log return (BTC itself: 1, and no own noise)
    idio_vol_per_hour: float  # own log-return volatility on top of beta * BTC
    jump_scale: float  # typical size of a gap, as a log return
    volume_per_minute: float  # base traded quantity per minute, in coins

    @property
    def vol_unit(self) -> Decimal:
        return Decimal(1).scaleb(-self.qty_decimals)


def _spec(symbol: str, price: str, tick: str, qd: int, beta: float, idio: float,
          jump: float, volume: float) -> MarketSpec:
    return MarketSpec(symbol, Decimal(price), Decimal(tick), qd, beta, idio, jump, volume)


KNOWN_MARKETS: dict[str, MarketSpec] = {
    s.symbol: s
    for s in (
        _spec("BTCUSDT", "95000", "0.10", 3, 1.0, 0.0, 0.006, 150.0),
        _spec("ETHUSDT", "3300", "0.01", 3, 1.15, 0.0035, 0.009, 2500.0),
        _spec("SOLUSDT", "180", "0.0100", 0, 1.35, 0.005, 0.012, 15000.0),
        _spec("BNBUSDT", "650", "0.010", 2, 0.8, 0.003, 0.008, 900.0),
        _spec("XRPUSDT", "2.2", "0.0001", 1, 1.2, 0.0055, 0.012, 1_500_000.0),
        _spec("ATOMUSDT", "2.5", "0.001", 2, 1.3, 0.006, 0.013, 80_000.0),
        _spec("ICXUSDT", "0.12", "0.0001", 0, 1.3, 0.007, 0.014, 600_000.0),
    )
}

DEFAULT_MARKET_SYMBOLS: tuple[str, ...] = tuple(KNOWN_MARKETS)

GENERIC_TICK = Decimal("0.001")


def market_spec(symbol: str, seed: int) -> MarketSpec:
    """The known parameters, or generic ones (price ~10, tick 0.001) from seed and name."""
    known = KNOWN_MARKETS.get(symbol)
    if known is not None:
        return known
    if not symbol or not symbol.isalnum() or symbol.upper() != symbol:
        raise ValueError(f"symbol name {symbol!r} must be upper-case letters and digits")
    rng = random.Random(f"{seed}:{symbol}:spec")
    price = Decimal(str(round(10.0 * 2.0 ** rng.uniform(-0.6, 0.6), 3)))
    return MarketSpec(
        symbol=symbol,
        start_price=price,
        tick=GENERIC_TICK,
        qty_decimals=1,
        beta=round(rng.uniform(0.7, 1.5), 3),
        idio_vol_per_hour=round(rng.uniform(0.004, 0.008), 5),
        jump_scale=round(rng.uniform(0.008, 0.015), 4),
        volume_per_minute=round(rng.uniform(2_000.0, 20_000.0)),
    )
