"""The one ``Exchange`` implementation: python-binance over HTTP for paper, testnet and live.

Why it looks like this:
- Conditional orders go to the Algo service only (``futures_create_algo_order``);
  the ordinary endpoint rejects them (STOP_ORDER_SWITCH_ALGO) since 2025-12-09.
- An order request whose answer is lost (timeout, HTTP 5xx, DISCONNECTED, TIMEOUT)
  may or may not have reached the engine. Placement resolves that here, by
  asking for the deterministic client id before sending again, so a retry can
  never put a second stop on the book.
- INVALID_TIMESTAMP means the request was refused before it was looked at, so a clock
  resync and one re-send are always safe. Rate limits are raised, never slept
  on: the caller owns the schedule.
- python-binance keeps the last HTTP response on the client and shares one
  requests.Session, so each request and its header read happen under a lock
  (the monitor and the executor run on different threads).
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import requests

from bot.domain import (
    Account,
    ConditionalOrder,
    Kline,
    Order,
    OrderType,
    Position,
    Side,
    SymbolFilters,
    WorkingType,
)
from bot.domain.errors import BinanceErrorCode as Code
from bot.domain.errors import (
    DuplicateClientIdError,
    ExchangeError,
    TimestampError,
    UnknownOrderError,
    UnknownStatusError,
    classify,
    refused,
)
from bot.exchange import wire
from bot.exchange.weights import WeightSnapshot, WeightTracker, documented_weight

with warnings.catch_warnings():
    # python-binance 1.0.37 imports a websockets name that websockets 14+ deprecates.
    warnings.filterwarnings(
        "ignore", message=r"websockets\.\S+ is deprecated", category=DeprecationWarning
    )
    from binance.client import Client
    from binance.exceptions import BinanceAPIException, BinanceRequestException

log = logging.getLogger(__name__)

T = TypeVar("T")

KLINE_INTERVALS = frozenset(
    "1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M".split()
)


def make_client(
    api_key: str,
    api_secret: str,
    futures_url: str | None = None,
    testnet: bool = False,
    timeout_s: float = 10.0,
) -> Client:
    """A python-binance client that makes no request on creation.

    ``futures_url`` (e.g. the paper exchange's ``http://127.0.0.1:PORT/fapi``)
    redirects every futures call; it cannot be combined with ``testnet``,
    because python-binance would silently prefer the testnet host.
    """
    if futures_url and testnet:
        raise ValueError("futures_url and testnet=True are exclusive")
    if timeout_s <= 0:
        raise ValueError("timeout_s must be > 0")
    client = Client(
        api_key, api_secret, ping=False, testnet=testnet,
        requests_params={"timeout": timeout_s},
    )
    if futures_url:
        client.FUTURES_URL = futures_url.rstrip("/")
    return client


class BinanceAdapter:
    """Typed, thread-safe access to Binance USDⓈ-M futures (see ``bot.exchange.interface``)."""

    def __init__(self, client: Client, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._clock = clock
        self._lock = threading.RLock()
        self._weights = WeightTracker()
        self._filters: dict[str, SymbolFilters] | None = None

    def __repr__(self) -> str:
        return f"BinanceAdapter(url={self._client.FUTURES_URL!r})"

    # --- bookkeeping --------------------------------------------------------------------------

    @property
    def used_weight(self) -> int:
        return self._weights.used_weight

    @property
    def request_count(self) -> int:
        return self._weights.request_count

    @property
    def thread_request_count(self) -> int:
        return self._weights.thread_request_count

    def weight_snapshot(self) -> WeightSnapshot:
        """Per-endpoint request counts and documented weight, plus the last headers."""
        return self._weights.snapshot()

    @property
    def time_offset_ms(self) -> int:
        return int(self._client.timestamp_offset)

    def resync_time(self) -> int:
        """Align request timestamps with the server's clock; returns the offset in ms."""
        before = self._clock()
        answer = self._send("GET /fapi/v1/time", self._client.futures_time, {}, False)
        after = self._clock()
        local_ms = int((before + after) / 2 * 1000)
        offset = _parsed("GET /fapi/v1/time", wire.parse_server_time, answer) - local_ms
        with self._lock:
            self._client.timestamp_offset = offset
        log.warning("[CLOCK] Resynced with exchange time: offset %+d ms", offset)
        return offset

    # --- reads --------------------------------------------------------------------------------

    def positions(self) -> list[Position]:
        return self._call("GET /fapi/v3/positionRisk", self._client.futures_position_information,
                          _parse=wire.parse_positions)

    def open_conditional_orders(self, symbol: str | None = None) -> list[ConditionalOrder]:
        params = self._symbol_params(symbol)
        return self._call("GET /fapi/v1/openAlgoOrders", self._client.futures_get_open_algo_orders,
                          _parse=wire.parse_conditional_orders, **params)

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        params = self._symbol_params(symbol)
        return self._call("GET /fapi/v1/openOrders", self._client.futures_get_open_orders,
                          _parse=wire.parse_orders, **params)

    def get_conditional(self, symbol: str, client_algo_id: str) -> ConditionalOrder | None:
        self.filters(symbol)
        try:
            order = self._call(
                "GET /fapi/v1/algoOrder", self._client.futures_get_algo_order,
                _parse=wire.parse_conditional_order, clientAlgoId=client_algo_id,
            )
        except UnknownOrderError:
            return None
        return order if order.symbol == symbol else None

    def get_order(self, symbol: str, client_order_id: str) -> Order | None:
        self.filters(symbol)
        try:
            return self._call(
                "GET /fapi/v1/order", self._client.futures_get_order, _parse=wire.parse_order,
                symbol=symbol, origClientOrderId=client_order_id,
            )
        except UnknownOrderError:
            return None

    def mark_price(self, symbol: str) -> Decimal:
        self.filters(symbol)
        prices = self._call("GET /fapi/v1/premiumIndex", self._client.futures_mark_price,
                            _parse=wire.parse_mark_prices, symbol=symbol)
        if symbol not in prices:
            raise UnknownStatusError(None, f"premiumIndex answered without {symbol}")
        return prices[symbol]

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
            "GET /fapi/v1/klines", self._client.futures_klines, _parse=wire.parse_klines,
            _weight=documented_weight("GET /fapi/v1/klines", True, limit),
            symbol=symbol, interval=interval, limit=limit,
        )

    def filters(self, symbol: str) -> SymbolFilters:
        table = self._filters if self._filters is not None else self.refresh_filters()
        found = table.get(symbol)
        if found is None:
            raise refused(Code.BAD_SYMBOL, f"Invalid symbol {symbol!r}.")
        return found

    def refresh_filters(self) -> dict[str, SymbolFilters]:
        """Fetch exchangeInfo again (new listings, changed ticks); one request."""
        table = self._call("GET /fapi/v1/exchangeInfo", self._client.futures_exchange_info,
                           _parse=wire.parse_exchange_info)
        self._filters = table
        return table

    def symbols(self) -> list[str]:
        table = self._filters if self._filters is not None else self.refresh_filters()
        return sorted(table)

    def account(self) -> Account:
        return self._call("GET /fapi/v2/account", self._client.futures_account,
                          _parse=wire.parse_account)

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
        f = self.filters(symbol)
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

        def send() -> Order:
            return self._call("POST /fapi/v1/order", self._client.futures_create_order,
                              _parse=wire.parse_order, **params)

        return self._place(send, lambda: self.get_order(symbol, client_order_id),
                           f"{side} MARKET {symbol} {client_order_id}")

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
        f = self.filters(symbol)
        rate = wire.positive(callback_rate, "callbackRate")
        params = self._algo_params(OrderType.TRAILING_STOP_MARKET, symbol, side,
                                   client_algo_id, working_type)
        params["quantity"] = self._qty(f, quantity)
        params["reduceOnly"] = wire.wire_bool(True)
        params["callbackRate"] = wire.wire_decimal(rate)  # a percent, exactly as given
        if activate_price is not None:
            params["activatePrice"] = self._price(f, activate_price, "activatePrice")
        return self._place_algo(params, symbol)

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
        self._cancel("DELETE /fapi/v1/algoOrder", self._client.futures_cancel_algo_order,
                     params, f"algo {algo_id or client_algo_id} on {symbol}")
        log.info("[CANCEL] Algo order %s on %s canceled", algo_id or client_algo_id, symbol)

    def cancel_order(self, symbol: str, order_id: int) -> None:
        self.filters(symbol)
        self._cancel("DELETE /fapi/v1/order", self._client.futures_cancel_order,
                     {"symbol": symbol, "orderId": int(order_id)}, f"order {order_id} on {symbol}")

    # --- placement internals ------------------------------------------------------------------

    def _place_triggered(
        self, kind: OrderType, symbol: str, side: Side, trigger_price: Decimal,
        client_algo_id: str, quantity: Decimal | None, working_type: WorkingType,
    ) -> ConditionalOrder:
        f = self.filters(symbol)
        params = self._algo_params(kind, symbol, side, client_algo_id, working_type)
        params["triggerPrice"] = self._price(f, trigger_price, "triggerPrice")
        if quantity is None:
            params["closePosition"] = wire.wire_bool(True)
        else:
            params["quantity"] = self._qty(f, quantity)
            params["reduceOnly"] = wire.wire_bool(True)
        return self._place_algo(params, symbol)

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
            return self._call("POST /fapi/v1/algoOrder", self._client.futures_create_algo_order,
                              _parse=wire.parse_conditional_order, **params)

        cid = params["clientAlgoId"]
        what = f"{params['side']} {params['type']} {symbol} {cid}"
        return self._place(send, lambda: self._open_conditional(symbol, cid), what)

    def _open_conditional(self, symbol: str, client_algo_id: str) -> ConditionalOrder | None:
        """A lost stop counts as placed only while it is open: a process restarted after a
        stop vanished reuses that stop's id, and the dead order would read as protection."""
        found = self.get_conditional(symbol, client_algo_id)
        return found if found is not None and found.status.is_open else None

    def _place(self, send: Callable[[], T], lookup: Callable[[], T | None], what: str) -> T:
        """Send once; if the answer is lost, ask for the client id, then send at most once more."""
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
        try:
            self._call(endpoint, fn, **params)
            return
        except UnknownStatusError as lost:
            log.warning("[RECONCILE] Cancel of %s status unknown (%s) - re-sending", what, lost)
        try:
            self._call(endpoint, fn, **params)
        except UnknownOrderError:
            log.info("[OK] Cancel of %s had reached the exchange", what)

    # --- request plumbing ---------------------------------------------------------------------

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
        return text

    def _call(self, endpoint: str, fn: Callable[..., Any],
              _parse: Callable[[Any], Any] | None = None, _weight: int | None = None,
              **params: Any) -> Any:
        """One request (plus one re-send after an INVALID_TIMESTAMP resync), its answer parsed."""
        try:
            answer = self._send(endpoint, fn, params, "symbol" in params, _weight)
        except TimestampError:
            self.resync_time()
            answer = self._send(endpoint, fn, params, "symbol" in params, _weight)
        return answer if _parse is None else _parsed(endpoint, _parse, answer)

    def _send(self, endpoint: str, fn: Callable[..., Any], params: dict[str, Any],
              with_symbol: bool, weight: int | None = None) -> Any:
        documented = weight if weight is not None else documented_weight(endpoint, with_symbol)
        with self._lock:
            self._client.response = None
            try:
                return fn(**dict(params))
            except BinanceAPIException as exc:
                error: ExchangeError = classify(exc.code or None, str(exc.message),
                                                exc.status_code)
            except BinanceRequestException:
                error = UnknownStatusError(None, f"{endpoint}: unreadable answer")
            except requests.Timeout:
                error = UnknownStatusError(None, f"{endpoint}: timed out")
            except requests.ConnectionError:
                error = UnknownStatusError(None, f"{endpoint}: connection failed")
            except requests.RequestException as exc:
                error = UnknownStatusError(None, f"{endpoint}: {type(exc).__name__}")
            finally:
                response = self._client.response
                self._weights.record(endpoint, response.headers if response is not None
                                     else None, documented)
        log.warning("[EXCHANGE] %s failed: %s", endpoint, error)
        raise error


def _parsed(endpoint: str, parse: Callable[[Any], T], answer: Any) -> T:
    """An answer the adapter cannot read leaves the exchange's state unknown, not an order bad."""
    try:
        return parse(answer)
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:  # WireFormatError and kin
        log.error("[EXCHANGE] Unreadable answer from %s: %s", endpoint, exc)
        raise UnknownStatusError(None, f"{endpoint}: unreadable answer ({exc})") from None
