"""The one ``Exchange`` implementation: Binance's endpoints mapped to domain objects, for paper,
testnet and live alike.

Why it looks like this:
- Conditional orders go to the Algo service only (``futures_create_algo_order``);
  the ordinary endpoint rejects them (STOP_ORDER_SWITCH_ALGO) since 2025-12-09.
- An order request whose answer is lost (timeout, HTTP 5xx, DISCONNECTED, TIMEOUT)
  may or may not have reached the engine. Placement resolves that here, by
  asking for the deterministic client id before sending again, so a retry can
  never put a second stop on the book. Those look-ups go down the orders lane:
  resolving a stop must not wait behind a slow read.
- How a request is sent (lanes, the rate budget, back-off, the clock resync, typed
  errors) is ``bot.exchange.transport``; the limits it counts against are read from
  exchangeInfo with the filters.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from bot.domain import (
    Account,
    ConditionalOrder,
    Fill,
    Kline,
    MarkQuote,
    Order,
    OrderType,
    Position,
    RequestBudget,
    Side,
    SymbolFilters,
    WorkingType,
)
from bot.domain.errors import BinanceErrorCode as Code
from bot.domain.errors import (
    DuplicateClientIdError,
    ExchangeError,
    FilterError,
    UnknownOrderError,
    UnknownStatusError,
    refused,
)
from bot.exchange import wire
from bot.exchange.budget import BudgetLimits, published_limits
from bot.exchange.filter_cache import FilterCache
from bot.exchange.rows import RowReader
from bot.exchange.transport import BinanceAPIException, Client, Lane, Transport, make_client
from bot.exchange.weights import WeightSnapshot, documented_weight

__all__ = ["BinanceAPIException", "BinanceAdapter", "Client", "make_client"]

log = logging.getLogger(__name__)

T = TypeVar("T")

KLINE_INTERVALS = frozenset(
    "1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M".split()
)


class BinanceAdapter:
    """Typed, thread-safe access to Binance USDⓈ-M futures (see ``bot.exchange.interface``)."""

    def __init__(self, client: Client, clock: Callable[[], float] = time.time,
                 limits: BudgetLimits | None = None, filters_max_age_s: float = 3600.0,
                 order_client: Client | None = None) -> None:
        """``order_client``: a second connection for orders and cancels, so the stop after a
        fill never waits behind a slow read on the shared one (see ``transport``)."""
        self._transport = Transport(client, order_client, clock, limits)
        self._client = client
        self._orders = self._transport.orders.client
        self._order_lane = self._transport.orders
        self._cache = FilterCache(self._exchange_info, clock, max_age_s=filters_max_age_s)
        self._rows = RowReader()
        self._last_klines: dict[tuple[str, str], dict[tuple, Kline]] = {}  # see _parse_klines

    def __repr__(self) -> str:
        return f"BinanceAdapter(url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        """The futures REST base requests really go to: python-binance prefers its testnet
        and demo hosts over FUTURES_URL when those flags are set."""
        client = self._client
        if getattr(client, "testnet", False):
            return str(client.FUTURES_TESTNET_URL)
        if getattr(client, "demo", False):
            return str(client.FUTURES_DEMO_URL)
        return str(client.FUTURES_URL)

    # --- bookkeeping --------------------------------------------------------------------------

    @property
    def used_weight(self) -> int:
        return self._transport.weights.used_weight

    @property
    def request_count(self) -> int:
        return self._transport.weights.request_count

    @property
    def thread_request_count(self) -> int:
        return self._transport.weights.thread_request_count

    def request_budget(self) -> RequestBudget:
        """Used weight and order counts, their limits, and any back-off: for the dashboard."""
        return self._transport.budget.view()

    @contextmanager
    def deferrable(self) -> Iterator[None]:
        """Reads made in this block on this thread are optional (strategy scans, decision
        context, dashboard-driven reads): above the reserve share they are refused locally.
        Placing, cancelling and their look-ups inside the block stay essential."""
        with self._transport.deferrable():
            yield

    def weight_snapshot(self) -> WeightSnapshot:
        """Per-endpoint request counts and documented weight, plus the last headers."""
        return self._transport.weights.snapshot()

    @property
    def time_offset_ms(self) -> int:
        return self._transport.time_offset_ms

    def resync_time(self) -> int:
        """Align request timestamps with the server's clock; returns the offset in ms."""
        return self._transport.resync_time()

    # --- reads --------------------------------------------------------------------------------

    def positions(self) -> list[Position]:
        return self._call("GET /fapi/v3/positionRisk", self._client.futures_position_information,
                          _parse=wire.parse_positions)

    def open_conditional_orders(self, symbol: str | None = None) -> list[ConditionalOrder]:
        """Open algo orders. A row that cannot be read is skipped (and logged once), not
        fatal: the answer is a ``PartialList`` whose ``unknown_symbols`` (and ``all_unknown``)
        say whose coverage is unknown rather than absent."""
        params = self._symbol_params(symbol)
        endpoint = "GET /fapi/v1/openAlgoOrders"
        return self._call(endpoint, self._client.futures_get_open_algo_orders,
                          _parse=lambda answer: self._rows.read(
                              endpoint, wire.algo_order_rows(answer),
                              wire.parse_conditional_order),
                          **params)

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Open ordinary orders, read row by row like ``open_conditional_orders``. Without a
        symbol it costs 40 and carries no stop: call it inside ``deferrable()`` so the reserve
        may refuse it (the monitor does not yet: a refusal would fail its whole cycle)."""
        params = self._symbol_params(symbol)
        endpoint = "GET /fapi/v1/openOrders"
        return self._call(endpoint, self._client.futures_get_open_orders,
                          _parse=lambda answer: self._rows.read(
                              endpoint, wire.list_rows(answer), wire.parse_order),
                          **params)

    def get_conditional(self, symbol: str, client_algo_id: str) -> ConditionalOrder | None:
        return self._conditional_by_id(symbol, client_algo_id, self._transport.reads)

    def _conditional_by_id(self, symbol: str, client_algo_id: str,
                           lane: Lane) -> ConditionalOrder | None:
        self.filters(symbol)
        try:
            order = self._call(
                "GET /fapi/v1/algoOrder", lane.client.futures_get_algo_order,
                _parse=wire.parse_conditional_order, _lane=lane, clientAlgoId=client_algo_id,
            )
        except UnknownOrderError:
            return None
        return order if order.symbol == symbol else None

    def get_order(self, symbol: str, client_order_id: str) -> Order | None:
        return self._order_by_client_id(symbol, client_order_id, self._transport.reads)

    def _order_by_client_id(self, symbol: str, client_order_id: str,
                            lane: Lane) -> Order | None:
        self.filters(symbol)
        try:
            return self._call(
                "GET /fapi/v1/order", lane.client.futures_get_order, _parse=wire.parse_order,
                _lane=lane, symbol=symbol, origClientOrderId=client_order_id,
            )
        except UnknownOrderError:
            return None

    def order_by_id(self, symbol: str, order_id: int) -> Order | None:
        """An ordinary order by the venue's id: who sent a fill's order (ours, a
        liquidation ``autoclose-``, a person) is in its client id."""
        self.filters(symbol)
        try:
            return self._call(
                "GET /fapi/v1/order", self._client.futures_get_order, _parse=wire.parse_order,
                symbol=symbol, orderId=order_id,
            )
        except UnknownOrderError:
            return None

    def user_trades(self, symbol: str, start: datetime | None = None,
                    limit: int = 500) -> list[Fill]:
        """The account's fills on ``symbol`` (oldest first): prices, realized PnL and
        commission as the venue booked them, so the books match the wallet."""
        self.filters(symbol)
        params: dict[str, Any] = {"symbol": symbol, "limit": limit}
        if start is not None:
            params["startTime"] = int(start.timestamp() * 1000)
        return self._call("GET /fapi/v1/userTrades", self._client.futures_account_trades,
                          _parse=wire.parse_fills, **params)

    def create_listen_key(self) -> str:
        """POST /fapi/v1/listenKey: the live key, or a new one (the stream's credential)."""
        return str(self._call("POST /fapi/v1/listenKey",
                              self._client.futures_stream_get_listen_key))

    def keepalive_listen_key(self, key: str) -> None:
        """PUT /fapi/v1/listenKey: another 60 minutes; an unknown key raises (re-create it)."""
        self._call("PUT /fapi/v1/listenKey", self._client.futures_stream_keepalive,
                   listenKey=key)

    def mark_price(self, symbol: str) -> Decimal:
        self.filters(symbol)
        prices = self._call("GET /fapi/v1/premiumIndex", self._client.futures_mark_price,
                            _parse=wire.parse_mark_prices, symbol=symbol)
        if symbol not in prices:
            raise UnknownStatusError(None, f"premiumIndex answered without {symbol}")
        return prices[symbol]

    def mark_quote(self, symbol: str) -> MarkQuote:
        """The mark price with the venue's time for it, for callers that must refuse an old
        one (sizing, stops)."""
        self.filters(symbol)
        quotes = self._call("GET /fapi/v1/premiumIndex", self._client.futures_mark_price,
                            _parse=wire.parse_mark_quotes, symbol=symbol)
        if symbol not in quotes:
            raise UnknownStatusError(None, f"premiumIndex answered without {symbol}")
        return quotes[symbol]

    def mark_prices(self) -> dict[str, Decimal]:
        return self._call("GET /fapi/v1/premiumIndex", self._client.futures_mark_price,
                          _parse=wire.parse_mark_prices)

    def klines(self, symbol: str, interval: str, limit: int = 500) -> list[Kline]:
        self.filters(symbol)
        if interval not in KLINE_INTERVALS:
            raise refused(Code.INVALID_INTERVAL, f"Invalid interval {interval!r}.")
        if not 1 <= limit <= 1500:
            raise refused(Code.INVALID_PARAMETER, f"limit must be in [1, 1500], got {limit}.")
        return self._call(
            "GET /fapi/v1/klines", self._client.futures_klines,
            _parse=lambda rows: self._parse_klines((symbol, interval), rows),
            _weight=documented_weight("GET /fapi/v1/klines", True, limit),
            symbol=symbol, interval=interval, limit=limit,
        )

    def _parse_klines(self, key: tuple[str, str], rows: list) -> list[Kline]:
        """``wire.parse_klines``, reusing the Klines (frozen) of rows identical to the last
        answer's: a scan asks for the same 200 candles every few minutes, and parsing their
        Decimals and times again was most of its cost."""
        last = self._last_klines.get(key, {})
        seen: dict[tuple, Kline] = {}
        out = []
        for row in rows:
            same = tuple(row[:7])  # what parse_kline reads
            kline = last.get(same)
            if kline is None:
                kline = wire.parse_kline(row)
            seen[same] = kline
            out.append(kline)
        self._last_klines[key] = seen
        return out

    def _exchange_info(self) -> Any:
        """The filters' request; its ``rateLimits`` become the budget's limits (the operator's
        own figures aside), so the reserve is a share of what this venue really allows."""
        answer = self._call("GET /fapi/v1/exchangeInfo", self._client.futures_exchange_info)
        self._transport.budget.adopt(published_limits(answer))
        return answer

    def filters(self, symbol: str) -> SymbolFilters:
        """Cached exchangeInfo filters, refetched when older than ``filters_max_age_s``; a
        symbol that left TRADING keeps its filters (see ``bot.exchange.filter_cache``)."""
        return self._cache.get(symbol)

    def refresh_filters(self) -> dict[str, SymbolFilters]:
        """Fetch exchangeInfo again (new listings, changed ticks); one request. Returns the
        TRADING symbols; the others stay known to ``filters``."""
        return self._cache.refresh()

    @property
    def filters_fetched_at(self) -> float | None:
        return self._cache.fetched_at

    def symbols(self) -> list[str]:
        """Symbols open for new entries (TRADING)."""
        return self._cache.tradable()

    def account(self) -> Account:
        return self._call("GET /fapi/v2/account", self._client.futures_account,
                          _parse=wire.parse_account)

    def dual_side_position(self) -> bool:
        """True in hedge mode: every order would need ``positionSide`` and the bot's
        reduce-only stops would be refused, so the start-up check refuses to run."""
        return self._call("GET /fapi/v1/positionSide/dual", self._client.futures_get_position_mode,
                          _parse=wire.parse_position_mode)

    # --- writes -------------------------------------------------------------------------------

    def set_leverage(self, symbol: str, leverage: int) -> None:
        self.filters(symbol)
        if isinstance(leverage, bool) or not isinstance(leverage, int) or not 1 <= leverage <= 125:
            raise refused(Code.INVALID_LEVERAGE, f"Leverage {leverage!r} is not valid.")
        self._call("POST /fapi/v1/leverage", self._client.futures_change_leverage,
                   symbol=symbol, leverage=leverage)

    def market_order(
        self, symbol: str, side: Side, quantity: Decimal, client_order_id: str,
        reduce_only: bool = False,
    ) -> Order:
        def attempt(f: SymbolFilters) -> Order:
            params: dict[str, Any] = {
                "symbol": symbol,
                "side": wire.side(side),
                "type": OrderType.MARKET.value,
                "quantity": self._qty(f, quantity, market=True),
                "newClientOrderId": wire.client_id(client_order_id),
                "newOrderRespType": "RESULT",
            }
            if reduce_only:
                params["reduceOnly"] = wire.wire_bool(True)

            def send() -> Order:  # an entry may wait for the budget; a reduce-only close may not
                return self._order_call("POST /fapi/v1/order", self._orders.futures_create_order,
                                        _parse=wire.parse_order, _essential=reduce_only,
                                        **params)

            return self._place(
                send, lambda: self._order_by_client_id(symbol, client_order_id, self._order_lane),
                f"{side} MARKET {symbol} {client_order_id}")

        return self._refiltered(symbol, attempt)

    def place_stop(
        self, symbol: str, side: Side, trigger_price: Decimal, client_algo_id: str,
        quantity: Decimal | None = None, working_type: WorkingType = WorkingType.MARK_PRICE,
    ) -> ConditionalOrder:
        return self._place_triggered(OrderType.STOP_MARKET, symbol, side, trigger_price,
                                     client_algo_id, quantity, working_type)

    def place_take_profit(
        self, symbol: str, side: Side, trigger_price: Decimal, client_algo_id: str,
        quantity: Decimal | None = None, working_type: WorkingType = WorkingType.MARK_PRICE,
    ) -> ConditionalOrder:
        return self._place_triggered(OrderType.TAKE_PROFIT_MARKET, symbol, side, trigger_price,
                                     client_algo_id, quantity, working_type)

    def place_trailing_stop(
        self, symbol: str, side: Side, quantity: Decimal, callback_rate: Decimal,
        client_algo_id: str, activate_price: Decimal | None = None,
        working_type: WorkingType = WorkingType.MARK_PRICE,
    ) -> ConditionalOrder:
        rate = wire.positive(callback_rate, "callbackRate")

        def attempt(f: SymbolFilters) -> ConditionalOrder:
            params = self._algo_params(OrderType.TRAILING_STOP_MARKET, symbol, side,
                                       client_algo_id, working_type)
            params["quantity"] = self._qty(f, quantity)
            params["reduceOnly"] = wire.wire_bool(True)
            params["callbackRate"] = wire.wire_decimal(rate)  # a percent, exactly as given
            if activate_price is not None:
                params["activatePrice"] = self._price(f, activate_price, "activatePrice")
            return self._place_algo(params, symbol)

        return self._refiltered(symbol, attempt)

    def cancel_conditional(
        self, symbol: str, algo_id: int | None = None, client_algo_id: str | None = None
    ) -> None:
        self.filters(symbol)
        if algo_id is None and client_algo_id is None:
            raise refused(Code.MANDATORY_PARAM, "Either algoId or clientAlgoId must be sent.")
        params: dict[str, Any] = {}
        if algo_id is not None:
            params["algoId"] = int(algo_id)
        else:
            params["clientAlgoId"] = client_algo_id
        self._cancel("DELETE /fapi/v1/algoOrder", self._orders.futures_cancel_algo_order,
                     params, f"algo {algo_id or client_algo_id} on {symbol}")
        log.info("[CANCEL] Algo order %s on %s canceled", algo_id or client_algo_id, symbol)

    def cancel_order(self, symbol: str, order_id: int) -> None:
        self.filters(symbol)
        self._cancel("DELETE /fapi/v1/order", self._orders.futures_cancel_order,
                     {"symbol": symbol, "orderId": int(order_id)}, f"order {order_id} on {symbol}")

    # --- placement internals ------------------------------------------------------------------

    def _place_triggered(
        self, kind: OrderType, symbol: str, side: Side, trigger_price: Decimal,
        client_algo_id: str, quantity: Decimal | None, working_type: WorkingType,
    ) -> ConditionalOrder:
        def attempt(f: SymbolFilters) -> ConditionalOrder:
            params = self._algo_params(kind, symbol, side, client_algo_id, working_type)
            params["triggerPrice"] = self._price(f, trigger_price, "triggerPrice")
            if quantity is None:
                params["closePosition"] = wire.wire_bool(True)
            else:
                params["quantity"] = self._qty(f, quantity)
                params["reduceOnly"] = wire.wire_bool(True)
            return self._place_algo(params, symbol)

        return self._refiltered(symbol, attempt)

    def _refiltered(self, symbol: str, attempt: Callable[[SymbolFilters], T]) -> T:
        """Round with the cached filters and send; if the exchange rejects the rounding (its
        tick or step changed: BAD_PRECISION, PRICE_NOT_INCREASED_BY_TICK_SIZE,
        QTY_NOT_INCREASED_BY_STEP_SIZE), refresh the filters, round again, send once more.
        A rejected order was not placed, so its client id is free for the retry."""
        try:
            return attempt(self.filters(symbol))
        except FilterError as rejected:
            log.warning("[EXCHANGE] %s: %s - refreshing filters, re-rounding, one retry",
                        symbol, rejected)
            try:
                with self._transport.essential():
                    self.refresh_filters()
            except ExchangeError as failed:
                raise rejected from failed
        return attempt(self.filters(symbol))

    @staticmethod
    def _algo_params(
        kind: OrderType, symbol: str, side: Side, client_algo_id: str, working_type: WorkingType
    ) -> dict[str, Any]:
        return {
            "algoType": "CONDITIONAL",
            "symbol": symbol,
            "side": wire.side(side),
            "type": kind.value,
            "workingType": WorkingType(working_type).value,
            "clientAlgoId": wire.client_id(client_algo_id),
        }

    def _place_algo(self, params: dict[str, Any], symbol: str) -> ConditionalOrder:
        def send() -> ConditionalOrder:
            return self._order_call("POST /fapi/v1/algoOrder",
                                    self._orders.futures_create_algo_order,
                                    _parse=wire.parse_conditional_order, **params)

        cid = params["clientAlgoId"]
        what = f"{params['side']} {params['type']} {symbol} {cid}"
        return self._place(send, lambda: self._open_conditional(symbol, cid), what)

    def _open_conditional(self, symbol: str, client_algo_id: str) -> ConditionalOrder | None:
        """A lost stop counts as placed only while it is open: a process restarted after a
        stop vanished reuses that stop's id, and the dead order would read as protection."""
        found = self._conditional_by_id(symbol, client_algo_id, self._order_lane)
        return found if found is not None and found.status.is_open else None

    def _place(self, send: Callable[[], T], lookup: Callable[[], T | None], what: str) -> T:
        """Send once; if the answer is lost, ask for the client id, then send at most once more."""
        with self._transport.essential():  # the look-ups of a placement are never optional reads
            return self._place_once_more(send, lookup, what)

    def _place_once_more(self, send: Callable[[], T], lookup: Callable[[], T | None],
                         what: str) -> T:
        try:
            return send()
        except UnknownStatusError as lost:
            log.warning("[RECONCILE] Status unknown for %s (%s) - querying client id", what, lost)
        found = lookup()
        if found is not None:
            log.info("[OK] %s reached the exchange - using it, not re-sending", what)
            return found
        log.warning("[RETRY] %s not on the exchange - re-sending once with the same id", what)
        try:
            return send()
        except DuplicateClientIdError:
            found = lookup()
            if found is None:
                raise
            return found

    def _cancel(self, endpoint: str, fn: Callable[..., Any], params: dict[str, Any],
                what: str) -> None:
        """A lost cancel answer is resolved by asking again: CANCEL_REJECTED then means it
        worked."""
        with self._transport.essential():
            self._cancel_once_more(endpoint, fn, params, what)

    def _cancel_once_more(self, endpoint: str, fn: Callable[..., Any], params: dict[str, Any],
                          what: str) -> None:
        try:
            self._order_call(endpoint, fn, **params)
            return
        except UnknownStatusError as lost:
            log.warning("[RECONCILE] Cancel of %s status unknown (%s) - re-sending", what, lost)
        try:
            self._order_call(endpoint, fn, **params)
        except UnknownOrderError:
            log.info("[OK] Cancel of %s had reached the exchange", what)

    # --- parameters ---------------------------------------------------------------------

    def _symbol_params(self, symbol: str | None) -> dict[str, Any]:
        if symbol is None:
            return {}
        self.filters(symbol)
        return {"symbol": symbol}

    @staticmethod
    def _price(f: SymbolFilters, price: Decimal, name: str) -> str:
        return wire.wire_price(f, wire.positive(price, name))

    @staticmethod
    def _qty(f: SymbolFilters, qty: Decimal, market: bool = False) -> str:
        text = wire.wire_qty(f, wire.positive(qty, "quantity"), market=market)
        if Decimal(text) <= 0:
            raise refused(Code.INVALID_QUANTITY,
                          f"Quantity {qty} rounds to zero at step {f.step_size}.")
        limit = f.max_market_qty if market else None
        if limit is not None and Decimal(text) > limit:
            raise refused(Code.QTY_GREATER_THAN_MAX_QTY,
                          f"Quantity greater than max quantity ({text} > {limit:f}).")
        return text

    def _call(self, endpoint: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return self._transport.call(endpoint, fn, **kwargs)

    def _order_call(self, endpoint: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """``fn`` of the orders client, sent down its lane."""
        return self._transport.call(endpoint, fn, _lane=self._order_lane, **kwargs)
