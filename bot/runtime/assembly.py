"""Builds the bot from settings: store, exchange (embedded paper venue in paper mode),
protection, decisions. One function, so app.py, the soak harness and tests wire it alike."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.decisions import (
    DecisionPipeline,
    KillSwitch,
    RegimeParams,
    RegimeTracker,
    RuleBook,
    SignalQueue,
    StopPolicy,
    TrendFollowingStrategy,
    TrendParams,
)
from bot.decisions.context import ExchangeContextProvider
from bot.decisions.rules.rulebook import RuleDefaults, default_rules
from bot.domain import Mode
from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.execution.executor import Executor
from bot.locks import SymbolLocks
from bot.monitor import PositionMonitor
from bot.protection.config import ProtectionConfig, StopMode
from bot.protection.stops import Protector
from bot.protection.store_adapter import StoreTradeBook
from bot.reconcile import Reconciler
from bot.runtime.logs import RingBufferHandler
from bot.runtime.market_data import KlineCache
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass
class Components:
    settings: Settings
    store: Store
    exchange: BinanceAdapter
    paper: object | None  # bot.paper.server.PaperExchange in paper mode
    owns_paper: bool  # started here, so stopped with the bot
    clock: Callable[[], datetime]
    protector: Protector
    book: StoreTradeBook
    locks: SymbolLocks
    executor: Executor
    monitor: PositionMonitor
    reconciler: Reconciler
    killswitch: KillSwitch
    rulebook: RuleBook
    pipeline: DecisionPipeline
    regime: RegimeTracker
    strategy: TrendFollowingStrategy
    queue: SignalQueue
    candles: KlineCache
    context: ExchangeContextProvider
    logs: RingBufferHandler


def start_paper(settings: Settings):
    """The embedded venue: same keys, seed and speed an outside client would use."""
    from bot.paper.server import PaperExchange

    paper = PaperExchange(
        api_key=settings.paper_api_key,
        api_secret=settings.paper_api_secret.get_secret_value(),
        seed=settings.paper_seed, speed=settings.paper_speed, balance=settings.paper_balance,
        replay_dir=settings.paper_replay_dir, symbols=list(settings.symbols),
    )
    url = paper.start(host=settings.paper_host, port=settings.paper_port)
    log.info("[PAPER] Paper exchange on %s (seed %s, speed x%s)", url, settings.paper_seed,
             settings.paper_speed)
    return paper


def protection_config(settings: Settings, account: str) -> ProtectionConfig:
    return ProtectionConfig(
        retry_buffers=tuple(settings.retry_buffers),
        stop_mode=StopMode(settings.stop_mode),
        stop_pct=settings.stop_pct,
        stop_atr_mult=settings.stop_atr_mult,
        atr_interval=settings.strategy_interval,
        trailing_enabled=settings.trailing_usable,
        trailing_callback_rate=settings.trailing_callback_rate,
        naked_grace_s=settings.naked_grace_s,
        loss_flag_pct=settings.loss_flag_pct * 100,
        account=account,
        lease_ttl_s=max(30.0, settings.monitor_interval_s * 6),
    )


def account_key(settings: Settings, futures_url: str | None) -> str:
    """What identifies one exchange account for the lease (never the secret)."""
    if settings.mode is Mode.PAPER:
        return f"paper:{futures_url}"
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    return f"{settings.mode.value}:{key[:6]}…{key[-4:]}" if key else settings.mode.value


def build(settings: Settings, logs: RingBufferHandler | None = None,
          paper: object | None = None) -> Components:
    """Everything but the scheduler; starts the paper venue in paper mode unless one is given."""
    store = Store(settings.db_url)
    futures_url = None
    owns_paper = settings.mode is Mode.PAPER and paper is None
    if settings.mode is Mode.PAPER:
        paper = paper or start_paper(settings)
        futures_url = paper.futures_url  # type: ignore[attr-defined]
        key, secret = settings.paper_api_key, settings.paper_api_secret.get_secret_value()
        client = make_client(key, secret, futures_url=futures_url)
        clock = _exchange_clock(paper)
    else:
        client = make_client(settings.api_key.get_secret_value(),
                             settings.api_secret.get_secret_value(),
                             testnet=settings.mode is Mode.TESTNET)
        clock = _wall_clock
    exchange = BinanceAdapter(client)
    account = account_key(settings, futures_url)
    protector = Protector(exchange, store, protection_config(settings, account), now=clock)
    book = StoreTradeBook(store)
    locks = SymbolLocks()
    killswitch = KillSwitch(store, clock=clock)
    executor = Executor(protector, book, locks, entries_allowed=lambda: killswitch.entries_allowed)
    monitor = PositionMonitor(protector, book, locks)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    reconciler = Reconciler(protector, monitor, store, owner=owner)
    candles = KlineCache(exchange)
    regime = RegimeTracker(candles.klines, store, RegimeParams.from_settings(settings),
                           clock=clock)
    rulebook = RuleBook(store, default_rules(RuleDefaults.from_settings(settings)), clock=clock)
    pipeline = DecisionPipeline(store, rulebook, killswitch, settings.symbols,
                                StopPolicy.from_settings(settings), clock=clock)
    context = ExchangeContextProvider(exchange, store, regime, settings.leverage,
                                      atr_interval=settings.strategy_interval, clock=clock)
    return Components(
        settings=settings, store=store, exchange=exchange, paper=paper, owns_paper=owns_paper,
        clock=clock,
        protector=protector, book=book, locks=locks, executor=executor, monitor=monitor,
        reconciler=reconciler, killswitch=killswitch, rulebook=rulebook, pipeline=pipeline,
        regime=regime, strategy=TrendFollowingStrategy(TrendParams.from_settings(settings),
                                                       clock=clock),
        queue=SignalQueue(), candles=candles, context=context,
        logs=logs or RingBufferHandler(),
    )


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def _exchange_clock(paper) -> Callable[[], datetime]:
    """In paper mode the venue's (possibly accelerated) time is the bot's time."""
    def now() -> datetime:
        return datetime.fromtimestamp(paper.clock.now_ms() / 1000, UTC)
    return now
