"""Where a stop goes: the one policy for entries, adopted positions and the ladder.

The decisions pipeline prices an entry's stop with it and the monitor a stranger's,
so both get the same distance (ATR x multiple, or a percent), the same cap and the
same snapping: a stop is always rounded away from the position, never tighter
than asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.domain import Direction, Kline, SymbolFilters

MAX_STOP_FRACTION = Decimal("0.25")
"""An ATR from a wild hour must not put the stop a third of the price away."""


class StopMode(StrEnum):
    PERCENT = "percent"
    ATR = "atr"


@dataclass(frozen=True)
class StopPolicy:
    mode: StopMode = StopMode.ATR
    atr_mult: Decimal = Decimal("2")
    pct: Decimal = Decimal("0.02")
    atr_interval: str = "1h"
    atr_period: int = 14

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", StopMode(self.mode))
        if self.atr_mult <= 0:
            raise ValueError("stop_atr_mult must be > 0")
        if not Decimal(0) < self.pct < Decimal("0.5"):
            raise ValueError(f"stop_pct {self.pct} must be a fraction in (0, 0.5)")
        if self.atr_period < 1:
            raise ValueError("atr_period must be >= 1")

    def distance(self, price: Decimal, atr: Decimal | None) -> Decimal:
        """ATR x multiple (capped) in ATR mode when the ATR is known, else the percent."""
        if self.mode is StopMode.ATR and atr is not None and atr > 0:
            return min(atr * self.atr_mult, price * MAX_STOP_FRACTION)
        return price * self.pct

    def stop_for(self, direction: Direction, price: Decimal, atr: Decimal | None) -> Decimal:
        """The raw stop ``distance`` from ``price`` on the losing side (snap it before use)."""
        distance = self.distance(price, atr)
        return price - distance if direction is Direction.LONG else price + distance


def round_stop(direction: Direction, price: Decimal, f: SymbolFilters) -> Decimal:
    """Snap a stop to the tick away from the position (never a tighter stop than asked)."""
    return f.round_price(price, "down" if direction is Direction.LONG else "up")


def round_target(direction: Direction, target: Decimal, f: SymbolFilters) -> Decimal:
    """Snap a target to the tick away from the entry: to the nearest tick it could land
    on the entry price, and a take-profit there fills at once."""
    return f.round_price(target, "up" if direction is Direction.LONG else "down")


def stop_beyond(direction: Direction, mark: Decimal, fraction: Decimal,
                f: SymbolFilters) -> Decimal:
    """A trigger ``fraction`` of the mark on the losing side, rounded away from the mark."""
    return round_stop(direction, mark * (1 - fraction) if direction is Direction.LONG
                      else mark * (1 + fraction), f)


def farther_stop(direction: Direction, a: Decimal, b: Decimal) -> Decimal:
    """Of two triggers, the one farther from the price on the losing side."""
    return min(a, b) if direction is Direction.LONG else max(a, b)


def inside_liquidation(direction: Direction, stop: Decimal, liquidation: Decimal | None,
                       margin: Decimal) -> Decimal:
    """The stop, pulled ``margin`` inside the liquidation price if it lay beyond it: a stop
    the venue would never reach (it liquidates first) protects nothing."""
    if liquidation is None or liquidation <= 0:
        return stop
    if direction is Direction.LONG:
        return max(stop, liquidation * (1 + margin))
    return min(stop, liquidation * (1 - margin))


def atr_of(bars: Sequence[Kline], period: int) -> Decimal | None:
    """Wilder's average true range of the latest bar; None while there are too few bars."""
    ranges = [
        max(b.high - b.low, abs(b.high - prev.close), abs(b.low - prev.close))
        for prev, b in zip(bars, bars[1:], strict=False)
    ]
    if period < 1 or len(ranges) < period:
        return None
    current = sum(ranges[:period], Decimal(0)) / period
    for value in ranges[period:]:
        current = (current * (period - 1) + value) / period
    return current
