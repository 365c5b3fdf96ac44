"""The Algo service: conditional orders that wait for their trigger, then become real orders.

A mixin of ``MatchingEngine`` (shares its lock, clock, books and ledger); kept
in its own module because the conditional book is the part the bot's
protection promise rests on.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.paper import errors, rules, validation
from bot.paper.model import (
    ZERO,
    AlgoOrder,
    AlgoRequest,
    AlgoStatus,
    Order,
    OrderType,
    Side,
    TimeInForce,
)

log = logging.getLogger(__name__)


class AlgoBookMixin:
    """Needs from its host: lock, sync, spec, now_ms, ids, books, account, ledger, _fill."""

    def place_algo(self, req: AlgoRequest, actor: str = "client") -> AlgoOrder:
        with self.lock:
            self.sync()
            spec = self.spec(req.symbol)
            validation.check_algo(req, spec)
            if req.client_algo_id and any(
                a.client_algo_id == req.client_algo_id for a in self._open_algo_list()
            ):
                raise errors.duplicate_client_id()
            price = self._working_price(req.symbol, req.working_type)
            validation.check_algo_against_book(req, spec, price, self._open_algo_list(),
                                               self.max_open_algo_orders)
            now = self.now_ms()
            algo = AlgoOrder(
                algo_id=self._new_algo_id(),
                client_algo_id=req.client_algo_id or self._random_client_id("paper_"),
                symbol=req.symbol, side=req.side, type=req.type,
                quantity=req.quantity or ZERO, price=req.price or ZERO,
                trigger_price=req.trigger_price or ZERO, working_type=req.working_type,
                close_position=req.close_position, reduce_only=req.reduce_only,
                price_protect=req.price_protect, activate_price=req.activate_price,
                callback_rate=req.callback_rate, time_in_force=req.time_in_force,
                create_ms=now, update_ms=now,
            )
            if algo.type is OrderType.TRAILING_STOP_MARKET and algo.activate_price is None:
                algo.activated = True
                algo.extreme = price
            self.algos[algo.algo_id] = algo
            self._algo_by_client[algo.client_algo_id] = algo.algo_id
            self._armed[algo.symbol][algo.algo_id] = algo
            self.ledger.algo(algo, "PLACED", actor)
            return replace(algo)

    def _open_algo_list(self) -> list[AlgoOrder]:
        return [a for book in self._armed.values() for a in book.values()]

    def _find_algo(self, algo_id: int | None, client_algo_id: str | None) -> AlgoOrder | None:
        if algo_id is not None:
            return self.algos.get(algo_id)
        found = self._algo_by_client.get(client_algo_id or "")
        return self.algos[found] if found is not None else None

    def get_algo(self, algo_id: int | None = None, client_algo_id: str | None = None) -> AlgoOrder:
        with self.lock:
            self.sync()
            algo = self._find_algo(algo_id, client_algo_id)
            if algo is None:
                raise errors.no_such_order()
            return replace(algo)

    def cancel_algo(self, algo_id: int | None = None, client_algo_id: str | None = None,
                    actor: str = "client") -> AlgoOrder:
        with self.lock:
            self.sync()
            algo = self._find_algo(algo_id, client_algo_id)
            if algo is None or not algo.status.is_open:
                raise errors.cancel_rejected()
            self._end_algo(algo, AlgoStatus.CANCELED, actor)
            return replace(algo)

    def silent_cancel(self, algo_id: int) -> AlgoOrder:
        """The venue drops a resting stop on its own (seen live): the bot is not told."""
        algo = self.cancel_algo(algo_id=algo_id, actor="control")
        log.warning("[PAPER] Silently cancelled algo %s (%s)", algo.algo_id, algo.client_algo_id)
        return algo

    def cancel_all_algos(self, symbol: str, actor: str = "client") -> list[AlgoOrder]:
        with self.lock:
            self.sync()
            self.spec(symbol)
            open_now = sorted(self._armed[symbol].values(), key=lambda a: a.algo_id)
            for algo in open_now:
                self._end_algo(algo, AlgoStatus.CANCELED, actor)
            return [replace(a) for a in open_now]

    def open_algos(self, symbol: str | None = None) -> list[AlgoOrder]:
        with self.lock:
            self.sync()
            if symbol is not None:
                self.spec(symbol)
                found = list(self._armed[symbol].values())
            else:
                found = self._open_algo_list()
            return [replace(a) for a in sorted(found, key=lambda a: a.algo_id)]

    def all_algos(self, symbol: str | None = None) -> list[AlgoOrder]:
        with self.lock:
            self.sync()
            if symbol is not None:
                self.spec(symbol)
            return [replace(a) for a in self.algos.values() if symbol in (None, a.symbol)]

    def _end_algo(self, algo: AlgoOrder, status: AlgoStatus, actor: str,
                  details: dict | None = None) -> None:
        algo.status = status
        algo.update_ms = self.now_ms()
        self._armed[algo.symbol].pop(algo.algo_id, None)
        self.ledger.algo(algo, status.value, actor, details)

    def _expire_close_position(self, symbol: str) -> None:
        for algo in sorted(self._armed[symbol].values(), key=lambda a: a.algo_id):
            if algo.close_position:
                self._end_algo(algo, AlgoStatus.EXPIRED, "engine", {"reason": "position closed"})

    def _trigger(self, algo: AlgoOrder) -> None:
        """Turn a fired conditional order into a real order and execute it at the market."""
        now = self.now_ms()
        self._armed[algo.symbol].pop(algo.algo_id, None)
        algo.trigger_ms = now
        if algo.type is OrderType.TRAILING_STOP_MARKET and algo.extreme is not None:
            assert algo.callback_rate is not None
            level = rules.trailing_trigger(algo.side, algo.extreme, algo.callback_rate)
            algo.trigger_price = self.specs[algo.symbol].tick_size * (
                level / self.specs[algo.symbol].tick_size).to_integral_value()
        amount = self.account.amount(algo.symbol)
        reduce = algo.reduce_only or algo.close_position
        qty = abs(amount) if algo.close_position else algo.quantity
        if reduce:
            if amount == 0 or (amount > 0) == (algo.side is Side.BUY):
                self._end_algo(algo, AlgoStatus.EXPIRED, "engine",
                               {"reason": "nothing to reduce at trigger"})
                return
            qty = min(qty, abs(amount))
        else:
            try:
                self._check_margin(algo.symbol, algo.side, qty, self.last[algo.symbol])
            except errors.PaperError as exc:
                self._end_algo(algo, AlgoStatus.REJECTED, "engine", {"code": exc.code})
                return
        algo.status = AlgoStatus.TRIGGERED
        algo.update_ms = now
        child_type = OrderType.LIMIT if algo.type.child_is_limit else OrderType.MARKET
        child = Order(
            order_id=self._new_order_id(), client_order_id=algo.client_algo_id,
            symbol=algo.symbol, side=algo.side, type=child_type, orig_qty=qty,
            price=algo.price if child_type is OrderType.LIMIT else ZERO,
            time_in_force=algo.time_in_force if child_type is OrderType.LIMIT else TimeInForce.GTC,
            reduce_only=reduce, close_position=algo.close_position, time_ms=now, update_ms=now,
            orig_type=algo.type, stop_price=algo.trigger_price, working_type=algo.working_type,
            algo_id=algo.algo_id,
        )
        algo.actual_order_id = child.order_id
        self._book_order(child)
        self.ledger.algo(algo, "TRIGGERED", "engine",
                         {"last": str(self.last[algo.symbol]), "mark": str(self.mark[algo.symbol])})
        self.ledger.order(child, "PLACED", "engine")
        log.info("[PAPER] Triggered %s %s %s @ %s -> order %s", algo.type.value, algo.symbol,
                 algo.side.value, algo.trigger_price, child.order_id)
        self._execute_new(child)
