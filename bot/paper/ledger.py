"""The append-only order-event ledger: the paper venue's own record of what happened.

Tests and the soak observer compare it with the bot's event log, so it says
who acted (client, engine, control), on which order, with which client id.

Listeners (the user-data stream) are told of every entry as it is appended,
inside the engine's lock: they see the books exactly as the change left them,
and in the order the changes happened. A listener must be quick and must not
call back into the engine from another thread; one that raises is logged and
skipped, never allowed to break the engine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bot.paper.model import AlgoOrder, LedgerEntry, Order

log = logging.getLogger(__name__)

Listener = Callable[[LedgerEntry], None]


class Ledger:
    def __init__(self, clock: Any) -> None:
        self._clock = clock
        self._entries: list[LedgerEntry] = []
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(entry)`` for every entry appended from now on; returns unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _add(self, **fields: Any) -> LedgerEntry:
        entry = LedgerEntry(id=len(self._entries) + 1, time_ms=self._clock.now_ms(),
                            wall_ms=int(time.time() * 1000), **fields)
        self._entries.append(entry)
        for listener in tuple(self._listeners):
            try:
                listener(entry)
            except Exception:  # a broken observer must not break the venue
                log.exception("[PAPER] Ledger listener failed on entry %s", entry.id)
        return entry

    def order(self, order: Order, action: str, actor: str, price: Decimal | None = None,
              details: dict | None = None) -> LedgerEntry:
        shown = price if price is not None else (order.price if order.price else None)
        extra = dict(details or {})
        return self._add(
            action=action, actor=actor, book="order", symbol=order.symbol,
            order_id=order.order_id, algo_id=order.algo_id, client_id=order.client_order_id,
            side=order.side.value,
            type=order.type.value, quantity=str(order.orig_qty),
            price=str(shown) if shown is not None else None, status=order.status.value,
            details=extra,
        )

    def algo(self, algo: AlgoOrder, action: str, actor: str,
             details: dict | None = None) -> LedgerEntry:
        return self._add(
            action=action, actor=actor, book="algo", symbol=algo.symbol, algo_id=algo.algo_id,
            order_id=algo.actual_order_id, client_id=algo.client_algo_id, side=algo.side.value,
            type=algo.type.value, quantity=str(algo.quantity),
            price=str(algo.trigger_price) if algo.trigger_price else None,
            status=algo.status.value, details=dict(details or {}),
        )

    def account(self, action: str, actor: str, symbol: str, details: dict) -> LedgerEntry:
        return self._add(action=action, actor=actor, book="account", symbol=symbol,
                         details=details)

    def since(self, since_id: int = 0) -> list[LedgerEntry]:
        return list(self._entries[max(since_id, 0):])

    def __len__(self) -> int:
        return len(self._entries)
