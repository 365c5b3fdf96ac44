"""Hand-written fakes for protection unit tests: an in-memory exchange, event sink, trade book.

The fake exchange keeps Binance's rules that protection relies on: -2021 for a
stop on the wrong side of the mark, -4130 for a second closePosition stop in one
direction, -2007 for a callback rate outside [0.1, 20], duplicate client ids.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.domain import (
    Account,
    AlgoStatus,
    ConditionalOrder,
    Direction,
    Event,
    EventKind,
    Fill,
    Kline,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    SymbolFilters,
    Trade,
    WorkingType,
)
from bot.domain.errors import ExchangeError, InvalidOrderError, ReduceOnlyRejectedError, classify

FILTERS = {
    "BTCUSDT": SymbolFilters("BTCUSDT", Decimal("0.1"), Decimal("0.001"), Decimal("0.001"),
                             Decimal("1000"), Decimal("100")),
    "ETHUSDT": SymbolFilters("ETHUSDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"),
                             Decimal("10000"), Decimal("20")),
    "ATOMUSDT": SymbolFilters("ATOMUSDT", Decimal("0.001"), Decimal("0.01"), Decimal("0.01"),
                              Decimal("100000"), Decimal("5")),
}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@dataclass
class _Pos:
    qty: Decimal  # signed
    entry: Decimal


class FakeExchange:
    def __init__(self, marks: dict[str, Decimal] | None = None) -> None:
        self.marks = dict(marks or {"BTCUSDT": Decimal("50000"), "ETHUSDT": Decimal("3000"),
                                    "ATOMUSDT": Decimal("2.5")})
        self.pos: dict[str, _Pos] = {}
        self.algo: dict[int, ConditionalOrder] = {}
        self.calls: list[tuple[str, str]] = []  # (method, symbol)
        self.faults: dict[str, deque[ExchangeError]] = {}
        self.balance = Decimal("10000")
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.requests = 0
        self.skips: dict[str, int] = {}

    # --- test controls ---
    def inject(self, method: str, code: int, times: int = 1, msg: str = "fault",
               after: int = 0, http: int = 400) -> None:
        """The next ``times`` calls of ``method`` fail, after ``after`` calls went through."""
        q = self.faults.setdefault(method, deque())
        self.skips[method] = after
        for _ in range(times):
            q.append(classify(code, msg, http))

    def open_position(self, symbol: str, direction: Direction, qty: Decimal,
                      entry: Decimal | None = None) -> None:
        sign = 1 if direction is Direction.LONG else -1
        self.pos[symbol] = _Pos(qty * sign, entry or self.marks[symbol])

    def add_algo(self, symbol: str, side: Side, trigger: Decimal, qty: Decimal | None,
                 type_: OrderType = OrderType.STOP_MARKET, cid: str = "",
                 activate: Decimal | None = None) -> ConditionalOrder:
        return self._new_algo(symbol, side, type_, trigger, qty, cid or f"manual-{len(self.algo)}",
                              activate=activate)

    def open_algos(self, symbol: str | None = None) -> list[ConditionalOrder]:
        return [o for o in self.algo.values()
                if o.status.is_open and (symbol is None or o.symbol == symbol)]

    def methods(self) -> list[str]:
        return [m for m, _ in self.calls]

    # --- Exchange protocol ---
    def _call(self, method: str, symbol: str = "") -> None:
        self.calls.append((method, symbol))
        self.requests += 1
        if self.skips.get(method, 0) > 0:
            self.skips[method] -= 1
            return
        q = self.faults.get(method)
        if q:
            raise q.popleft()

    def positions(self) -> list[Position]:
        with self._lock:
            self._call("positions")
            out = []
            for s, p in self.pos.items():
                if p.qty == 0:
                    continue
                d = Direction.LONG if p.qty > 0 else Direction.SHORT
                upnl = (self.marks[s] - p.entry) * p.qty
                out.append(Position(s, d, abs(p.qty), p.entry, self.marks[s], upnl, 10))
            return out

    def open_conditional_orders(self, symbol: str | None = None) -> list[ConditionalOrder]:
        with self._lock:
            self._call("open_conditional_orders", symbol or "")
            return self.open_algos(symbol)

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        self._call("open_orders", symbol or "")
        return []

    def get_conditional(self, symbol: str, client_algo_id: str) -> ConditionalOrder | None:
        with self._lock:
            self._call("get_conditional", symbol)
            for o in self.algo.values():
                if o.client_algo_id == client_algo_id:
                    return o
            return None

    def get_order(self, symbol: str, client_order_id: str) -> Order | None:
        self._call("get_order", symbol)
        return None

    def mark_price(self, symbol: str) -> Decimal:
        self._call("mark_price", symbol)
        return self.marks[symbol]

    def mark_prices(self) -> dict[str, Decimal]:
        self._call("mark_prices")
        return dict(self.marks)

    def klines(self, symbol: str, interval: str, limit: int = 500) -> list[Kline]:
        self._call("klines", symbol)
        m = self.marks[symbol]
        return [Kline(T0, m, m * Decimal("1.01"), m * Decimal("0.99"), m, Decimal(1), T0)
                for _ in range(limit)]

    def filters(self, symbol: str) -> SymbolFilters:
        if symbol not in FILTERS:
            raise InvalidOrderError(-1121, "Invalid symbol.")
        return FILTERS[symbol]

    def symbols(self) -> list[str]:
        return list(FILTERS)

    def user_trades(self, symbol: str, start: datetime | None = None,
                    limit: int = 500) -> list[Fill]:
        self._call("user_trades", symbol)
        return []  # no fill list: closes are booked at the price the closer is given

    def order_by_id(self, symbol: str, order_id: int) -> Order | None:
        self._call("order_by_id", symbol)
        return None

    def account(self) -> Account:
        self._call("account")
        return Account(self.balance, self.balance, Decimal(0))

    def set_leverage(self, symbol: str, leverage: int) -> None:
        self._call("set_leverage", symbol)

    def market_order(self, symbol: str, side: Side, quantity: Decimal, client_order_id: str,
                     reduce_only: bool = False) -> Order:
        with self._lock:
            self._call("market_order", symbol)
            price = self.marks[symbol]
            signed = quantity if side is Side.BUY else -quantity
            p = self.pos.get(symbol)
            if reduce_only:
                if p is None or p.qty == 0 or (p.qty > 0) == (signed > 0):
                    raise ReduceOnlyRejectedError(-2022, "ReduceOnly Order is rejected.")
                signed = max(signed, -p.qty) if p.qty > 0 else min(signed, -p.qty)
            if p is None or p.qty == 0:
                self.pos[symbol] = _Pos(signed, price)
            else:
                new = p.qty + signed
                entry = p.entry if abs(new) < abs(p.qty) or new == 0 else (
                    (p.entry * abs(p.qty) + price * abs(signed)) / abs(new))
                self.pos[symbol] = _Pos(new, entry)
            if self.pos[symbol].qty == 0:
                self._expire_close_position(symbol)
            return Order(next(self._ids), client_order_id, symbol, side, OrderType.MARKET,
                         OrderStatus.FILLED, Decimal(0), price, quantity, abs(signed),
                         reduce_only)

    def place_stop(self, symbol: str, side: Side, trigger_price: Decimal, client_algo_id: str,
                   quantity: Decimal | None = None,
                   working_type: WorkingType = WorkingType.MARK_PRICE) -> ConditionalOrder:
        with self._lock:
            self._call("place_stop", symbol)
            mark = self.marks[symbol]
            if (side is Side.SELL and mark <= trigger_price) or (
                    side is Side.BUY and mark >= trigger_price):
                raise classify(-2021, "Order would immediately trigger.", 400)
            if quantity is None and any(
                o.close_position and o.side is side and o.symbol == symbol
                and o.type.is_stop for o in self.open_algos()
            ):
                raise classify(-4130, "An open stop or take profit order with "
                               "GTE and closePosition in the direction is existing.", 400)
            return self._new_algo(symbol, side, OrderType.STOP_MARKET, trigger_price, quantity,
                                  client_algo_id)

    def place_take_profit(self, symbol: str, side: Side, trigger_price: Decimal,
                          client_algo_id: str, quantity: Decimal | None = None,
                          working_type: WorkingType = WorkingType.MARK_PRICE) -> ConditionalOrder:
        with self._lock:
            self._call("place_take_profit", symbol)
            return self._new_algo(symbol, side, OrderType.TAKE_PROFIT_MARKET, trigger_price,
                                  quantity, client_algo_id)

    def place_trailing_stop(self, symbol: str, side: Side, quantity: Decimal,
                            callback_rate: Decimal, client_algo_id: str,
                            activate_price: Decimal | None = None,
                            working_type: WorkingType = WorkingType.MARK_PRICE
                            ) -> ConditionalOrder:
        with self._lock:
            self._call("place_trailing_stop", symbol)
            if not Decimal("0.1") <= callback_rate <= Decimal("20"):
                raise classify(-2007, "Invalid callBack rate.", 400)
            return self._new_algo(symbol, side, OrderType.TRAILING_STOP_MARKET, None, quantity,
                                  client_algo_id, rate=callback_rate, activate=activate_price)

    def cancel_conditional(self, symbol: str, algo_id: int | None = None,
                           client_algo_id: str | None = None) -> None:
        with self._lock:
            self._call("cancel_conditional", symbol)
            for o in self.algo.values():
                mine = o.algo_id == algo_id or o.client_algo_id == client_algo_id
                if mine and o.status.is_open:
                    self.algo[o.algo_id] = replace(o, status=AlgoStatus.CANCELED)
                    return
            raise classify(-2011, "Unknown order sent.", 400)

    def cancel_order(self, symbol: str, order_id: int) -> None:
        self._call("cancel_order", symbol)

    @property
    def used_weight(self) -> int:
        return self.requests

    @property
    def request_count(self) -> int:
        return self.requests

    @property
    def thread_request_count(self) -> int:
        return self.requests

    # --- internals ---
    def _new_algo(self, symbol: str, side: Side, type_: OrderType, trigger: Decimal | None,
                  qty: Decimal | None, cid: str, rate: Decimal | None = None,
                  activate: Decimal | None = None) -> ConditionalOrder:
        if any(o.client_algo_id == cid and o.status.is_open for o in self.algo.values()):
            raise classify(-4116, "ClientOrderId is duplicated.", 400)
        order = ConditionalOrder(
            algo_id=next(self._ids), client_algo_id=cid, symbol=symbol, side=side, type=type_,
            status=AlgoStatus.NEW, trigger_price=trigger, quantity=qty,
            close_position=qty is None, reduce_only=qty is not None,
            working_type=WorkingType.MARK_PRICE, activate_price=activate, callback_rate=rate,
        )
        self.algo[order.algo_id] = order
        return order

    def _expire_close_position(self, symbol: str) -> None:
        for o in list(self.algo.values()):
            if o.symbol == symbol and o.close_position and o.status.is_open:
                self.algo[o.algo_id] = replace(o, status=AlgoStatus.EXPIRED)

    def trigger(self, algo_id: int) -> None:
        """Fire a stop: its position closes at the trigger, the order finishes."""
        with self._lock:
            o = self.algo[algo_id]
            self.algo[algo_id] = replace(o, status=AlgoStatus.FINISHED)
            self.marks[o.symbol] = o.trigger_price or self.marks[o.symbol]
            self.pos.pop(o.symbol, None)
            self._expire_close_position(o.symbol)


class ListSink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def append(self, event: Event) -> Event:
        with self._lock:
            stored = replace(event, id=len(self.events) + 1)
            self.events.append(stored)
            return stored

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]

    def of(self, kind: EventKind) -> list[Event]:
        return [e for e in self.events if e.kind is kind]


class MemoryBook:
    def __init__(self) -> None:
        self.open: list[Trade] = []
        self.closed: list[tuple[Trade, Decimal, str, Decimal, Decimal | None]] = []
        self._lock = threading.Lock()

    def open_trades(self) -> list[Trade]:
        with self._lock:
            return list(self.open)

    def record_open(self, trade: Trade) -> Trade:
        with self._lock:
            stored = replace(trade, id=len(self.open) + len(self.closed) + 1)
            self.open.append(stored)
            return stored

    def record_close(self, trade: Trade, exit_price: Decimal, reason: str,
                     pnl_usdt: Decimal, pnl_pct_equity: Decimal | None,
                     closed_at: datetime, fees_usdt: Decimal | None = None) -> None:
        with self._lock:
            if not any(t is trade or t == trade for t in self.open):
                raise ValueError(f"trade {trade.id} is already closed")
            self.open = [t for t in self.open if t is not trade and t != trade]
            self.closed.append((trade, exit_price, reason, pnl_usdt, pnl_pct_equity))  # type: ignore[arg-type]


class MemoryLeases:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, datetime]] = {}

    def acquire_lease(self, account: str, owner: str, ttl_s: float, now: datetime) -> bool:
        row = self.rows.get(account)
        if row is not None and row[0] != owner and row[1] > now:
            return False
        self.rows[account] = (owner, now + timedelta(seconds=ttl_s))
        return True

    def renew_lease(self, account: str, owner: str, ttl_s: float, now: datetime) -> bool:
        row = self.rows.get(account)
        if row is None or row[0] != owner:
            return False
        self.rows[account] = (owner, now + timedelta(seconds=ttl_s))
        return True

    def release_lease(self, account: str, owner: str) -> None:
        if self.rows.get(account, ("",))[0] == owner:
            del self.rows[account]
