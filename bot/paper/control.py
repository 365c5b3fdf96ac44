"""The control surface: what tests and demos may do to the venue that a client cannot.

One Python API (``PaperControl``) used directly by embedding code and, via
``/paper/v1/...`` on loopback, by anything that speaks HTTP. Bad input raises
``ValueError`` and changes nothing.
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.paper.auth import Authenticator, RateLimiter
from bot.paper.faults import Fault, FaultKind, FaultPlan
from bot.paper.filters import changed_spec, positive_decimal
from bot.paper.model import LedgerEntry
from bot.paper.trigger_pipeline import check_trigger_delay

log = logging.getLogger(__name__)


def _on_tick(value: Decimal, tick: Decimal, ceiling: Decimal, name: str) -> Decimal:
    if value > ceiling:
        raise ValueError(f"{name} {value} is above the symbol's max price {ceiling}")
    snapped = (value / tick).to_integral_value(rounding=ROUND_HALF_UP) * tick
    if snapped <= 0:
        raise ValueError(f"{name} {value} is below one tick ({tick})")
    return snapped


class PaperControl:
    def __init__(self, engine: Any, market: Any, clock: Any, faults: FaultPlan,
                 auth: Authenticator, limiter: RateLimiter, stream: Any = None) -> None:
        self.engine = engine
        self.market = market
        self.clock = clock
        self.faults = faults
        self.auth = auth
        self.limiter = limiter
        self.stream = stream  # UserStream: listenKeys and the user-data stream (None: none)

    def set_price(self, symbol: str, price: Decimal | str | float,
                  mark: Decimal | str | float | None = None) -> dict:
        """Jump a symbol's last (and mark, default the same) price: a gap, processed at once."""
        engine = self.engine
        if symbol not in engine.specs:
            raise ValueError(f"unknown symbol {symbol!r}")
        spec = engine.specs[symbol]
        last = _on_tick(positive_decimal(price, "price"), spec.tick_size, spec.max_price, "price")
        mark_value = (None if mark is None else
                      _on_tick(positive_decimal(mark, "mark"), spec.tick_size, spec.max_price,
                               "mark"))
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
                     reached_engine: bool = False, preset: str | None = None) -> Fault:
        """The next ``count`` requests to method+path misbehave (see ``FaultKind``);
        ``preset`` names a Binance error by its meaning (``faults.PRESETS``)."""
        if method.upper() not in ("GET", "POST", "PUT", "DELETE"):
            raise ValueError(f"unknown method {method!r}")
        if kind == FaultKind.TIMEOUT and delay_s == 0:
            delay_s = 12.0
        fault = self.faults.add(method, path, kind, count, code, msg, status, delay_s,
                                reached_engine, preset)
        log.info("[PAPER] Fault armed: %s", fault.to_json())
        return fault

    def clear_faults(self) -> None:
        """Drop every armed fault: request faults and trigger faults."""
        self.faults.clear()
        self.engine.trigger_faults.clear()

    def trigger_fault(self, kind: str, symbol: str | None = None, count: int = 1,
                      reason: str | None = None) -> dict:
        """Arm the next ``count`` triggers (of ``symbol``, or of any symbol) to fail: ``stuck``
        (TRIGGERING for good), ``reject`` (REJECTED, ``reason`` kept as ``rm``),
        ``child_expired`` or ``child_partial`` (the child market order expires, all or half)."""
        if symbol is not None and symbol not in self.engine.specs:
            raise ValueError(f"unknown symbol {symbol!r}")
        fault = self.engine.trigger_faults.add(kind, symbol, count, reason)
        log.info("[PAPER] Trigger fault armed: %s", fault.to_json())
        return fault.to_json()

    def set_trigger_delay(self, ms: int) -> int:
        """Venue-clock time a fired order spends in TRIGGERING before its child exists."""
        with self.engine.lock:
            self.engine.trigger_delay_ms = check_trigger_delay(ms)
            return self.engine.trigger_delay_ms

    def ban(self, seconds: int) -> dict:
        """Ban the (one) client IP now: every request answers 418 with Retry-After."""
        return {"bannedUntil": self.limiter.bans.ban(int(seconds))}

    def set_ban_policy(self, after: int | None, window_s: int = 60, ban_s: int = 120) -> dict:
        """``after`` 429s within ``window_s`` ban for ``ban_s`` (doubling); None: no bans."""
        self.limiter.bans.configure(after, window_s, ban_s)
        return {"after": after, "windowSeconds": window_s, "banSeconds": ban_s}

    def set_filters(self, symbol: str, tick_size: Any = None, step_size: Any = None,
                    max_algo_orders: int | None = None, market_max_qty: Any = None) -> dict:
        """Change a symbol's PRICE_FILTER tick, LOT_SIZE step, MARKET_LOT_SIZE maxQty or
        MAX_NUM_ALGO_ORDERS now."""
        return self._change_spec(symbol, tick_size=tick_size, step_size=step_size,
                                 max_algo_orders=max_algo_orders, market_max_qty=market_max_qty)

    def set_symbol_status(self, symbol: str, status: str) -> dict:
        """TRADING, PRE_SETTLE (reduce-only), SETTLING (suspended), CLOSE, ... (Binance's)."""
        return self._change_spec(symbol, status=status)

    def _change_spec(self, symbol: str, **changes: Any) -> dict:
        engine = self.engine
        if symbol not in engine.specs:
            raise ValueError(f"unknown symbol {symbol!r}")
        with engine.lock:
            engine.sync()
            spec = changed_spec(engine.specs[symbol], **changes)
            engine.specs[symbol] = spec
            log.warning("[PAPER] %s rules changed: %s", symbol,
                        {k: v for k, v in changes.items() if v is not None})
            filters = {f["filterType"]: f for f in spec.exchange_info()["filters"]}
            return {"symbol": symbol, "status": spec.status,
                    "tickSize": filters["PRICE_FILTER"]["tickSize"],
                    "stepSize": filters["LOT_SIZE"]["stepSize"],
                    "marketMaxQty": filters["MARKET_LOT_SIZE"]["maxQty"],
                    "maxAlgoOrders": spec.max_algo_orders}

    def set_switches(self, margin_brackets: bool | None = None,
                     liquidation_fee: bool | None = None,
                     market_price_protection: bool | None = None) -> dict:
        """Switch the engine's models: tiered maintenance, the liquidation clearance fee,
        the -4131 price band on market fills. None leaves a switch as it is."""
        engine = self.engine
        with engine.lock:
            if margin_brackets is not None:
                engine.use_brackets(bool(margin_brackets))
            if liquidation_fee is not None:
                engine.liquidation_fee = bool(liquidation_fee)
            if market_price_protection is not None:
                engine.market_price_protection = bool(market_price_protection)
            flat = all(len(b) == 1 for b in engine.brackets.values())
            return {"marginBrackets": not flat, "liquidationFee": engine.liquidation_fee,
                    "marketPriceProtection": engine.market_price_protection}

    def set_read_lag(self, ms: int) -> int:
        """Wall-clock time a just-placed algo order is missing from queries (0: none)."""
        if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
            raise ValueError(f"read lag must be an integer >= 0 ms, got {ms!r}")
        with self.engine.lock:
            self.engine.read_lag_ms = ms
            return ms

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

    def stream_fault(self, kind: str, count: int = 1, delay_ms: int = 0) -> dict:
        """The user-data stream misbehaves: ``drop`` (cut every connection now), ``stall``
        (open but silent until cleared), ``lose`` (the next ``count`` events vanish),
        ``delay`` (the next ``count`` events go out ``delay_ms`` late), ``clear``."""
        return self._stream().fault(kind, count, delay_ms)

    def expire_listen_key(self, listen_key: str | None = None) -> list[str]:
        """Expire the listenKey now (default: the live one): listenKeyExpired, then close."""
        return self._stream().expire_listen_key(listen_key)

    def _stream(self) -> Any:
        if self.stream is None:
            raise ValueError("this venue has no user-data stream")
        return self.stream

    def reset(self) -> None:
        """Fresh account, empty books and ledger, no faults, zero weight; prices kept."""
        self.faults.clear()
        self.limiter.reset()
        self.auth.time_offset_ms = 0
        self.engine.reset()
        if self.stream is not None:
            self.stream.reset()  # stream faults cleared, events from the new ledger

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
                "triggerFaults": [f.to_json() for f in engine.trigger_faults.pending()],
                "triggerDelayMs": engine.trigger_delay_ms,
                "readLagMs": engine.read_lag_ms,
                "ledgerSize": len(engine.ledger),
                "usedWeight": self.limiter.used_weight(),
                "bannedUntil": self.limiter.bans.banned_until(),
                "wsUrl": self.stream.url if self.stream is not None else "",
                "stream": self.stream.state() if self.stream is not None else None,
            }
