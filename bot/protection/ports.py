"""The small surfaces protection needs from the rest of the bot.

Protection depends on these Protocols, not on ``bot.store`` directly, so it can
be tested with in-memory fakes and wired to the real Store by a thin adapter
(the store implements them directly).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from bot.domain import (
    Account,
    ConditionalOrder,
    Fill,
    Kline,
    Order,
    Position,
    Side,
    SymbolFilters,
    Trade,
    WorkingType,
)


class TradeBook(Protocol):
    """The books as protection sees them; the store implements it."""

    def open_trades(self) -> list[Trade]: ...

    def record_open(self, trade: Trade) -> Trade:
        """Returns the trade with the id the books gave it."""

    def record_close(
        self, trade: Trade, exit_price: Decimal, reason: str, pnl_usdt: Decimal,
        pnl_pct_equity: Decimal | None, closed_at: datetime, fees_usdt: Decimal | None = None,
    ) -> None:
        """Raises ``AlreadyClosedError`` (a ValueError) if another closer booked it first."""


class LeaseStore(Protocol):
    def acquire_lease(self, account: str, owner: str, ttl_s: float, now: datetime) -> bool: ...

    def renew_lease(self, account: str, owner: str, ttl_s: float, now: datetime) -> bool: ...

    def release_lease(self, account: str, owner: str) -> None: ...


def trades_for(book: TradeBook, symbol: str) -> list[Trade]:
    return [t for t in book.open_trades() if t.symbol == symbol]


class Exchange(Protocol):
    # --- reads (the monitor's cycle uses positions + open_conditional_orders + open_orders) ---
    def positions(self) -> list[Position]:
        """All non-zero positions, one request (GET /fapi/v3/positionRisk)."""

    def open_conditional_orders(self, symbol: str | None = None) -> list[ConditionalOrder]:
        """Untriggered orders in the Algo book (GET /fapi/v1/openAlgoOrders)."""

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Open orders in the ordinary book (GET /fapi/v1/openOrders)."""

    def get_conditional(self, symbol: str, client_algo_id: str) -> ConditionalOrder | None:
        """One algo order by client id, any status; None when the exchange has none."""

    def order_by_id(self, symbol: str, order_id: int) -> Order | None:
        """One ordinary order by the venue's id (whose client id names who sent it)."""

    def user_trades(self, symbol: str, start: datetime | None = None,
                    limit: int = 500) -> list[Fill]:
        """The account's fills on the symbol since ``start`` (GET /fapi/v1/userTrades)."""

    def get_order(self, symbol: str, client_order_id: str) -> Order | None:
        """One ordinary order by client id, any status; None when the exchange has none."""

    def mark_price(self, symbol: str) -> Decimal: ...

    def mark_prices(self) -> dict[str, Decimal]: ...

    def klines(self, symbol: str, interval: str, limit: int = 500) -> list[Kline]: ...

    def filters(self, symbol: str) -> SymbolFilters:
        """Cached exchangeInfo filters; raises InvalidOrderError for an unknown symbol."""

    def symbols(self) -> list[str]: ...

    def account(self) -> Account: ...

    # --- writes ---
    def set_leverage(self, symbol: str, leverage: int) -> None: ...

    def market_order(
        self, symbol: str, side: Side, quantity: Decimal, client_order_id: str,
        reduce_only: bool = False,
    ) -> Order: ...

    def place_stop(
        self, symbol: str, side: Side, trigger_price: Decimal, client_algo_id: str,
        quantity: Decimal | None = None, working_type: WorkingType = WorkingType.MARK_PRICE,
    ) -> ConditionalOrder:
        """STOP_MARKET in the Algo book: closePosition when quantity is None, else reduce-only."""

    def place_take_profit(
        self, symbol: str, side: Side, trigger_price: Decimal, client_algo_id: str,
        quantity: Decimal | None = None, working_type: WorkingType = WorkingType.MARK_PRICE,
    ) -> ConditionalOrder: ...

    def place_trailing_stop(
        self, symbol: str, side: Side, quantity: Decimal, callback_rate: Decimal,
        client_algo_id: str, activate_price: Decimal | None = None,
        working_type: WorkingType = WorkingType.MARK_PRICE,
    ) -> ConditionalOrder:
        """TRAILING_STOP_MARKET, reduce-only; callback_rate is a percent sent as is."""

    def cancel_conditional(
        self, symbol: str, algo_id: int | None = None, client_algo_id: str | None = None
    ) -> None:
        """Cancel one algo order; UnknownOrderError when it is already gone."""

    def cancel_order(self, symbol: str, order_id: int) -> None: ...

    @property
    def used_weight(self) -> int:
        """Last X-MBX-USED-WEIGHT-1M the exchange reported."""

    @property
    def request_count(self) -> int:
        """Requests sent since creation, by every thread."""

    @property
    def thread_request_count(self) -> int:
        """Requests the calling thread has sent (the monitor's own O(1) budget)."""
