"""The matching engine: ordinary book, Algo book, account and ledger under one lock.

Pure Python with no I/O. Time comes from the injected clock and prices from
the injected market; every public call first catches up with the market
(``sync``) so triggers, limit fills, trailing extremes and liquidations happen
in price order before the request is served. A rejected request raises a
``PaperError`` before anything is mutated.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bot.paper import errors, rules, validation
from bot.paper.account import Account
from bot.paper.accounting import AccountingMixin
from bot.paper.algo_book import AlgoBookMixin
from bot.paper.ledger import Ledger
from bot.paper.model import (
    ZERO,
    AlgoOrder,
    AlgoStatus,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    WorkingType,
)
from bot.paper.specs import KNOWN_SPECS, SymbolSpec, generic_spec

log = logging.getLogger(__name__)

MAX_OPEN_ALGO_ORDERS = 200


class MatchingEngine(AlgoBookMixin, AccountingMixin):
    """The venue's state machine; the REST front and the control surface are its only callers.

    Order ids (from 4e9) and algo ids (from 1e6) live in separate ranges so an
    algoId sent to the ordinary-order endpoints is never found, as on Binance.
    """

    def __init__(self, market: Any, clock: Any, balance: Decimal = Decimal("10000"),
                 specs: dict[str, SymbolSpec] | None = None, seed: int = 7,
                 taker_fee: Decimal = Decimal("0.0004"), maker_fee: Decimal = Decimal("0.0002"),
                 slippage: Decimal = Decimal("0"),
                 max_open_algo_orders: int = MAX_OPEN_ALGO_ORDERS) -> None:
        self.market = market
        self.clock = clock
        self.lock = threading.RLock()
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self.slippage = slippage
        self.max_open_algo_orders = max_open_algo_orders
        self._initial_balance = balance
        self._seed = seed
        names = list(market.symbols())
        given = specs or {}
        self.specs: dict[str, SymbolSpec] = {
            n: given.get(n) or KNOWN_SPECS.get(n) or generic_spec(n) for n in names
        }
        self._reset_state()

    # ------------------------------------------------------------------ state
    def _reset_state(self) -> None:
        self._rng = random.Random(self._seed)
        self.account = Account(self._initial_balance, self.specs)
        self.ledger = Ledger(self.clock)
        self.orders: dict[int, Order] = {}
        self.algos: dict[int, AlgoOrder] = {}
        self._order_by_client: dict[tuple[str, str], int] = {}  # latest order per client id
        self._algo_by_client: dict[str, int] = {}
        self._resting: dict[str, dict[int, Order]] = {s: {} for s in self.specs}
        self._armed: dict[str, dict[int, AlgoOrder]] = {s: {} for s in self.specs}
        # ids keep growing across resets, so an id a client still holds never names a new order
        self._next_order_id = max(getattr(self, "_next_order_id", 0),
                                  4_000_000_000 + self._rng.randrange(1_000_000) * 1000)
        self._next_algo_id = max(getattr(self, "_next_algo_id", 0),
                                 1_000_000 + self._rng.randrange(100_000) * 10)
        self.last: dict[str, Decimal] = {s: Decimal(self.market.last_price(s)) for s in self.specs}
        self.mark: dict[str, Decimal] = {s: Decimal(self.market.mark_price(s)) for s in self.specs}

    def reset(self) -> None:
        with self.lock:
            self._reset_state()
            log.info("[PAPER] Engine reset: balance %s USDT", self._initial_balance)

    def spec(self, symbol: str) -> SymbolSpec:
        spec = self.specs.get(symbol)
        if spec is None:
            raise errors.bad_symbol()
        return spec

    def now_ms(self) -> int:
        return self.clock.now_ms()

    # ------------------------------------------------------------------ market
    def sync(self) -> None:
        """Catch up with the market: process every price update up to the clock's now."""
        with self.lock:
            ticks = self.market.advance_to(self.clock.now_ms())
            for tick in ticks:
                self._on_tick(tick)
            if ticks:
                self._check_liquidation()

    def apply_tick(self, tick: Any) -> None:
        """Process one externally made price update (the control surface's price jump)."""
        with self.lock:
            self._on_tick(tick)
            self._check_liquidation()

    def _on_tick(self, tick: Any) -> None:
        symbol = tick.symbol
        if symbol not in self.specs:
            return
        self.last[symbol] = Decimal(tick.last)
        self.mark[symbol] = Decimal(tick.mark)
        armed = self._armed[symbol]
        if armed:
            for algo in sorted(armed.values(), key=lambda a: a.algo_id):
                if algo.status.is_open and self._algo_fires(algo):
                    self._trigger(algo)
        resting = self._resting[symbol]
        if resting:
            for order in sorted(resting.values(), key=lambda o: o.order_id):
                if order.status.is_open and rules.limit_crossed(order.side, order.price,
                                                                self.last[symbol]):
                    self._fill_resting(order)

    def _working_price(self, symbol: str, working_type: WorkingType) -> Decimal:
        return self.mark[symbol] if working_type is WorkingType.MARK_PRICE else self.last[symbol]

    def _algo_fires(self, algo: AlgoOrder) -> bool:
        price = self._working_price(algo.symbol, algo.working_type)
        if algo.type is not OrderType.TRAILING_STOP_MARKET:
            return rules.condition_met(algo.type, algo.side, algo.trigger_price, price)
        assert algo.callback_rate is not None
        if not algo.activated:
            if not rules.trailing_activates(algo.side, algo.activate_price, price):
                return False
            algo.activated = True
        algo.extreme = rules.trailing_extreme(algo.side, algo.extreme, price)
        return rules.trailing_fires(algo.side, algo.extreme, algo.callback_rate, price)

    # ------------------------------------------------------------------ ids
    def _new_order_id(self) -> int:
        self._next_order_id += 1
        return self._next_order_id

    def _new_algo_id(self) -> int:
        self._next_algo_id += 1
        return self._next_algo_id

    def _random_client_id(self, prefix: str) -> str:
        return prefix + "".join(self._rng.choice("0123456789abcdefghijklmnopqrstuvwxyz")
                                for _ in range(22))

    # ------------------------------------------------------------------ ordinary orders
    def place_order(self, req: OrderRequest, actor: str = "client") -> tuple[Order, Order]:
        """Accept or reject an order; returns (snapshot at acceptance, live record)."""
        with self.lock:
            self.sync()
            spec = self.spec(req.symbol)
            validation.check_order(req, spec, self.last[req.symbol], self.mark[req.symbol])
            tif = validation.check_time_in_force(req.type, req.time_in_force)
            if req.client_order_id and any(
                o.client_order_id == req.client_order_id and o.status.is_open
                for o in self._resting[req.symbol].values()
            ):
                raise errors.duplicate_client_id()
            assert req.quantity is not None
            qty = req.quantity
            amount = self.account.amount(req.symbol)
            if req.reduce_only:
                validation.check_reduce(req.side, amount)
                qty = min(qty, abs(amount))
            else:
                reference = req.price if req.type is OrderType.LIMIT else self.last[req.symbol]
                assert reference is not None
                self._check_margin(req.symbol, req.side, qty, reference)
            now = self.now_ms()
            order = Order(
                order_id=self._new_order_id(),
                client_order_id=req.client_order_id or self._random_client_id("paper_"),
                symbol=req.symbol, side=req.side, type=req.type, orig_qty=qty,
                price=req.price or ZERO, time_in_force=tif, reduce_only=req.reduce_only,
                close_position=False, time_ms=now, update_ms=now, orig_type=req.type,
            )
            self._book_order(order)
            self.ledger.order(order, "PLACED", actor)
            ack = replace(order)
            self._execute_new(order)
            return ack, replace(order)

    def _book_order(self, order: Order) -> None:
        self.orders[order.order_id] = order
        self._order_by_client[(order.symbol, order.client_order_id)] = order.order_id

    def _check_margin(self, symbol: str, side: Side, qty: Decimal, price: Decimal) -> None:
        amount = self.account.amount(symbol)
        reducing = ZERO
        if amount != 0 and (amount > 0) != (side is Side.BUY):
            reducing = min(qty, abs(amount))
        opening = qty - reducing
        if opening == 0:
            return
        notional = opening * price
        needed = notional / self.account.leverage_of(symbol) + notional * self.taker_fee
        if needed > self.totals()["available"]:
            raise errors.margin_insufficient()

    def _execute_new(self, order: Order) -> None:
        last = self.last[order.symbol]
        if order.type is OrderType.MARKET:
            spec = self.specs[order.symbol]
            price = rules.market_fill_price(order.side, last, self.slippage, spec.tick_size)
            self._fill(order, price, self.taker_fee)
            return
        if rules.limit_crossed(order.side, order.price, last):
            if order.time_in_force is TimeInForce.GTX:
                self._close_order(order, OrderStatus.EXPIRED, "engine")
                return
            better = min(order.price, last) if order.side is Side.BUY else max(order.price, last)
            self._fill(order, better, self.taker_fee)
            return
        if order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            self._close_order(order, OrderStatus.EXPIRED, "engine")
            return
        self._resting[order.symbol][order.order_id] = order

    def _fill_resting(self, order: Order) -> None:
        if order.reduce_only:
            amount = self.account.amount(order.symbol)
            if amount == 0 or (amount > 0) == (order.side is Side.BUY):
                self._close_order(order, OrderStatus.EXPIRED, "engine")
                return
            order.orig_qty = min(order.orig_qty, abs(amount))
        self._fill(order, order.price, self.maker_fee)

    def _fill(self, order: Order, price: Decimal, fee_rate: Decimal) -> None:
        qty = order.orig_qty - order.executed_qty
        now = self.now_ms()
        realized, fee = self.account.apply_fill(order.symbol, order.side, qty, price, fee_rate, now)
        order.executed_qty += qty
        order.cum_quote += qty * price
        order.avg_price = order.cum_quote / order.executed_qty
        order.status = OrderStatus.FILLED
        order.update_ms = now
        self._resting[order.symbol].pop(order.order_id, None)
        self.ledger.order(order, "FILLED", "engine", price=price,
                          details={"fee": str(fee), "realizedPnl": str(realized),
                                   "lastQty": str(qty)})
        if self.account.amount(order.symbol) == 0:
            self._expire_close_position(order.symbol)
        if order.algo_id is not None:
            algo = self.algos[order.algo_id]
            algo.status = AlgoStatus.FINISHED
            algo.actual_price = order.avg_price
            algo.update_ms = now
            self.ledger.algo(algo, "FINISHED", "engine")

    def _close_order(self, order: Order, status: OrderStatus, actor: str) -> None:
        order.status = status
        order.update_ms = self.now_ms()
        self._resting[order.symbol].pop(order.order_id, None)
        self.ledger.order(order, status.value, actor)
        if order.algo_id is not None:
            algo = self.algos[order.algo_id]
            algo.status = AlgoStatus.FINISHED
            algo.update_ms = order.update_ms
            self.ledger.algo(algo, "FINISHED", "engine")

    def find_order(self, symbol: str, order_id: int | None, client_id: str | None) -> Order | None:
        if order_id is not None:
            order = self.orders.get(order_id)
            return order if order and order.symbol == symbol else None
        found = self._order_by_client.get((symbol, client_id or ""))
        return self.orders[found] if found is not None else None

    def get_order(self, symbol: str, order_id: int | None = None,
                  client_id: str | None = None) -> Order:
        with self.lock:
            self.sync()
            self.spec(symbol)
            order = self.find_order(symbol, order_id, client_id)
            if order is None:
                raise errors.no_such_order()
            return replace(order)

    def cancel_order(self, symbol: str, order_id: int | None = None,
                     client_id: str | None = None, actor: str = "client") -> Order:
        with self.lock:
            self.sync()
            self.spec(symbol)
            order = self.find_order(symbol, order_id, client_id)
            if order is None or not order.status.is_open:
                raise errors.cancel_rejected()
            self._close_order(order, OrderStatus.CANCELED, actor)
            return replace(order)

    def cancel_all_orders(self, symbol: str, actor: str = "client") -> list[Order]:
        with self.lock:
            self.sync()
            self.spec(symbol)
            open_now = sorted(self._resting[symbol].values(), key=lambda o: o.order_id)
            for order in open_now:
                self._close_order(order, OrderStatus.CANCELED, actor)
            return [replace(o) for o in open_now]

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        with self.lock:
            self.sync()
            if symbol is not None:
                self.spec(symbol)
            books = [self._resting[symbol]] if symbol else list(self._resting.values())
            found = sorted((o for b in books for o in b.values()), key=lambda o: o.order_id)
            return [replace(o) for o in found]

    def all_orders(self, symbol: str) -> list[Order]:
        with self.lock:
            self.sync()
            self.spec(symbol)
            return [replace(o) for o in self.orders.values() if o.symbol == symbol]
