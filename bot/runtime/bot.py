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
from datetime import UTC, datetime
from decimal import Decimal

from bot.decisions import scan_symbols
from bot.decisions.killswitch import realized_pnl_since
from bot.domain import Coverage, KillState, Kpis, PositionView, Signal
from bot.execution.executor import OpenStatus
from bot.execution.flatten import flatten
from bot.metrics import compute_kpis
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
        self._kpis_at = 0.0
        self._equity: Decimal | None = None

    # --- life cycle ---
    def start(self, scheduler: bool = True) -> None:
        """Lease, leverage, reconciliation, then the jobs; refuses if another process manages
        the account (LeaseHeldError)."""
        c = self.c
        c.reconciler.acquire()
        for symbol in c.settings.symbols:
            try:
                c.exchange.set_leverage(symbol, c.settings.leverage)
            except Exception as exc:
                log.warning("[START] Leverage for %s not set: %s", symbol, exc)
        self.run_monitor()  # reconciliation: adopt, protect, clean up before anything else
        self.rollup()
        if scheduler:
            self._scheduler = build_scheduler(self._jobs(), c.store.append)
            start_once(self._scheduler)
        self.status = "running"
        log.info("[START] Bot running in %s mode on %d symbols", c.settings.mode.value.upper(),
                 len(c.settings.symbols))

    def shutdown(self) -> None:
        if self._scheduler is not None:
            stop(self._scheduler, wait=True)
            self._scheduler = None
        self.status = "stopped"
        try:
            self.c.reconciler.release()
        except Exception as exc:
            log.warning("[STOP] Lease release failed: %s", exc)
        if self.c.owns_paper:
            self.c.paper.stop()  # type: ignore[attr-defined]
        self.c.store.close()
        log.info("[STOP] Bot stopped")

    def _jobs(self) -> list[JobSpec]:
        s = self.c.settings
        monitor_s = s.monitor_interval_s
        return [
            JobSpec(MONITOR_JOB, self.run_monitor, monitor_s, max(1, int(monitor_s))),
            JobSpec("executor", self.run_executor, 1.0, 5),
            JobSpec("strategy", self.run_strategy, 30.0, 30),
            JobSpec("regime", self.run_regime, 60.0, 60),
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
        if c.killswitch.state == KillState.FLATTENING:
            self._flatten()
        report = c.monitor.run_cycle()
        positions, book, seen_at = c.monitor.last_seen()
        opened = {t.symbol: t.opened_at for t in c.store.open_trades()}
        views = build_position_views(positions, book, seen_at, opened)
        with self._lock:
            self._views = views
            self._last_cycle_at = report.at
        if report.error:
            log.warning("[MONITOR] Cycle error: %s", report.error)

    def _flatten(self) -> None:
        c = self.c
        report = flatten(c.protector, c.book, c.locks, pause=lambda: time.sleep(0.2))
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
        outcome = c.pipeline.decide(signal, c.context)
        if not outcome.allowed or outcome.decision is None:
            return
        result = c.executor.open_position(outcome.decision)
        if result.status is not OpenStatus.OPENED:
            log.warning("[EXEC] %s %s: %s", signal.symbol, result.status.value, result.reason)

    def run_strategy(self) -> None:
        c = self.c
        if not c.killswitch.entries_allowed or not c.reconciler.held:
            return
        scan_symbols(c.strategy, c.settings.symbols, c.candles.klines, c.queue.submit,
                     c.strategy.params.interval, 200)

    def run_regime(self) -> None:
        self.c.regime.refresh()

    def rollup(self) -> None:
        """Equity point, KPIs and the automatic kill-switch trips, off the request path."""
        c = self.c
        now = c.clock()
        try:
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
            self._kpis_at = time.monotonic()

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
