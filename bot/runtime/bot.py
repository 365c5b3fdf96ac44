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
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.decisions import scan_symbols
from bot.decisions.killswitch import realized_pnl_since
from bot.domain import Coverage, KillState, Kpis, PositionView, Signal
from bot.execution.executor import OpenStatus
from bot.metrics import compute_kpis, coverage_history
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
        self._last_cycle_at: datetime | None = None
        self._kpis = Kpis()
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
        self.status = "running"
        log.info("[START] Bot running in %s mode on %d symbols, exchange %s",
                 c.settings.mode.value.upper(), len(c.settings.symbols), c.exchange.base_url)
        c.notifier.announce_start(c.settings.mode.value.upper(), len(c.settings.symbols))

    def shutdown(self) -> None:
        if self.c.stream is not None:
            self.c.stream.stop()
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
        """The positions the dashboard shows, from the monitor's latest picture (a cycle's,
        or a targeted check's after a stream event)."""
        c = self.c
        positions, book, seen_at = c.monitor.last_seen()
        trades = c.store.open_trades()
        opened = {t.symbol: t.opened_at for t in trades}
        views = build_position_views(positions, book, seen_at, opened,
                                     grace=c.protection.protector.grace(),
                                     filters=c.exchange.filters,
                                     risk_stops={t.symbol: t.stop_price for t in trades},
                                     history=coverage_history(
                                         c.store, since=c.clock() - timedelta(hours=24)))
        with self._lock:
            self._views = views

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
        """Equity point, KPIs and the automatic kill-switch trips, off the request path."""
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
            pnl_today = realized_pnl_since(c.store.trades(limit=500, closed_only=True), midnight)
            tripped = c.killswitch.check_trips(
                pnl_today, equity, c.settings.daily_loss_limit,
                c.settings.storm_emergency_closes, c.settings.storm_window_s)
            if tripped:
                log.critical("[KILL] Automatic HALT: %s", tripped)
        kpis = compute_kpis(c.store, now, equity=equity)
        with self._lock:
            self._kpis = kpis

    # --- state for the control API (memory only) ---
    def positions(self) -> tuple[PositionView, ...]:
        with self._lock:
            return self._views

    def last_cycle_at(self) -> datetime | None:
        with self._lock:
            return self._last_cycle_at

    def kpis(self) -> Kpis:
        with self._lock:
            kpis, views = self._kpis, self._views
        covered = sum(1 for v in views if v.coverage is Coverage.COVERED)
        return replace(kpis, open_positions=len(views), covered_positions=covered)
