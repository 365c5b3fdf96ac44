"""Builds the MarketContext a decision needs from the exchange, the regime and the store.

A few reads per signal (account, positions, mark, klines for ATR): signals
are rare, and deciding on fresh numbers matters more than saving weight. "Fresh"
is checked, not assumed: a mark price or a candle set older than its limit would
size a position and place its stop on a market that has moved on, so the context
refuses (StaleInputError, which the pipeline records as the denial's reason). A
stale or missing global regime reaches the rules as unknown (None).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from bot.decisions.pipeline import MarketContext, last_stop_failure_at
from bot.decisions.ports import EventReader
from bot.decisions.regime import RegimeTracker, closed_only
from bot.domain import (
    Account,
    Direction,
    Kline,
    MarkQuote,
    Position,
    Regime,
    Signal,
    SymbolFilters,
)
from bot.domain.ports import Clock
from bot.protection.stop_policy import atr_of
from bot.settings import Settings

log = logging.getLogger(__name__)


class StaleInputError(RuntimeError):
    """An input too old to size a position or place a stop on; the message is the reason."""


class MarketReader(Protocol):
    """The read half of ``bot.protection.ports.Exchange`` this module uses."""

    def account(self) -> Account: ...

    def positions(self) -> list[Position]: ...

    def mark_quote(self, symbol: str) -> MarkQuote: ...

    def filters(self, symbol: str) -> SymbolFilters: ...

    def klines(self, symbol: str, interval: str, limit: int = 500) -> list[Kline]: ...


class TradeReader(EventReader, Protocol):
    def open_trades(self) -> list[Any]: ...


@dataclass(frozen=True)
class InputLimits:
    """How old the inputs of sizing and stops may be (QT_MARK_MAX_AGE_S, QT_KLINE_MAX_LAG_S)."""

    mark_max_age_s: float = 30.0
    kline_max_lag_s: float = 120.0  # beyond the moment the next candle should have closed

    @classmethod
    def from_settings(cls, settings: Settings) -> InputLimits:
        return cls(float(settings.mark_max_age_s), float(settings.kline_max_lag_s))


def mark_problem(quote: MarkQuote, now: datetime, max_age_s: float) -> str | None:
    """Why a mark price must not be used, or None. Without a venue time its age is unknown,
    which counts as too old."""
    if quote.time is None:
        return f"mark price of {quote.symbol} carries no time: its age is unknown"
    age = (now - quote.time).total_seconds()
    if age > max_age_s:
        return f"mark price of {quote.symbol} is {age:.0f} s old (limit {max_age_s:.0f} s)"
    return None


def klines_problem(symbol: str, bars: Sequence[Kline], now: datetime,
                   max_lag_s: float) -> str | None:
    """Why closed candles must not be used, or None: the candle after the newest one should
    have closed more than ``max_lag_s`` ago (the feed stopped). No candles: nothing is used."""
    if not bars:
        return None
    last = bars[-1]
    length = last.close_time - last.open_time + timedelta(milliseconds=1)
    overdue = (now - (last.close_time + length)).total_seconds()
    if overdue > max_lag_s:
        return (f"candles of {symbol} end at {last.close_time.isoformat()}: "
                f"{overdue:.0f} s past the next close (limit {max_lag_s:.0f} s)")
    return None


class ExchangeContextProvider:
    """``ctx_provider`` for ``DecisionPipeline.decide``: call it with the signal."""

    def __init__(
        self, exchange: MarketReader, store: TradeReader, regime: RegimeTracker | None,
        leverage: int | Callable[[str], int], atr_interval: str = "15m", atr_period: int = 14,
        clock: Clock | None = None, limits: InputLimits | None = None,
    ) -> None:
        self._ex = exchange
        self._store = store
        self._regime = regime
        self._leverage = leverage
        self._atr_interval = atr_interval
        self._atr_period = atr_period
        self._clock = clock or (lambda: datetime.now(UTC))
        self._limits = limits or InputLimits()

    def __call__(self, signal: Signal) -> MarketContext:
        symbol = signal.symbol
        quote = self._ex.mark_quote(symbol)
        problem = mark_problem(quote, self._clock(), self._limits.mark_max_age_s)
        if problem:
            raise StaleInputError(problem)
        positions = self._ex.positions()
        open_symbols = {p.symbol for p in positions}
        entries = sum(1 for t in self._store.open_trades() if t.symbol == symbol)
        if symbol in open_symbols:
            entries = max(entries, 1)  # an adopted position counts even without a trade row
        current = self._regime.usable() if self._regime is not None else None
        held = next((p for p in positions if p.symbol == symbol), None)
        return MarketContext(
            account=self._ex.account(), mark_price=quote.price,
            filters=self._ex.filters(symbol),
            leverage=self._leverage(symbol) if callable(self._leverage) else self._leverage,
            open_positions=len(open_symbols), symbol_has_position=symbol in open_symbols,
            position_direction=held.direction if held is not None else None,
            position_quantity=held.quantity if held is not None else Decimal(0),
            entries_on_symbol=entries if symbol in open_symbols else 0,
            global_regime=current.regime if current is not None else None,
            local_trend=self._local_trend(signal, current.regime if current else None),
            last_stop_failure_at=last_stop_failure_at(self._store, symbol),
            atr=None if signal.stop_price is not None else self._atr(symbol),
        )

    def _local_trend(self, signal: Signal, global_regime: Regime | None) -> Regime | None:
        """Only a short against an uptrend needs it (its exception): spare the klines read."""
        if (self._regime is None or signal.direction is not Direction.SHORT
                or global_regime is not Regime.UPTREND):
            return None
        return self._regime.local_trend(signal.symbol).regime

    def _atr(self, symbol: str) -> Decimal | None:
        now = self._clock()
        bars = closed_only(self._ex.klines(symbol, self._atr_interval, 100), now)
        problem = klines_problem(symbol, bars, now, self._limits.kline_max_lag_s)
        if problem:
            raise StaleInputError(problem)
        return atr_of(bars, self._atr_period)
