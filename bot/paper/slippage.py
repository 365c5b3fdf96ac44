"""Adverse taker slippage: why a paper market fill is not exactly the last price.

The venue has no order book, so without a model every market order and every
triggered stop would fill at the last trade, and a stop loss would never cost
more than its trigger: a paper result kinder than any real venue. The default
model draws, for each taker fill, a uniform amount in (0, max_bps] basis points
against the taker and rounds the price to the tick on the adverse side, so a
fill is always at least one tick worse and never better. The draws come from a
generator seeded by the venue's seed: the same seed and the same calls give the
same prices. ``max_bps=0`` switches it off (fills at the last price exactly).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from bot.paper import rules
from bot.paper.model import Side

DEFAULT_SLIPPAGE_BPS = Decimal("2")
MAX_SLIPPAGE_BPS = Decimal("1000")  # 10%: beyond that a setting is a typo, not a model
BPS = Decimal("10000")
STEPS = 1000  # resolution of the draw: max_bps / 1000


@dataclass(frozen=True)
class Slippage:
    """Uniform adverse slippage in (0, max_bps] basis points per taker fill."""

    max_bps: Decimal = DEFAULT_SLIPPAGE_BPS

    def __post_init__(self) -> None:
        if not isinstance(self.max_bps, Decimal) or not self.max_bps.is_finite():
            raise ValueError("max_bps must be a finite Decimal")
        if not 0 <= self.max_bps <= MAX_SLIPPAGE_BPS:
            raise ValueError(f"max_bps must be in [0, {MAX_SLIPPAGE_BPS}]")

    @classmethod
    def bps(cls, value: Decimal | str | int) -> Slippage:
        return cls(Decimal(value))

    @property
    def enabled(self) -> bool:
        return self.max_bps > 0

    def fraction(self, rng: random.Random) -> Decimal:
        """One draw as a fraction of the price; no draw (and no rng use) when off."""
        if not self.enabled:
            return Decimal(0)
        return self.max_bps * rng.randint(1, STEPS) / STEPS / BPS

    def fill_price(self, side: Side, last: Decimal, tick: Decimal, rng: random.Random) -> Decimal:
        """The taker's price: ``last`` moved against the taker, snapped to the tick, >= 1 tick."""
        price = rules.market_fill_price(side, last, self.fraction(rng), tick)
        return max(price, tick)


NO_SLIPPAGE = Slippage(Decimal(0))
DEFAULT_SLIPPAGE = Slippage()
