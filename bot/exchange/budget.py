"""The request budget: back off when the exchange says so, and keep a reserve for protection.

Binance counts weight per IP per minute (2400) and orders per account (300/10 s,
1200/min), and says how much is used on every answer (``X-MBX-USED-WEIGHT-1M``,
``X-MBX-ORDER-COUNT-10S`` / ``-1M``). Two rules follow:

- **Back off.** A 429 or 418 carries ``Retry-After``; sending anything before it
  ends is what turns a 429 into a ban (418, 2 minutes to 3 days). Until then every
  request is refused here, without being sent, with the time left in the message.
  A 429 for the order count (TOO_MANY_ORDERS) holds back only new orders.
- **Reserve.** A stop that cannot be placed because a strategy scan spent the
  minute's weight is the failure this bot exists to prevent. Above ``reserve_share``
  of a limit, requests marked non-essential (entries, optional reads) are refused
  locally; stops, cancels, closes and the monitor's reads still go out.

The limits themselves are the venue's: exchangeInfo publishes them (``rateLimits``)
and Binance has changed them before, so a figure the operator did not set follows
what the venue says (Binance's published one until exchangeInfo is read).

The counts a header gave hold for the window they were given in (the minute or
the 10 s bucket, by the local clock): an old reading does not block a new window.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from bot.domain import RequestBudget
from bot.domain.errors import BinanceErrorCode as Code
from bot.domain.errors import ExchangeError, refused
from bot.exchange.weights import ORDER_COUNT_1M_HEADER, ORDER_COUNT_10S_HEADER, WEIGHT_HEADER

log = logging.getLogger(__name__)

RETRY_AFTER_HEADER = "Retry-After"
BAN_DEFAULT_S = 120.0  # Binance's shortest ban, when a 418 does not say


@dataclass(frozen=True)
class RateLimits:
    """The three limits the budget counts against; None: not known, or left to the venue."""

    weight_per_min: int | None = None
    orders_per_10s: int | None = None
    orders_per_min: int | None = None

    def __post_init__(self) -> None:
        _check(self.weight_per_min, self.orders_per_10s, self.orders_per_min)

    def over(self, other: RateLimits) -> RateLimits:
        """Each figure of this one, where known, else ``other``'s."""
        return RateLimits(*(getattr(self, f.name) if getattr(self, f.name) is not None
                            else getattr(other, f.name) for f in fields(RateLimits)))


def _check(*limits: int | None) -> None:
    if any(limit is not None and limit < 1 for limit in limits):
        raise ValueError("rate limits must be >= 1")


BINANCE_LIMITS = RateLimits(weight_per_min=2400, orders_per_10s=300, orders_per_min=1200)

# exchangeInfo rateLimits rows (rateLimitType, interval, intervalNum) the budget counts in
_WINDOWS = {
    ("REQUEST_WEIGHT", "MINUTE", 1): "weight_per_min",
    ("ORDERS", "SECOND", 10): "orders_per_10s",
    ("ORDERS", "MINUTE", 1): "orders_per_min",
}


def published_limits(exchange_info: Any) -> RateLimits:
    """The venue's limits from an exchangeInfo answer. Only the windows the headers count in
    (1 minute of weight, 10 s and 1 minute of orders) are read; another window or an
    unreadable row leaves that figure unknown, never guessed."""
    rows = exchange_info.get("rateLimits") if isinstance(exchange_info, Mapping) else None
    found: dict[str, int] = {}
    for row in rows if isinstance(rows, list) else ():
        if not isinstance(row, Mapping):
            continue
        name = _WINDOWS.get((row.get("rateLimitType"), row.get("interval"),
                             _count(row.get("intervalNum"))))
        limit = _count(row.get("limit"))
        if name is not None and limit is not None:
            found[name] = limit
    return RateLimits(**found)


