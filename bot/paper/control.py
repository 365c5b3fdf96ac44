"""The control surface: what tests and demos may do to the venue that a client cannot.

One Python API (``PaperControl``) used directly by embedding code and, via
``/paper/v1/...`` on loopback, by anything that speaks HTTP. Bad input raises
``ValueError`` and changes nothing.
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bot.paper.auth import Authenticator, RateLimiter
from bot.paper.faults import Fault, FaultKind, FaultPlan
from bot.paper.model import LedgerEntry

log = logging.getLogger(__name__)


def _decimal(value: Any, name: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not result.is_finite() or result <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return result


def _on_tick(value: Decimal, tick: Decimal, ceiling: Decimal, name: str) -> Decimal:
    if value > ceiling:
        raise ValueError(f"{name} {value} is above the symbol's max price {ceiling}")
    snapped = (value / tick).to_integral_value(rounding=ROUND_HALF_UP) * tick
    if snapped <= 0:
        raise ValueError(f"{name} {value} is below one tick ({tick})")
    return snapped


class PaperControl:
    def __init__(self, engine: Any, market: Any, clock: Any, faults: FaultPlan,
                 auth: Authenticator, limiter: RateLimiter) -> None:
        self.engine = engine
        self.market = market
        self.clock = clock
        self.faults = faults
        self.auth = auth
        self.limiter = limiter

    def set_price(self, symbol: str, price: Decimal | str | float,
                  mark: Decimal | str | float | None = None) -> dict:
        """Jump a symbol's last (and mark, default the same) price: a gap, processed at once."""
        engine = self.engine
        if symbol not in engine.specs:
            raise ValueError(f"unknown symbol {symbol!r}")
        spec = engine.specs[symbol]
        last = _on_tick(_decimal(price, "price"), spec.tick_size, spec.max_price, "price")
        mark_value = (_on_tick(_decimal(mark, "mark"), spec.tick_size, spec.max_price, "mark")
                      if mark is not None else None)
        with engine.lock:
            engine.sync()
            tick = self.market.set_price(symbol, last, engine.now_ms(), mark=mark_value)
            engine.apply_tick(tick)
            return {"symbol": symbol, "last": str(engine.last[symbol]),
                    "mark": str(engine.mark[symbol]), "time": engine.now_ms()}

    def advance(self, ms: int) -> int:
        """Move a ManualClock forward and let the market and engine catch up."""
        if not hasattr(self.clock, "advance"):
            raise ValueError("the clock is not a ManualClock; it cannot be advanced")
        if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
            raise ValueError("ms must be a non-negative integer")
        with self.engine.lock:
            now = self.clock.advance(ms)
            self.engine.sync()
            return now

    def inject_fault(self, method: str, path: str, kind: FaultKind | str = FaultKind.ERROR,
                     count: int = 1, code: int | None = None, msg: str | None = None,
                     status: int | None = None, delay_s: float = 0.0,
                     reached_engine: bool = False) -> Fault:
        """The next ``count`` requests to method+path misbehave (see ``FaultKind``)."""
        if method.upper() not in ("GET", "POST", "PUT", "DELETE"):
            raise ValueError(f"unknown method {method!r}")
        if kind == FaultKind.TIMEOUT and delay_s == 0:
            delay_s = 12.0
        fault = self.faults.add(method, path, kind, count, code, msg, status, delay_s,
                                reached_engine)
        log.info("[PAPER] Fault armed: %s", fault.to_json())
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def silent_cancel(self, algo_id: int) -> dict:
        algo = self.engine.silent_cancel(int(algo_id))
        return {"algoId": algo.algo_id, "clientAlgoId": algo.client_algo_id,
                "algoStatus": algo.status.value}

    def ledger(self, since_id: int = 0) -> list[LedgerEntry]:
        """Ledger entries with id > since_id, oldest first."""
        with self.engine.lock:
            return self.engine.ledger.since(since_id)

    def set_time_offset(self, ms: int) -> None:
        """Skew the server's auth clock (e.g. +20000 makes every client stamp stale: -1021)."""
        self.auth.time_offset_ms = int(ms)

    def reset(self) -> None:
        """Fresh account, empty books and ledger, no faults, zero weight; prices kept."""
        self.faults.clear()
        self.limiter.reset()
        self.auth.time_offset_ms = 0
        self.engine.reset()

    def state(self) -> dict:
        engine = self.engine
        with engine.lock:
            engine.sync()
            totals = engine.totals()
            return {
                "time": engine.now_ms(),
                "prices": {s: {"last": str(engine.last[s]), "mark": str(engine.mark[s])}
                           for s in engine.specs},
                "account": {k: str(v) for k, v in totals.items()},
                "positions": {s: str(engine.account.amount(s))
                              for s in engine.account.open_symbols()},
                "openAlgoOrders": sum(len(b) for b in engine._armed.values()),
                "faults": [f.to_json() for f in self.faults.pending()],
                "ledgerSize": len(engine.ledger),
                "usedWeight": self.limiter.used_weight(),
            }
