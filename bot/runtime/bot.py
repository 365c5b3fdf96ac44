"""The running bot: its scheduled jobs and the in-memory state the dashboard reads.

Jobs (APScheduler, in the Dash server's process): monitor (protect, flatten
when asked, renew the lease), regime refresh, strategy scan, executor queue,
metric rollup. Each job catches nothing it cannot handle: an exception becomes
a JOB_ERROR red flag through the scheduler's listener.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.decisions import scan_symbols
from bot.decisions.killswitch import realized_pnl_since
from bot.domain import (
    ConditionalOrder,
    Coverage,
    KillState,
    Kpis,
    Position,
    PositionView,
    Signal,
    SymbolFilters,
)
from bot.execution.executor import OpenStatus
from bot.metrics import compute_kpis, coverage_history
from bot.protection.coverage import TriggerGrace
from bot.reconcile import require_one_way
from bot.runtime.assembly import Components
from bot.runtime.position_views import build_position_views
from bot.runtime.scheduler import JobSpec, build_scheduler, start_once, stop

log = logging.getLogger(__name__)

MONITOR_JOB = "monitor"


class Bot:
    def __init__(self, c: Components) -> None:
        self.c = c
        self.status = "starting"
        self._scheduler = None
        self._lock = threading.Lock()
        self._views: tuple[PositionView, ...] = ()
        self._picture: _Picture | None = None  # what the monitor saw last (refresh_views)
        self._built_from: _Picture | None = None  # the picture ``_views`` were built from
        self._build_lock = threading.Lock()  # one rebuild at a time, outside ``_lock``
        self._build_failed = False
        self._views_read = False  # positions() was called since the last picture
        self._last_cycle_at: datetime | None = None
        self._kpis = Kpis()
        self._kpis_read = False  # kpis() was called since the KPIs were last computed
        self._kpis_due = True  # a rollup left them to the next reader
        self._kpis_failed = False
        self._equity: Decimal | None = None

    # --- life cycle ---
    def start(self, scheduler: bool = True) -> None:
        """Position mode, lease, leverage, reconciliation, then the jobs; refuses
        (StartRefusedError) in hedge mode or if another process manages the account."""
        c = self.c
        require_one_way(c.exchange)  # before anything starts: a refusal leaves nothing running
        c.notifier.start()
        c.reconciler.acquire()
        for symbol in c.settings.symbols:
            try:
                c.exchange.set_leverage(symbol, c.settings.leverage)
            except Exception as exc:
                log.warning("[START] Leverage for %s not set: %s", symbol, exc)
        self.run_monitor()  # reconciliation: adopt, protect, clean up before anything else
        try:  # a regime from the start: unknown, it would deny every short for a minute
            self.run_regime()
        except Exception as exc:  # the scheduled refresh tries again; shorts stay denied
            log.warning("[REGIME] First refresh failed: %s", exc)
        self.rollup()
        if scheduler:
            self._scheduler = build_scheduler(self._jobs(), c.store.append)
            start_once(self._scheduler)
        if c.stream is not None and scheduler:
            c.stream.start(self)
        if c.rechecks is not None and scheduler:
            c.rechecks.start(self)
        self.status = "running"
        log.info("[START] Bot running in %s mode on %d symbols, exchange %s",
                 c.settings.mode.value.upper(), len(c.settings.symbols), c.exchange.base_url)
        c.notifier.announce_start(c.settings.mode.value.upper(), len(c.settings.symbols))

    def shutdown(self) -> None:
        if self.c.stream is not None:
            self.c.stream.stop()
        if self.c.rechecks is not None:
            self.c.rechecks.stop()
        if self._scheduler is not None:
            stop(self._scheduler, wait=True)
            self._scheduler = None
        self.status = "stopped"
        try:
            self.c.reconciler.release()
        except Exception as exc:
            log.warning("[STOP] Lease release failed: %s", exc)
        if self.c.owns_paper and self.c.paper is not None:
            self.c.paper.stop()
        self.c.notifier.announce_stop()
        self.c.notifier.stop()  # what is queued goes out first, within a bounded time
        self.c.store.close()
        log.info("[STOP] Bot stopped")

    def jobs(self) -> list[JobSpec]:
        """The scheduled jobs and their intervals (a replay runs them on its virtual clock)."""
        return self._jobs()

    def _jobs(self) -> list[JobSpec]:
        s = self.c.settings
        monitor_s = s.monitor_interval_s
        return [
            JobSpec(MONITOR_JOB, self.run_monitor, monitor_s, max(1, int(monitor_s))),
            JobSpec("executor", self.run_executor, 1.0, 5),
            JobSpec("strategy", self.run_strategy, 30.0, 30),
            JobSpec("regime", self.run_regime, s.regime_refresh_s, max(1, int(s.regime_refresh_s))),
            JobSpec("rollup", self.rollup, 15.0, 15),
        ]

    def wake_monitor(self) -> None:
        """Run the monitor now (FLATTEN must not wait for the next cycle)."""
        if self._scheduler is not None and self._scheduler.running:
            # the scheduler runs on wall time, whatever the (paper) exchange's clock says
            self._scheduler.modify_job(MONITOR_JOB, next_run_time=datetime.now(UTC))

    # --- jobs ---
    def run_monitor(self) -> None:
        c = self.c
        if not c.reconciler.renew():
            self.status = "error"
            log.critical("[LEASE] Lease lost: not managing the account any more")
            return
        if c.killswitch.state is KillState.FLATTENING:
            self._flatten()
        report = c.monitor.run_cycle()
        self.refresh_views()
        with self._lock:
            self._last_cycle_at = report.at
        if report.error:
            log.warning("[MONITOR] Cycle error: %s", report.error)

    def refresh_views(self) -> None:
        """The monitor's picture changed (a cycle, or a targeted check after a stream event):
        the dashboard's positions are rebuilt from it, here while the dashboard reads them,
        else when next read (``positions``).

        Rebuilding costs two store reads (open trades, the coverage history of the event
        log) that only the dashboard needs: done on this thread while it polls, so a poll
        stays a read of memory; skipped while nothing reads them (a replay never does, a
        closed browser neither). What is cheap and belongs to this moment (positions, book,
        grace, the symbols' filters) is taken now, so a rebuild on the dashboard's thread
        never sends an exchange request (exchangeInfo when the filters age)."""
        c = self.c
        positions, book, seen_at = c.monitor.last_seen()
        filters = {}
        for pos in positions:
            try:
                filters[pos.symbol] = c.exchange.filters(pos.symbol)
            except Exception:  # the page shows the symbol's numbers unrounded, as before
                continue
        picture = _Picture(tuple(positions), tuple(book), seen_at,
                           c.protection.protector.grace(), filters)
        with self._lock:
            self._picture = picture
            wanted, self._views_read = self._views_read, False
        if wanted:
            self._views_now()

    def _views_now(self) -> tuple[PositionView, ...]:
        """The views of the newest picture, rebuilt once per picture by whoever comes first
        (``refresh_views`` while they are read, else the reader); a failed rebuild keeps the
        last views (and is tried again)."""
        with self._lock:
            if self._picture is self._built_from:
                return self._views
        with self._build_lock:
            with self._lock:
                picture = self._picture
                if picture is self._built_from or picture is None:
                    return self._views
            c = self.c
            try:
                trades = c.store.open_trades()
                views = build_position_views(
                    picture.positions, picture.book, picture.seen_at,
                    {t.symbol: t.opened_at for t in trades}, grace=picture.grace,
                    filters=picture.filters.__getitem__,
                    risk_stops={t.symbol: t.stop_price for t in trades},
                    history=coverage_history(c.store, since=c.clock() - timedelta(hours=24)))
            except Exception:
                if not self._build_failed:
                    log.exception("[VIEWS] Positions not rebuilt - showing the last ones")
                self._build_failed = True
                with self._lock:
                    return self._views
            self._build_failed = False
            with self._lock:
                self._views, self._built_from = views, picture
                return views

    def fast_poll(self, on: bool) -> None:
        """While the stream is down the poll is the only net: run it more often."""
        s = self.c.settings
        seconds = s.monitor_fast_interval_s if on else s.monitor_interval_s
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.reschedule_job(MONITOR_JOB, trigger="interval", seconds=seconds)
        log.info("[MONITOR] Interval %.1f s (%s)", seconds, "stream down" if on else "normal")

    def _flatten(self) -> None:
        c = self.c
        report = c.protection.flattener.flatten(pause=lambda: time.sleep(0.2))
        if report.errors:
            log.warning("[FLATTEN] Not flat yet: %s", "; ".join(report.errors))
            return
        if not c.exchange.positions():
            c.killswitch.flatten_done()
            log.info("[FLATTEN] All positions closed - kill switch HALTED")

    def run_executor(self) -> None:
        c = self.c
        if not c.reconciler.held:  # lost to another process: it trades this account now
            dropped = c.queue.drain()
            if dropped:
                log.error("[LEASE] No lease: %d signal(s) dropped, no entries", len(dropped))
            return
        for signal in c.queue.drain():
            try:
                self._execute(signal)
            except Exception:  # one bad signal must not take the rest of the batch with it
                log.exception("[EXEC] Signal %s for %s failed", signal.id, signal.symbol)

    def _execute(self, signal: Signal) -> None:
        c = self.c
        with c.exchange.deferrable():  # the entry's reads wait for budget; its stop never does
            outcome = c.pipeline.decide(signal, c.context)
        if not outcome.allowed or outcome.decision is None:
            return
        result = c.executor.open_position(outcome.decision)
        if result.status is not OpenStatus.OPENED:
            log.warning("[EXEC] %s %s: %s", signal.symbol, result.status.value, result.reason)

    def run_strategy(self) -> None:
        c = self.c
        if c.killswitch.entry_denial() or not c.reconciler.held:
            return
        with c.exchange.deferrable():  # optional reads: the budget's reserve may refuse them
            scan_symbols(c.strategy, c.settings.symbols, c.candles.klines, c.queue.submit,
                         c.strategy.params.interval, 200)

    def run_regime(self) -> None:
        try:
            with self.c.exchange.deferrable():  # refused under pressure, it ages: fails closed
                self.c.regime.refresh()
        finally:  # a failing refresh still ages the regime: red-flag it once it is stale
            self.c.regime.check_stale()

    def rollup(self) -> None:
        """Equity point, KPIs and the automatic kill-switch trips, off the request path.

        The KPIs (a dozen reads of the event log, some all-time) are only for the dashboard:
        they are computed here while it reads them, so a poll never waits for them; with no
        reader (a replay, a closed browser) the first read computes them (``kpis``)."""
        c = self.c
        now = c.clock()
        try:
            with c.exchange.deferrable():
                equity = c.exchange.account().equity
        except Exception as exc:
            log.warning("[ROLLUP] Equity unavailable: %s", exc)
            equity = self._equity
        if equity is not None:
            c.store.record_equity(now, equity)
            self._equity = equity
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            pnl_today = realized_pnl_since(c.store.closed_trades_since(midnight), midnight)
            tripped = c.killswitch.check_trips(
                pnl_today, equity, c.settings.daily_loss_limit,
                c.settings.storm_emergency_closes, c.settings.storm_window_s)
            if tripped:
                log.critical("[KILL] Automatic HALT: %s", tripped)
        with self._lock:
            wanted, self._kpis_read = self._kpis_read, False
            self._kpis_due = not wanted
        if wanted:
            self._compute_kpis(now, equity)

    def _compute_kpis(self, now: datetime, equity: Decimal | None) -> Kpis:
        kpis = compute_kpis(self.c.store, now, equity=equity)
        with self._lock:
            self._kpis = kpis
        return kpis

    # --- state for the control API (memory only) ---
    def positions(self) -> tuple[PositionView, ...]:
        with self._lock:
            self._views_read = True
        return self._views_now()

    def last_cycle_at(self) -> datetime | None:
        with self._lock:
            return self._last_cycle_at

    def kpis(self) -> Kpis:
        views = self.positions()
        with self._lock:
            kpis, due = self._kpis, self._kpis_due
            self._kpis_read, self._kpis_due = True, False
        if due:
            try:
                kpis = self._compute_kpis(self.c.clock(), self._equity)
                self._kpis_failed = False
            except Exception:
                if not self._kpis_failed:
                    log.exception("[KPI] KPIs not computed - showing the last ones")
                self._kpis_failed = True
                with self._lock:
                    self._kpis_due = True
        covered = sum(1 for v in views if v.coverage is Coverage.COVERED)
        return replace(kpis, open_positions=len(views), covered_positions=covered)


@dataclass(frozen=True, eq=False)
class _Picture:
    """The monitor's latest view of the account, taken on its thread (see ``refresh_views``);
    compared by identity: a new picture means the views are stale."""

    positions: tuple[Position, ...]
    book: tuple[ConditionalOrder, ...]
    seen_at: datetime | None
    grace: TriggerGrace
    filters: dict[str, SymbolFilters]
