"""One replay: the real bot, built by ``assembly.build``, on a venue driven by a virtual clock.

The venue is the paper exchange on a ``ManualClock`` that starts at the first
bar of --from, over a ``WindowedReplayMarket`` of the data folder, with no
ticker thread, no user-data stream and no rate limits; its weight windows count
virtual minutes. The bot talks to it over HTTP on loopback exactly as it talks
to Binance. Nothing else moves the clock: ``step`` advances it one bar (the
venue plays the bar's open, extremes and close, firing whatever triggers), then
runs the jobs whose interval has elapsed in virtual time (``schedule``). The
database is a fresh SQLite file in a temporary folder, deleted by ``close``.

Same data, settings and seed give the same venue ledger, hence the same
``ledger_hash``: nothing here reads the wall clock for a decision.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.decisions import RegimeParams, TrendParams
from bot.domain import Event, EventKind
from bot.paper.clock import ManualClock
from bot.paper.market import INTERVAL_MS, MarketDataError, WindowedReplayMarket
from bot.paper.server import PaperExchange
from bot.replay.config import (
    REGIME_REFRESH,
    check_overrides,
    regime_refresh_default,
    replay_settings,
)
from bot.replay.data import DataSet, Window, check_data
from bot.replay.errors import ReplayInputError
from bot.replay.faults import FaultInjector, FaultKind
from bot.replay.ledger_hash import ledger_hash
from bot.replay.schedule import VirtualJob, VirtualSchedule
from bot.replay.transport import WsgiTransport
from bot.runtime.assembly import Components, build
from bot.runtime.bot import Bot
from bot.settings import Settings

log = logging.getLogger(__name__)

BAR_MS = 60_000
DAY_MS = 86_400_000
STRATEGY_JOB = "strategy"
REGIME_JOB = "regime"
ROLLUP_JOB = "rollup"
EXECUTOR_JOB = "executor"
# The rollup (equity point, automatic kill-switch trips, dashboard KPIs) runs every 15 s live.
# Its KPIs re-read the event log, all-time for some, so at one run a bar a three-month replay
# would spend most of its time there. It runs every 15 virtual minutes and in every bar where
# the venue filled an order: realized PnL, which the daily-loss trip reads, moves only then.
ROLLUP_EVERY_MS = 15 * 60_000


@dataclass(frozen=True)
class ReplayConfig:
    data: Path
    window: Window
    overrides: dict[str, str] = field(default_factory=dict)
    label: str = "replay"
    http: bool = False  # over the venue's loopback HTTP server instead of in-process
    fault_rate: float = 0.0  # seeded faults around the entries (see ``faults``)
    fault_kinds: tuple[FaultKind, ...] = ()


def history_ms(settings: Settings) -> int:
    """How much played history the market keeps: the longest klines request the bot makes
    (the regime's, the strategy's), plus a day."""
    regime = RegimeParams.from_settings(settings)
    strategy = TrendParams.from_settings(settings)
    return max(regime.fetch_limit * INTERVAL_MS[regime.interval],
               strategy.fetch_limit * INTERVAL_MS[strategy.interval]) + DAY_MS


class ReplaySession:
    """Build with a config (bad input raises ReplayInputError, nothing started), ``start()``,
    ``step()`` until it returns False, read ``components`` / ``venue``, then ``close()``."""

    def __init__(self, config: ReplayConfig) -> None:
        self.config = config
        window = config.window
        chosen = check_overrides(config.overrides)
        self.data: DataSet = check_data(config.data, window,
                                        chosen.symbols if "QT_SYMBOLS" in config.overrides
                                        else None)
        self._tmp = Path(tempfile.mkdtemp(prefix="qs-replay-"))
        self.venue: PaperExchange | None = None
        self.bot: Bot | None = None
        try:
            self.settings = replay_settings(config.overrides,
                                            f"sqlite:///{self._tmp / 'replay.db'}",
                                            self.data.symbols)
            self.market = self._market(window)
            self.clock = ManualClock(window.start_ms)
            s = self.settings
            self.venue = PaperExchange(
                api_key=s.paper_api_key, api_secret=s.paper_api_secret.get_secret_value(),
                seed=s.paper_seed, balance=s.paper_balance, clock=self.clock,
                market=self.market, weight_limit=None, order_limits=False,
                slippage_bps=s.paper_slippage_bps, tick_interval_s=None, ws_port=None,
                limits_on_clock=True)
            self.venue.start(host="127.0.0.1", port=0)
            transport = None if config.http else WsgiTransport(self.venue.app)
            self.components: Components = build(s, paper=self.venue,
                                                monotonic=self._virtual_seconds,
                                                transport=transport)
            self.bot = Bot(self.components)
        except BaseException:
            self.close()
            raise
        self.bars = 0
        self.job_errors = 0
        self._ledger_seen = 0
        self.schedule: VirtualSchedule | None = None
        self.faults = (FaultInjector(config.fault_rate, self.settings.paper_seed,
                                     config.fault_kinds) if config.fault_rate > 0 else None)

    # --- life cycle ---
    @property
    def now_ms(self) -> int:
        return self.clock.now_ms()

    @property
    def total_bars(self) -> int:
        return (self.config.window.end_ms - self.config.window.start_ms) // BAR_MS

    def start(self) -> None:
        """The bot's own start (lease, leverage, reconciliation), then the jobs at t0."""
        assert self.bot is not None
        self.bot.start(scheduler=False)
        now = self.now_ms
        s = self.settings
        align = {STRATEGY_JOB: INTERVAL_MS[str(s.strategy_interval)]}
        if REGIME_REFRESH not in self.config.overrides:
            align[REGIME_JOB] = regime_refresh_default(s) * 1000
        jobs = []
        for spec in self.bot.jobs():
            job = VirtualJob(spec.id, spec.func, int(spec.interval_s * 1000), now,
                             align.get(spec.id, 0))
            if spec.id == ROLLUP_JOB:
                job.interval_ms = job.align_ms = ROLLUP_EVERY_MS
                job.wake = self._filled_since_last_look
            if spec.id == EXECUTOR_JOB and self.faults is not None:
                assert self.venue is not None
                job.func = self.faults.around(spec.func, lambda: len(self.components.queue),
                                              self.venue.control, self.clock.now_ms)
            jobs.append(job)
        self.schedule = VirtualSchedule(jobs)
        self._run_due(now)

    def step(self) -> bool:
        """One bar: the venue plays it, then the jobs due at its end run. False at the end."""
        assert self.venue is not None
        if self.now_ms >= self.config.window.end_ms:
            return False
        self.venue.control.advance(BAR_MS)
        self.bars += 1
        self._run_due(self.now_ms)
        return True

    def ledger_hash(self) -> str:
        assert self.venue is not None
        return ledger_hash(self.venue.engine.ledger.since(0))

    def close(self) -> None:
        """Stop the bot and the venue, delete the temporary database. Safe to call twice."""
        if self.bot is not None:
            try:
                self.bot.shutdown()
            except Exception:
                log.exception("[REPLAY] Bot shutdown failed")
            self.bot = None
        if self.venue is not None:
            self.venue.stop()
            self.venue = None
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> ReplaySession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals ---
    def _virtual_seconds(self) -> float:
        return self.clock.now_ms() / 1000

    def _filled_since_last_look(self) -> bool:
        assert self.venue is not None
        ledger = self.venue.engine.ledger
        seen, self._ledger_seen = self._ledger_seen, len(ledger)
        return any(e.action == "FILLED" for e in ledger.since(seen))

    def _market(self, window: Window) -> WindowedReplayMarket:
        data = self.data
        try:
            market = WindowedReplayMarket(data.directory, window.start_ms,
                                          symbols=list(data.replayed),
                                          keep_ms=history_ms(self.settings),
                                          end_ms=window.end_ms)
        except MarketDataError as exc:
            raise ReplayInputError(str(exc)) from None
        for symbol in data.replayed:
            first, last = market.span(symbol)
            files = data.files[symbol]
            if first > window.start_ms:
                name = next(f.path.name for f in files if f.end_ms > window.start_ms)
                raise ReplayInputError(f"{name}: {symbol}'s data starts at {_when(first)}, after "
                                       f"--from {window.first}")
            if last < window.end_ms - BAR_MS:
                name = [f.path.name for f in files if f.start_ms < window.end_ms][-1]
                raise ReplayInputError(f"{name}: {symbol}'s data ends at {_when(last)} (its last "
                                       f"row), before the end of --to {window.last}")
        return market

    def _run_due(self, now: int) -> None:
        assert self.schedule is not None
        for job in self.schedule.due(now):
            job.ran(now)
            try:
                job.func()
            except Exception as exc:  # what the live scheduler's listener does, in virtual time
                self.job_errors += 1
                log.exception("[REPLAY] Job %s failed", job.id)
                self.components.store.append(Event(
                    EventKind.JOB_ERROR, self.components.clock(),
                    message=f"job {job.id} failed: {exc!r}", details={"job": job.id}))


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")

