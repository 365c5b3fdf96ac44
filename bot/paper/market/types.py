"""The market's public vocabulary: ticks, candles, the source protocol and Binance intervals.

The matching engine and the REST front depend on these names only, so the
simulator and the CSV replay are interchangeable behind ``MarketSource``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Protocol

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
MAX_KLINES_LIMIT = 1500

INTERVAL_MS: dict[str, int] = {
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
}

_ZERO = Decimal("0")


class MarketDataError(ValueError):
    """Replay data that cannot be used; the message names the file and line."""


class UnknownSymbolError(ValueError):
    """A symbol this market does not carry (the REST front answers -1121)."""

    def __init__(self, symbol: str) -> None:
        super().__init__(f"unknown symbol {symbol!r}")
        self.symbol = symbol


def interval_ms(interval: str) -> int:
    """Length of a Binance kline interval; a clear error for the ones we do not serve."""
    try:
        return INTERVAL_MS[interval]
    except KeyError:
        raise ValueError(
            f"invalid interval {interval!r}; expected one of {', '.join(INTERVAL_MS)}"
        ) from None


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ValueError(f"limit must be an integer, got {limit!r}")
    if not 1 <= limit <= MAX_KLINES_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_KLINES_LIMIT}, got {limit}")
    return limit


@dataclass(frozen=True)
class Tick:
    """One price update: the last traded price and the mark price at ``time_ms``."""

    symbol: str
    time_ms: int
    last: Decimal
    mark: Decimal


def _fmt(value: Decimal, precision: int | None) -> str:
    if precision is not None:
        value = value.quantize(Decimal(1).scaleb(-precision))
    return format(value, "f")


@dataclass(frozen=True)
class Candle:
    """One kline. Prices carry the symbol's precision in their exponent (or ``price_precision``)."""

    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    close_time: int
    trades: int
    quote_volume: Decimal = _ZERO
    taker_buy_volume: Decimal = _ZERO
    taker_buy_quote_volume: Decimal = _ZERO
    price_precision: int | None = None

    def to_wire(self) -> list:
        """Binance's kline array, strings where Binance sends strings (a fresh list each time:
        the caller may change it; the formatting is done once per candle, which ``MinuteBars``
        keeps once final)."""
        return list(self._wire)

    @cached_property
    def _wire(self) -> tuple:
        p = self.price_precision
        return (
            self.open_time,
            _fmt(self.open, p),
            _fmt(self.high, p),
            _fmt(self.low, p),
            _fmt(self.close, p),
            format(self.volume, "f"),
            self.close_time,
            format(self.quote_volume, "f"),
            self.trades,
            format(self.taker_buy_volume, "f"),
            format(self.taker_buy_quote_volume, "f"),
            "0",
        )


class MarketSource(Protocol):
    def symbols(self) -> list[str]: ...

    def advance_to(self, now_ms: int) -> list[Tick]:
        """New price updates since the last call, oldest first; none for an earlier now_ms.

        Ticks made by ``set_price`` are included (after the path that led up
        to them), so an engine that only reads ``advance_to`` sees every jump.
        """

    def last_price(self, symbol: str) -> Decimal: ...

    def mark_price(self, symbol: str) -> Decimal: ...

    def klines(
        self,
        symbol: str,
        interval: str,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 500,
    ) -> list[Candle]: ...

    def set_price(
        self, symbol: str, price: Decimal, now_ms: int, mark: Decimal | None = None
    ) -> Tick:
        """An immediate jump (a gap) into the current candle; the path continues from it."""
