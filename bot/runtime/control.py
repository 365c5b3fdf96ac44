"""The ControlApi the dashboard uses: memory and database reads, audited controls.

Nothing here sends an exchange request: positions come from the monitor's
last cycle, candles from the cache the jobs filled.
"""

from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from bot.domain import (
    ChartView,
    ControlResult,
    EventKind,
    KillAction,
    RedFlagView,
    Snapshot,
    StreamStatus,
    Trade,
)
from bot.domain.books import (
    AuditView,
    DecisionPage,
    DecisionQuery,
    EquityHistory,
    PerformanceView,
    TradePage,
    TradeQuery,
)
from bot.runtime.bot import Bot

log = logging.getLogger(__name__)

_FLAGS_TTL_S = 1.0
RULE_PREFIX = "rule."  # the rulebook's settings keys: rule.<name>.<enabled|param>
EQUITY_POINTS = 600


class BotControl:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._c = bot.c
        self._flags: tuple[float, _Flags] = (0.0, _Flags())
        self._flags_lock = threading.Lock()
        self._performance: tuple[tuple, PerformanceView] | None = None
        self._closes: tuple[tuple[int, int], tuple[tuple[datetime, Decimal], ...]] | None = None

    def snapshot(self) -> Snapshot:
        c, bot = self._c, self._bot
        kill = c.killswitch.record()
        flags = self._red_flags()
        return Snapshot(
            mode=c.settings.mode,
            status=bot.status,
            kill_state=kill.state,
            kill_reason=kill.reason,
            regime=c.regime.current,
            last_monitor_at=bot.last_cycle_at(),
            positions=bot.positions(),
            kpis=bot.kpis(),
            red_flags=flags.views,
            unacknowledged_flags=flags.unacknowledged,
            recent_trades=flags.recent_trades,
            rules=c.rulebook.views(),
            activity=c.logs.lines(200),
            equity_curve=tuple(c.store.equity_curve(limit=500)),
            regime_history=tuple(c.regime.history()[-200:]),
            taken_at=c.clock(),
            stream=c.stream.status() if c.stream is not None else StreamStatus(),
            request_budget=c.exchange.request_budget(),  # memory: what the headers said
        )

    def _red_flags(self) -> _Flags:
        """The flags, their unacknowledged count and the closes that ended incidents: three
        reads, shared by the polls of one second."""
        with self._flags_lock:
            at, flags = self._flags
            if time.monotonic() - at < _FLAGS_TTL_S:
                return flags
        store = self._c.store
        flags = _Flags(tuple(store.red_flags(limit=50)), store.unacknowledged_count(),
                       tuple(store.recent_closed_trades(limit=50)))
        with self._flags_lock:
            self._flags = (time.monotonic(), flags)
        return flags

    def _forget_flags(self) -> None:
        with self._flags_lock:
            self._flags = (0.0, _Flags())

    def chart(self, symbol: str) -> ChartView:
        c = self._c
        candles = tuple(c.candles.cached(symbol)[-200:])
        view = next((p for p in self._bot.positions() if p.symbol == symbol), None)
        fills = tuple(
            (int(e.at.timestamp() * 1000), Decimal(str(e.details["price"])), str(e.details.get(
                "direction", "")))
            for e in c.store.events(kinds=[EventKind.ENTRY_FILLED], symbol=symbol, limit=20,
                                    newest_first=True)
            if e.details.get("price") is not None
        )
        return ChartView(
            symbol=symbol, klines=candles,
            entry=view.entry_price if view else None,
            stop=view.stop_trigger if view else None,
            take_profit=view.take_profit if view else None,
            fills=fills,
        )

    def set_rule(self, name: str, enabled: bool | None, params: dict[str, str],
                 actor: str, reason: str = "") -> ControlResult:
        """The rulebook validates, saves and logs the change (once); the audit gets the
        operator's reason and, for a setting never stored before, the default it replaced."""
        errors = self._c.rulebook.set_rule(name, enabled, params, actor, reason)
        if errors:
            return ControlResult(False, "not saved", tuple(errors))
        return ControlResult(True, f"{name} saved")

    def kill_switch(self, action: KillAction, actor: str, reason: str = "") -> ControlResult:
        result = self._c.killswitch.apply(action, actor, reason)
        if result.ok and action is KillAction.FLATTEN:
            self._bot.wake_monitor()
        return result

    def acknowledge(self, red_flag_id: int, actor: str) -> ControlResult:
        if not self._c.store.acknowledge(red_flag_id, actor):
            return ControlResult(False, errors=(f"no red flag with id {red_flag_id}",))
        self._forget_flags()
        log.info("[ALERT] Red flag %s acknowledged by %s", red_flag_id, actor)
        return ControlResult(True, "acknowledged")

    def acknowledge_all(self, actor: str, up_to_id: int | None = None) -> ControlResult:
        count = self._c.store.acknowledge_all(actor, up_to_id)
        self._forget_flags()
        log.info("[ALERT] %d red flag(s) acknowledged by %s", count, actor)
        return ControlResult(True, f"{count} acknowledged")

    # the books -------------------------------------------------------------------------
    def closed_trades(self, query: TradeQuery) -> TradePage:
        return self._c.store.closed_trades(query)

    def performance(self) -> PerformanceView:
        """Recomputed only when a trade closed or the day turned (one cheap read otherwise)."""
        store, now = self._c.store, self._c.clock()
        key = (store.books_version(), now.date())
        cached = self._performance
        if cached is not None and cached[0] == key:
            return replace(cached[1], as_of=now)
        view = store.performance(now)
        self._performance = (key, view)
        return view

    def equity_history(self, span: timedelta | None) -> EquityHistory:
        """The points of the range, and the closes from the books (read again only after a
        close); the unrealized PnL now from the monitor's last view of the positions."""
        store, now = self._c.store, self._c.clock()
        since = None if span is None else now - span
        version = store.books_version()
        cached = self._closes
        if cached is None or cached[0] != version:
            cached = self._closes = (version, store.realized_closes())
        closes = cached[1]
        first = 0 if since is None else bisect_left(closes, since, key=lambda c: c[0])
        unrealized = sum((p.unrealized_pnl for p in self._bot.positions()), Decimal(0))
        return EquityHistory(points=store.equity_points(since, EQUITY_POINTS),
                             closes=tuple(c for c in closes[first:] if c[0] <= now),
                             unrealized_now=unrealized, since=since)

    def decisions(self, query: DecisionQuery) -> DecisionPage:
        return self._c.store.decisions_page(query)

    def audit_trail(self, limit: int = 100) -> tuple[AuditView, ...]:
        return tuple(AuditView(a.id, a.at, a.key, a.old, a.new, a.actor, a.note)
                     for a in self._c.store.audit_trail(limit=limit))


@dataclass(frozen=True)
class _Flags:
    """What the red-flag card needs, read together."""

    views: tuple[RedFlagView, ...] = ()
    unacknowledged: int = 0
    recent_trades: tuple[Trade, ...] = ()