def _count(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    return raw if isinstance(raw, int) and raw >= 1 else None


@dataclass(frozen=True)
class BudgetLimits:
    """The operator's limits, and the share above which only protection is sent (None: no
    reserve, only the back-off; the bot always sets one, QT_RATE_RESERVE_SHARE). A limit
    left None is the venue's (``RequestBudgetTracker.adopt``); one given here is kept
    whatever the venue publishes."""

    weight_per_min: int | None = None
    orders_per_10s: int | None = None
    orders_per_min: int | None = None
    reserve_share: float | None = 0.8

    def __post_init__(self) -> None:
        _check(self.weight_per_min, self.orders_per_10s, self.orders_per_min)
        if self.reserve_share is not None and not 0 < self.reserve_share <= 1:
            raise ValueError(f"reserve_share must be in (0, 1], got {self.reserve_share}")

    @property
    def rates(self) -> RateLimits:
        return RateLimits(self.weight_per_min, self.orders_per_10s, self.orders_per_min)


@dataclass(frozen=True)
class _Reading:
    value: int
    bucket: int  # the window the value was counted in (epoch seconds // window)


class RequestBudgetTracker:
    """Thread-safe; ``admit`` before each request, ``observe`` after each answer."""

    def __init__(self, limits: BudgetLimits | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.limits = limits or BudgetLimits()
        self._clock = clock or time.time
        self._lock = threading.Lock()
        self._venue = BINANCE_LIMITS  # what the venue published, Binance's figures until then
        self._weight = _Reading(0, 0)
        self._orders_10s = _Reading(0, 0)
        self._orders_1m = _Reading(0, 0)
        self._blocked_until = 0.0  # every request
        self._blocked_status: int | None = None
        self._orders_blocked_until = 0.0  # new orders only

    # --- before a request ---------------------------------------------------------------
    def admit(self, endpoint: str, essential: bool, is_order: bool, weight: int) -> None:
        """Raise RateLimitedError (nothing is sent) while backing off, or when a
        non-essential request would eat into the reserve."""
        now = self._clock()
        with self._lock:
            left = self._blocked_until - now
            status = self._blocked_status
            orders_left = self._orders_blocked_until - now if is_order else 0.0
            used = self._current(self._weight, 60, now) + weight
            o10 = self._current(self._orders_10s, 10, now) + (1 if is_order else 0)
            o1m = self._current(self._orders_1m, 60, now) + (1 if is_order else 0)
            lim = self._effective()
        # After a 429 for IP weight, an order that protects a position still goes: orders
        # cost no IP weight, and a stop held back for a minute is a naked position. A 418 ban
        # refuses everything at the venue anyway, so nothing is sent then.
        if left > 0 and not (status == 429 and essential and is_order):
            raise _limited(f"{endpoint} not sent: rate limited by the exchange (HTTP {status}) "
                           f"for {math.ceil(left)} s more")
        if orders_left > 0:  # the venue would refuse any new order until then
            raise _limited(f"{endpoint} not sent: order rate limit, {math.ceil(orders_left)} s "
                           "more", Code.TOO_MANY_ORDERS)
        share = self.limits.reserve_share
        if essential or share is None:
            return
        if used > share * lim.weight_per_min:
            raise _limited(f"{endpoint} deferred: used weight {used}/{lim.weight_per_min} would "
                           f"pass the {share:.0%} share; the rest is kept for protection")
        if is_order and (o10 > share * lim.orders_per_10s or o1m > share * lim.orders_per_min):
            raise _limited(f"{endpoint} deferred: order count {o10}/10s, {o1m}/min would pass "
                           f"the {share:.0%} share; the rest is kept for protection",
                           Code.TOO_MANY_ORDERS)

    # --- after an answer ----------------------------------------------------------------
    def observe(self, headers: Mapping[str, str] | None, status: int | None,
                code: int | None) -> None:
        now = self._clock()
        with self._lock:
            if headers is not None:
                self._weight = _read(headers, WEIGHT_HEADER, 60, now, self._weight)
                self._orders_10s = _read(headers, ORDER_COUNT_10S_HEADER, 10, now,
                                         self._orders_10s)
                self._orders_1m = _read(headers, ORDER_COUNT_1M_HEADER, 60, now, self._orders_1m)
            if status not in (418, 429):
                return
            wait = _retry_after(headers)
            if status == 429 and code == Code.TOO_MANY_ORDERS:
                until = now + (wait if wait is not None else 10 - now % 10)
                self._orders_blocked_until = max(self._orders_blocked_until, until)
                what = "new orders"
            else:
                default = BAN_DEFAULT_S if status == 418 else 60 - now % 60
                until = now + (wait if wait is not None else default)
                if until > self._blocked_until:
                    self._blocked_until, self._blocked_status = until, status
                what = "every request"
        log.error("[EXCHANGE] HTTP %s (code %s): %s held back for %.0f s", status, code, what,
                  until - now)

    # --- the limits -----------------------------------------------------------------------
    def adopt(self, published: RateLimits) -> RateLimits:
        """Count against what the venue published (figures it did not publish stay as they
        were; the operator's own stay regardless). Returns the limits now in force."""
        with self._lock:
            before = self._effective()
            self._venue = published.over(self._venue)
            after = self._effective()
        if after != before:
            log.info("[EXCHANGE] Rate limits: weight %s/min, orders %s/10s and %s/min "
                     "(venue's, operator's where set)",
                     after.weight_per_min, after.orders_per_10s, after.orders_per_min)
        return after

    def _effective(self) -> RateLimits:
        """Every figure known: ``_venue`` starts from Binance's published ones."""
        return self.limits.rates.over(self._venue)

    # --- read model ---------------------------------------------------------------------
    def view(self) -> RequestBudget:
        now = self._clock()
        with self._lock:
            lim = self._effective()
            until = max(self._blocked_until, self._orders_blocked_until)
            return RequestBudget(
                used_weight=self._current(self._weight, 60, now),
                weight_limit=lim.weight_per_min,
                order_count_10s=self._current(self._orders_10s, 10, now),
                order_limit_10s=lim.orders_per_10s,
                order_count_1m=self._current(self._orders_1m, 60, now),
                order_limit_1m=lim.orders_per_min,
                reserve_share=self.limits.reserve_share,
                banned_until=datetime.fromtimestamp(until, UTC) if until > now else None,
            )

    @staticmethod
    def _current(reading: _Reading, window: int, now: float) -> int:
        return reading.value if reading.bucket == int(now // window) else 0


def _read(headers: Mapping[str, str], name: str, window: int, now: float,
          old: _Reading) -> _Reading:
    raw = headers.get(name)
    try:
        return _Reading(int(raw), int(now // window)) if raw is not None else old
    except ValueError:
        return old


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    raw = headers.get(RETRY_AFTER_HEADER) if headers is not None else None
    try:
        seconds = float(raw) if raw is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) and seconds >= 0 else None


def _limited(message: str, code: Code = Code.TOO_MANY_REQUESTS) -> ExchangeError:
    return refused(code, message)
