"""Builds the MarketContext a decision needs from the exchange, the regime and the store.

A few reads per signal (account, positions, mark, klines for ATR): signals
are rare, and deciding on fresh numbers matters more than saving weight.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from bot.decisions.indicators import atr
from bot.decisions.pipeline import MarketContext, last_stop_failure_at
from bot.decisions.ports import Clock, EventReader
from bot.decisions.regime import RegimeTracker, closed_only
from bot.domain import Account, Direction, Kline, Position, Regime, Signal, SymbolFilters

log = logging.getLogger(__name__)


class MarketReader(Protocol):
    """The read half of ``bot.protection.ports.Exchange`` this module uses."""

    def account(self) -> Account: ...

    def positions(self) -> list[Position]: ...

    def mark_price(self, symbol: str) -> Decimal: ...

    def filters(self, symbol: str) -> SymbolFilters: ...

    def klines(self, symbol: str, interval: str, limit: int = 500) -> list[Kline]: ...


class TradeReader(EventReader, Protocol):
    def open_trades(self) -> list[Any]: ...


class ExchangeContextProvider:
    """``ctx_provider`` for ``DecisionPipeline.decide``: call it with the signal."""

    def __init__(
        self, exchange: MarketReader, store: TradeReader, regime: RegimeTracker | None,
        leverage: int | Callable[[str], int], atr_interval: str = "15m", atr_period: int = 14,
        clock: Clock | None = None,
    ) -> None:
        self._ex = exchange
        self._store = store
        self._regime = regime
        self._leverage = leverage
        self._atr_interval = atr_interval
        self._atr_period = atr_period
        self._clock = clock or (lambda: datetime.now(UTC))

    def __call__(self, signal: Signal) -> MarketContext:
        symbol = signal.symbol
        positions = self._ex.positions()
        open_symbols = {p.symbol for p in positions}
        entries = sum(1 for t in self._store.open_trades() if t.symbol == symbol)
        if symbol in open_symbols:
            entries = max(entries, 1)  # an adopted position counts even without a trade row
        current = self._regime.current if self._regime is not None else None
        return MarketContext(
            account=self._ex.account(), mark_price=self._ex.mark_price(symbol),
            filters=self._ex.filters(symbol),
            leverage=self._leverage(symbol) if callable(self._leverage) else self._leverage,
            open_positions=len(open_symbols), symbol_has_position=symbol in open_symbols,
            position_direction=next((p.direction for p in positions if p.symbol == symbol),
                                    None),
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
        bars = closed_only(self._ex.klines(symbol, self._atr_interval, 100), self._clock())
        value = atr([float(k.high) for k in bars], [float(k.low) for k in bars],
                    [float(k.close) for k in bars], self._atr_period)
        return Decimal(f"{value:.10g}") if value else None
