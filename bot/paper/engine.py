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
import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bot.paper import brackets as tiers
from bot.paper import errors, position_mode, rules, symbol_status, validation
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
from bot.paper.slippage import DEFAULT_SLIPPAGE, Slippage
from bot.paper.specs import KNOWN_SPECS, SymbolSpec, generic_spec
from bot.paper.trades import FIRST_TRADE_ID, Trade, TradeBook, TradeQuery
from bot.paper.trigger_faults import TriggerFaultPlan
from bot.paper.trigger_pipeline import TriggerPipelineMixin, resolve_trigger_delay

log = logging.getLogger(__name__)

MAX_OPEN_ALGO_ORDERS = 200


class MatchingEngine(AlgoBookMixin, TriggerPipelineMixin, AccountingMixin):
    """The venue's state machine; the REST front and the control surface are its only callers.

    Order ids (from 4e9) and algo ids (from 1e6) live in separate ranges so an
    algoId sent to the ordinary-order endpoints is never found, as on Binance.
    """

    def __init__(self, market: Any, clock: Any, balance: Decimal = Decimal("10000"),
                 specs: dict[str, SymbolSpec] | None = None, seed: int = 7,
                 taker_fee: Decimal = Decimal("0.0004"), maker_fee: Decimal = Decimal("0.0002"),
                 slippage: Slippage = DEFAULT_SLIPPAGE,
                 max_open_algo_orders: int = MAX_OPEN_ALGO_ORDERS,
                 trigger_delay_ms: int | None = None, read_lag_ms: int = 0,
                 wall_ms: Callable[[], int] | None = None, margin_brackets: bool = True,
                 liquidation_fee: bool = True, market_price_protection: bool = True) -> None:
        self.market = market
        self.clock = clock
        self.lock = threading.RLock()
        self.trigger_delay_ms = resolve_trigger_delay(trigger_delay_ms, clock)
        self.trigger_faults = TriggerFaultPlan()
        if read_lag_ms < 0:
            raise ValueError("read_lag_ms must be >= 0")
        self.read_lag_ms = read_lag_ms
        # read-after-write lag is the venue's plumbing, not market time: it runs on the wall clock
        self.wall_ms = wall_ms or (lambda: int(time.time() * 1000))
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
        self._initial_specs = dict(self.specs)  # run-time filter changes end with reset()
        self.brackets: dict[str, tuple[tiers.Bracket, ...]] = {}
        self.use_brackets(margin_brackets)
        self.liquidation_fee = liquidation_fee  # False: a liquidation pays the taker fee
        # market fills outside the PERCENT_PRICE band around the mark are refused (-4131)
        self.market_price_protection = market_price_protection
        self._reset_state()

    # ------------------------------------------------------------------ state
    def _reset_state(self) -> None:
        self._rng = random.Random(self._seed)
        self._slip_rng = random.Random(f"slippage:{self._seed}")  # own stream: ids stay put
        previous = getattr(self, "trades", None)
        self.trades = TradeBook(previous.next_id if previous else FIRST_TRADE_ID)
        self.account = Account(self._initial_balance, self.specs, self.brackets)
        self.ledger = Ledger(self.clock)
        self.orders: dict[int, Order] = {}
        self.algos: dict[int, AlgoOrder] = {}
        self._order_by_client: dict[tuple[str, str], int] = {}  # latest order per client id
        self._algo_by_client: dict[str, int] = {}
        self._resting: dict[str, dict[int, Order]] = {s: {} for s in self.specs}
        # the open Algo book per symbol: NEW orders and those TRIGGERING
        self._armed: dict[str, dict[int, AlgoOrder]] = {s: {} for s in self.specs}
        self._triggering: dict[int, AlgoOrder] = {}  # TRIGGERING with a due time (not stuck)
        # ids keep growing across resets, so an id a client still holds never names a new order
        self._next_order_id = max(getattr(self, "_next_order_id", 0),
                                  4_000_000_000 + self._rng.randrange(1_000_000) * 1000)
        self._next_algo_id = max(getattr(self, "_next_algo_id", 0),
                                 1_000_000 + self._rng.randrange(100_000) * 10)
        self.last: dict[str, Decimal] = {s: Decimal(self.market.last_price(s)) for s in self.specs}
        self.mark: dict[str, Decimal] = {s: Decimal(self.market.mark_price(s)) for s in self.specs}

    def reset(self) -> None:
        with self.lock:
            self.trigger_faults.clear()
            self.specs.update(self._initial_specs)
            self._reset_state()
            log.info("[PAPER] Engine reset: balance %s USDT", self._initial_balance)

    def use_brackets(self, on: bool) -> None:
        """Tiered maintenance (True) or one rate per symbol with no maintenance amount.
        Filled in place: the account reads the same dict."""
        with self.lock:
            self.brackets.clear()
            self.brackets.update({s: tiers.for_spec(spec, flat=not on)
                                  for s, spec in self._initial_specs.items()})

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
            now = self.clock.now_ms()
            ticks = self.market.advance_to(now)
            for tick in ticks:
                # triggers whose delay ended before this price update meet the previous price
                self._complete_due(tick.time_ms)
                self._on_tick(tick)
            completed = self._complete_due(now)
            if ticks or completed:
                self._check_liquidation()

    def apply_tick(self, tick: Any) -> None:
        """Process one externally made price update (the control surface's price jump)."""
        with self.lock:
            self._complete_due(getattr(tick, "time_ms", self.now_ms()))
            self._on_tick(tick)
            self._check_liquidation()

    def _on_tick(self, tick: Any) -> None:
        symbol = tick.symbol
        if symbol not in self.specs:
            return
        self.last[symbol] = Decimal(tick.last)
        self.mark[symbol] = Decimal(tick.mark)
        if not symbol_status.matches(self.specs[symbol].status):
            return  # trading suspended: prices move, orders do not
        at_ms = getattr(tick, "time_ms", self.now_ms())
        armed = self._armed[symbol]
        if armed:
            for algo in sorted(armed.values(), key=lambda a: a.algo_id):
                if algo.status is AlgoStatus.NEW and self._algo_fires(algo):
                    self._trigger(algo, at_ms)
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
            req = position_mode.check_position_side(req, self.account.dual_side,
                                                    self.account.amount(req.symbol))
            validation.check_order(req, spec, self.last[req.symbol], self.mark[req.symbol])
            symbol_status.check_new_order(spec.status, req.reduce_only)
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
            fill_at = None
            if req.type is OrderType.MARKET:
                fill_at = self._market_price(req.symbol, req.side)
                if not self._within_price_band(req.symbol, fill_at):
                    raise errors.market_order_reject()
            now = self.now_ms()
            order = Order(
                order_id=self._new_order_id(),
                client_order_id=req.client_order_id or self._random_client_id("paper_"),
                symbol=req.symbol, side=req.side, type=req.type, orig_qty=qty,
                price=req.price or ZERO, time_in_force=tif, reduce_only=req.reduce_only,
                close_position=False, time_ms=now, update_ms=now, orig_type=req.type,
                position_side=req.position_side,
            )
            self._book_order(order)
            self.ledger.order(order, "PLACED", actor)
            ack = replace(order)
            self._execute_new(order, fill_at)
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

    def _market_price(self, symbol: str, side: Side) -> Decimal:
        """Where a taker order fills now: the last price and the drawn slippage against it."""
        spec = self.specs[symbol]
        return self.slippage.fill_price(side, self.last[symbol], spec.tick_size, self._slip_rng)

    def _within_price_band(self, symbol: str, price: Decimal) -> bool:
        """PERCENT_PRICE against the mark, as Binance applies it to market orders (-4131)."""
        if not self.market_price_protection:
            return True
        spec, mark = self.specs[symbol], self.mark[symbol]
        return mark * spec.multiplier_down <= price <= mark * spec.multiplier_up

    def _execute_new(self, order: Order, market_price: Decimal | None = None) -> None:
        last = self.last[order.symbol]
        if order.type is OrderType.MARKET:
            price = market_price or self._market_price(order.symbol, order.side)
            self._fill(order, price)
            return
        if rules.limit_crossed(order.side, order.price, last):
            if order.time_in_force is TimeInForce.GTX:
                self._close_order(order, OrderStatus.EXPIRED, "engine")
                return
            better = min(order.price, last) if order.side is Side.BUY else max(order.price, last)
            self._fill(order, better)
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
        self._fill(order, order.price, maker=True)

    def _fill(self, order: Order, price: Decimal, maker: bool = False,
              qty: Decimal | None = None, fee_rate: Decimal | None = None) -> None:
        """Book ``qty`` (default: all that remains) at ``price``: account, order, trade row,
        ledger. A part fill leaves the order PARTIALLY_FILLED for its caller to finish."""
        qty = order.orig_qty - order.executed_qty if qty is None else qty
        now = self.now_ms()
        if fee_rate is None:
            fee_rate = self.maker_fee if maker else self.taker_fee
        realized, fee = self.account.apply_fill(order.symbol, order.side, qty, price, fee_rate, now)
        trade = self.trades.record(order.order_id, order.symbol, order.side, price, qty,
                                   realized, fee, maker, now)
        order.executed_qty += qty
        order.cum_quote += qty * price
        order.avg_price = order.cum_quote / order.executed_qty
        done = order.executed_qty >= order.orig_qty
        order.status = OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED
        order.update_ms = now
        if done:
            self._resting[order.symbol].pop(order.order_id, None)
        self.ledger.order(order, "FILLED", "engine", price=price,
                          details={"fee": str(fee), "realizedPnl": str(realized),
                                   "lastQty": str(qty), "tradeId": trade.trade_id})
        if self.account.amount(order.symbol) == 0:
            self._expire_close_position(order.symbol)
        if order.algo_id is not None and done:
            algo = self.algos[order.algo_id]
            algo.status = AlgoStatus.FINISHED
            algo.actual_price = order.avg_price
            algo.update_ms = now
            self.ledger.algo(algo, "FINISHED", "engine")

    def _close_order(self, order: Order, status: OrderStatus, actor: str,
                     details: dict | None = None) -> None:
        order.status = status
        order.update_ms = self.now_ms()
        self._resting[order.symbol].pop(order.order_id, None)
        self.ledger.order(order, status.value, actor, details=details)
        if order.algo_id is not None:
            algo = self.algos[order.algo_id]
            algo.status = AlgoStatus.FINISHED
            algo.update_ms = order.update_ms
            if order.executed_qty:
                algo.actual_price = order.avg_price
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

    def user_trades(self, query: TradeQuery) -> list[Trade]:
        with self.lock:
            self.sync()
            self.spec(query.symbol)
            return self.trades.select(query, self.now_ms())
