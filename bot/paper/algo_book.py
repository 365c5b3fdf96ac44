"""The Algo service: conditional orders that wait for their trigger, then become real orders.

A mixin of ``MatchingEngine`` (shares its lock, clock, books and ledger); kept
in its own module because the conditional book is the part the bot's
protection promise rests on. What happens once an order fires lives in
``trigger_pipeline``. Queries honour the read-after-write lag (``read_lag_ms``,
wall clock): an order just placed is missing from every answer for that long, as
freqtrade #12681 reports of Binance, while the engine already guards and fires it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.paper import errors, position_mode, symbol_status, validation
from bot.paper.model import ZERO, AlgoOrder, AlgoRequest, AlgoStatus, OrderType

log = logging.getLogger(__name__)


class AlgoBookMixin:
    """Needs from its host: lock, sync, spec, now_ms, ids, books, account, ledger, _fill."""

    def place_algo(self, req: AlgoRequest, actor: str = "client") -> AlgoOrder:
        with self.lock:
            self.sync()
            spec = self.spec(req.symbol)
            validation.check_algo(req, spec)
            req = position_mode.check_position_side(req, self.account.dual_side,
                                                    self.account.amount(req.symbol))
            if req.client_algo_id and any(
                a.client_algo_id == req.client_algo_id for a in self._open_algo_list()
            ):
                raise errors.duplicate_client_id()
            price = self._working_price(req.symbol, req.working_type)
            validation.check_algo_against_book(req, spec, price, self._open_algo_list(),
                                               self.max_open_algo_orders)
            symbol_status.check_new_order(spec.status, req.reduce_only or req.close_position)
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
                create_ms=now, update_ms=now, position_side=req.position_side,
                visible_wall_ms=self.wall_ms() + self.read_lag_ms,
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
        """The order a client can see by this reference (None while the read lag hides it)."""
        if algo_id is not None:
            algo = self.algos.get(algo_id)
        else:
            found = self._algo_by_client.get(client_algo_id or "")
            algo = self.algos[found] if found is not None else None
        return algo if algo is not None and self._visible(algo) else None

    def _visible(self, algo: AlgoOrder) -> bool:
        return algo.visible_wall_ms <= self.wall_ms()

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
            if algo is not None and algo.status is AlgoStatus.TRIGGERING:
                # forwarded to the matching engine: "stop order is triggering"; a stuck one
                # answers as if it were gone (as reported of Binance's demo venue)
                raise errors.stop_triggering() if algo.due_ms is not None \
                    else errors.cancel_rejected()
            if algo is None or not algo.status.is_open:
                raise errors.cancel_rejected()
            self._end_algo(algo, AlgoStatus.CANCELED, actor)
            return replace(algo)

    def silent_cancel(self, algo_id: int) -> AlgoOrder:
        """The venue drops a resting stop on its own (seen live): the bot is not told.
        The control surface sees past the read lag; a TRIGGERING order is not resting."""
        with self.lock:
            self.sync()
            algo = self.algos.get(algo_id)
            if algo is None or algo.status is not AlgoStatus.NEW:
                raise errors.cancel_rejected()
            self._end_algo(algo, AlgoStatus.CANCELED, "control")
        log.warning("[PAPER] Silently cancelled algo %s (%s)", algo.algo_id, algo.client_algo_id)
        return replace(algo)

    def cancel_all_algos(self, symbol: str, actor: str = "client") -> list[AlgoOrder]:
        with self.lock:
            self.sync()
            self.spec(symbol)
            open_now = sorted((a for a in self._armed[symbol].values()
                               if a.status is AlgoStatus.NEW), key=lambda a: a.algo_id)
            for algo in open_now:  # TRIGGERING ones are the matching engine's already
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
            return [replace(a) for a in sorted(found, key=lambda a: a.algo_id)
                    if self._visible(a)]

    def all_algos(self, symbol: str | None = None) -> list[AlgoOrder]:
        with self.lock:
            self.sync()
            if symbol is not None:
                self.spec(symbol)
            return [replace(a) for a in self.algos.values()
                    if symbol in (None, a.symbol) and self._visible(a)]

    def _end_algo(self, algo: AlgoOrder, status: AlgoStatus, actor: str,
                  details: dict | None = None) -> None:
        algo.status = status
        algo.update_ms = self.now_ms()
        self._armed[algo.symbol].pop(algo.algo_id, None)
        self.ledger.algo(algo, status.value, actor, details)

    def _expire_close_position(self, symbol: str) -> None:
        for algo in sorted(self._armed[symbol].values(), key=lambda a: a.algo_id):
            if algo.close_position and algo.status is AlgoStatus.NEW:
                self._end_algo(algo, AlgoStatus.EXPIRED, "engine", {"reason": "position closed"})
