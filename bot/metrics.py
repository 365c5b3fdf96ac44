"""Protection and decision metrics, derived only from the event log.

The dashboard, the soak report and the tests all read these from the same
append-only table, so a number on screen is always one a test can recompute.
Counting is done in SQL (indexed on kind and time); only the few rows a mean
needs (stop-hit closes, naked intervals) are read back.

Conventions the emitters follow:
- A stop placement attempt is one ``protect()`` call. It succeeds when it
  ends in STOP_PLACED; it fails when the ladder runs out and ends in
  EMERGENCY_CLOSE. STOP_REJECTED and STOP_RETRY are steps inside an attempt,
  not attempts. Success rate = STOP_PLACED / (STOP_PLACED + EMERGENCY_CLOSE).
  A call that could neither place a stop nor close the position (the worst
  case) emits EXCHANGE_ERROR with details.protect == "failed"; it counts as a
  failed attempt too.
- STOP_PLACED.latency_ms is the entry response → stop acknowledgement time
  when details.immediate is true; placements flagged ``immediate: false``
  (monitor, moves) are left out of fill→stop latency.
- POSITION_CLOSED.details: ``reason`` ("stop" for a stop hit),
  ``pnl_pct_equity`` in percent of equity (-0.75 = lost 0.75%), and either
  ``price_move_pct`` or both ``entry_price`` and ``exit_price``.
- DECISION_DENIED.details.rule names the rule that denied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from bot.domain import Event, EventKind, Kpis
from bot.domain.errors import IMMEDIATE_TRIGGER
from bot.domain.errors import BinanceErrorCode as Code

DAY = timedelta(hours=24)
RULE_SHORT_BLOCK = "uptrend_short_block"
RULE_MAX_PER_SYMBOL = "max_positions_per_symbol"
STOP_HIT_REASON = "stop"
PROTECT_FAILED = ("protect", "failed")  # details of EXCHANGE_ERROR when protect() gave up


class EventSource(Protocol):
    """The part of bot.store.Store the metrics read."""

    def count(
        self, kind: EventKind, since: datetime | None = ..., code: int | None = ...,
        detail: tuple[str, str] | None = ..., until: datetime | None = ...,
    ) -> int: ...

    def counts_by_code(
        self, kind: EventKind, since: datetime | None = ..., until: datetime | None = ...
    ) -> dict[int, int]: ...

    def latency_percentiles(
        self, kind: EventKind, percentiles: Any, since: datetime | None = ...,
        until: datetime | None = ..., skip_if_false: str | None = ...,
    ) -> list[float | None]: ...

    def events(self, kinds: Any = ..., symbol: str | None = ..., since: datetime | None = ...,
               until: datetime | None = ..., limit: int | None = ...,
               newest_first: bool = ..., after_id: int | None = ...,
               detail: tuple[str, str] | None = ...) -> list[Event]: ...


@dataclass(frozen=True)
class StopHitLoss:
    count: int
    mean_pct_equity: float | None  # percent of equity, negative = loss
    mean_price_move_pct: float | None  # |exit - entry| / entry, in percent


@dataclass(frozen=True)
class MetricsReport:
    since: datetime | None
    until: datetime | None
    sl_attempts: int
    sl_placed: int
    sl_success_rate: float | None
    fill_to_stop_p50_ms: float | None
    fill_to_stop_p99_ms: float | None
    naked_seconds: dict[str, float]
    stop_hits: StopHitLoss
    emergency_closes: int
    stops_canceled_while_open: int
    rejected_would_trigger: int
    rejected_tp_sl_would_trigger: int
    trailing_2007: int
    shorts_blocked: int
    position_limit_denials: int


def sl_attempts(store: EventSource, since: datetime | None, until: datetime | None = None
                ) -> tuple[int, int]:
    """(stops placed, attempts) — see the module docstring for what an attempt is."""
    placed = store.count(EventKind.STOP_PLACED, since=since, until=until)
    failed = store.count(EventKind.EMERGENCY_CLOSE, since=since, until=until)
    failed += store.count(EventKind.EXCHANGE_ERROR, since=since, until=until,
                          detail=PROTECT_FAILED)
    return placed, placed + failed


def sl_placement_success_rate(
    store: EventSource, since: datetime | None, until: datetime | None = None
) -> float | None:
    """Stops placed / placement attempts (a fraction in [0, 1]); None when nothing was attempted."""
    placed, attempts = sl_attempts(store, since, until)
    return None if attempts == 0 else placed / attempts


def fill_to_stop_latency(
    store: EventSource, since: datetime | None, until: datetime | None = None
) -> tuple[float | None, float | None]:
    """Nearest-rank p50 and p99 of STOP_PLACED.latency_ms, in ms (immediate stops only)."""
    p50, p99 = store.latency_percentiles(EventKind.STOP_PLACED, (50, 99), since, until,
                                         skip_if_false="immediate")
    return p50, p99


def naked_seconds(
    store: EventSource,
    since: datetime | None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, float]:
    """Seconds each symbol spent naked: NAKED_DETECTED → its next STOP_PLACED or POSITION_CLOSED.

    A repeated NAKED_DETECTED while already naked does not restart the clock.
    An interval still open at the end counts up to ``now`` when given, else is left out.
    """
    kinds = (EventKind.NAKED_DETECTED, EventKind.STOP_PLACED, EventKind.POSITION_CLOSED)
    started: dict[str, datetime] = {}
    total: dict[str, float] = {}
    for ev in store.events(kinds=kinds, since=since, until=until):
        if ev.symbol is None:
            continue
        if ev.kind is EventKind.NAKED_DETECTED:
            started.setdefault(ev.symbol, ev.at)
            total.setdefault(ev.symbol, 0.0)
        elif ev.symbol in started:
            start = started.pop(ev.symbol)
            total[ev.symbol] += max(0.0, (ev.at - start).total_seconds())
    if now is not None:
        for symbol, start in started.items():
            total[symbol] += max(0.0, (now - start).total_seconds())
    return total


@dataclass(frozen=True)
class CoverageHistory:
    naked_since: datetime | None  # still naked: since when
    reprotected_at: datetime | None  # the stop that ended the last naked spell
    last_naked_s: float | None  # how long that spell lasted


def coverage_history(store: EventSource, since: datetime | None = None,
                     limit: int = 500) -> dict[str, CoverageHistory]:
    """Per symbol, the last naked spell from the newest events: what the positions card says
    next to the coverage ("COVERED · re-protected 05:20:16 · naked 9 s")."""
    kinds = (EventKind.NAKED_DETECTED, EventKind.STOP_PLACED, EventKind.POSITION_CLOSED)
    started: dict[str, datetime] = {}
    last: dict[str, tuple[datetime, float]] = {}
    # ``since`` keeps the read on the (kind, at) index: the log only grows
    newest = store.events(kinds=kinds, since=since, limit=limit, newest_first=True)
    for ev in reversed(newest):
        if ev.symbol is None:
            continue
        if ev.kind is EventKind.NAKED_DETECTED:
            started.setdefault(ev.symbol, ev.at)
        elif ev.symbol in started:
            start = started.pop(ev.symbol)
            if ev.kind is EventKind.STOP_PLACED:
                last[ev.symbol] = (ev.at, max(0.0, (ev.at - start).total_seconds()))
    out = {}
    for symbol in set(started) | set(last):
        again = last.get(symbol)
        out[symbol] = CoverageHistory(started.get(symbol), again[0] if again else None,
                                      again[1] if again else None)
    return out


def loss_per_stop_hit(
    store: EventSource, since: datetime | None, until: datetime | None = None
) -> StopHitLoss:
    """Mean result of positions closed by their stop: % of equity and % price move."""
    closes = store.events(kinds=(EventKind.POSITION_CLOSED,), since=since, until=until,
                          detail=("reason", STOP_HIT_REASON))
    equity_pcts = [v for v in (_dec(ev.details.get("pnl_pct_equity")) for ev in closes)
                   if v is not None]
    moves = [v for v in (_price_move_pct(ev.details) for ev in closes) if v is not None]
    return StopHitLoss(count=len(closes), mean_pct_equity=_mean(equity_pcts),
                       mean_price_move_pct=_mean(moves))


def emergency_closes(store: EventSource, since: datetime | None,
                     until: datetime | None = None) -> int:
    return store.count(EventKind.EMERGENCY_CLOSE, since=since, until=until)


def stops_canceled_while_open(store: EventSource, since: datetime | None = None,
                              until: datetime | None = None) -> int:
    """Invariant breaches: must stay 0."""
    return store.count(EventKind.STOP_CANCELED_WHILE_OPEN, since=since, until=until)


def immediate_trigger_rejections(store: EventSource, since: datetime | None,
                                 until: datetime | None = None) -> dict[int, int]:
    """STOP_REJECTED per "would trigger immediately" code (the two codes share one ladder)."""
    by_code = store.counts_by_code(EventKind.STOP_REJECTED, since, until)
    return {code: by_code.get(code, 0) for code in sorted(IMMEDIATE_TRIGGER)}


def trailing_rejections(store: EventSource, since: datetime | None,
                        until: datetime | None = None) -> int:
    """TRAILING_DISABLED answered INVALID_CALLBACK_RATE (an invalid setting has no code)."""
    return store.count(EventKind.TRAILING_DISABLED, since=since, until=until,
                       code=Code.INVALID_CALLBACK_RATE)


def denials_by_rule(store: EventSource, rule: str, since: datetime | None,
                    until: datetime | None = None) -> int:
    return store.count(EventKind.DECISION_DENIED, since=since, until=until, detail=("rule", rule))


def shorts_blocked(store: EventSource, since: datetime | None,
                   until: datetime | None = None) -> int:
    return denials_by_rule(store, RULE_SHORT_BLOCK, since, until)


def position_limit_denials(store: EventSource, since: datetime | None,
                           until: datetime | None = None) -> int:
    return denials_by_rule(store, RULE_MAX_PER_SYMBOL, since, until)


def compute_kpis(
    store: EventSource,
    now: datetime,
    open_positions: int = 0,
    covered: int = 0,
    equity: Decimal | None = None,
) -> Kpis:
    """The dashboard's KPI row: counts over the last 24 h, except the invariant breach
    count and loss per stop hit, which are all-time (rare events, small samples)."""
    since = now - DAY
    p50, p99 = fill_to_stop_latency(store, since)
    rejected = immediate_trigger_rejections(store, since)
    return Kpis(
        open_positions=open_positions,
        covered_positions=covered,
        sl_success_rate_24h=sl_placement_success_rate(store, since),
        fill_to_stop_p50_ms=p50,
        fill_to_stop_p99_ms=p99,
        emergency_closes_24h=emergency_closes(store, since),
        shorts_blocked_24h=shorts_blocked(store, since),
        position_limit_denials_24h=position_limit_denials(store, since),
        loss_per_stop_hit_pct=loss_per_stop_hit(store, None).mean_pct_equity,
        stops_canceled_while_open=stops_canceled_while_open(store),
        would_trigger_rejections=sum(rejected.values()),
        callback_rate_rejections=trailing_rejections(store, since),
        equity=equity,
    )


def metrics_report(
    store: EventSource,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> MetricsReport:
    """Every metric over one window, for the soak report and the closing notes."""
    placed, attempts = sl_attempts(store, since, until)
    p50, p99 = fill_to_stop_latency(store, since, until)
    rejected = immediate_trigger_rejections(store, since, until)
    return MetricsReport(
        since=since,
        until=until,
        sl_attempts=attempts,
        sl_placed=placed,
        sl_success_rate=None if attempts == 0 else placed / attempts,
        fill_to_stop_p50_ms=p50,
        fill_to_stop_p99_ms=p99,
        naked_seconds=naked_seconds(store, since, until, now),
        stop_hits=loss_per_stop_hit(store, since, until),
        emergency_closes=emergency_closes(store, since, until),
        stops_canceled_while_open=stops_canceled_while_open(store, since, until),
        rejected_would_trigger=rejected[Code.ORDER_WOULD_IMMEDIATELY_TRIGGER],
        rejected_tp_sl_would_trigger=rejected[Code.TP_SL_WOULD_TRIGGER],
        trailing_2007=trailing_rejections(store, since, until),
        shorts_blocked=shorts_blocked(store, since, until),
        position_limit_denials=position_limit_denials(store, since, until),
    )


def _dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _price_move_pct(details: dict[str, Any]) -> Decimal | None:
    given = _dec(details.get("price_move_pct"))
    if given is not None:
        return abs(given)
    entry, exit_ = _dec(details.get("entry_price")), _dec(details.get("exit_price"))
    if entry is None or exit_ is None or entry == 0:
        return None
    return abs(exit_ - entry) / entry * 100


def _mean(values: list[Decimal]) -> float | None:
    return None if not values else float(sum(values, Decimal(0)) / len(values))
