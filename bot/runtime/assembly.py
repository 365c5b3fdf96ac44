"""Builds the bot from settings: store, exchange (embedded paper venue in paper mode),
protection, decisions. One function, so app.py, the soak harness and tests wire it alike."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import requests

from bot.decisions import (
    DecisionPipeline,
    KillSwitch,
    RegimeParams,
    RegimeTracker,
    RuleBook,
    SignalQueue,
    TrendFollowingStrategy,
    TrendParams,
)
from bot.decisions.context import ExchangeContextProvider, InputLimits
from bot.decisions.rules.rulebook import RuleDefaults, default_rules
from bot.domain import Mode
from bot.domain.ports import Clock
from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.exchange.budget import BudgetLimits
from bot.exchange.user_stream import StreamConfig
from bot.execution.executor import Executor
from bot.locks import SymbolLocks
from bot.monitor import PositionMonitor
from bot.notify import Notifier, build_notifier
from bot.protection.config import ProtectionConfig
from bot.protection.stop_policy import StopMode, StopPolicy
from bot.reconcile import Reconciler
from bot.runtime.logs import RingBufferHandler
from bot.runtime.market_data import KlineCache
from bot.runtime.protection_stack import ProtectionStack, build_protection
from bot.runtime.stream_reactor import LiveStream, RecheckTimer
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass
class Components:
    settings: Settings
    store: Store
    exchange: BinanceAdapter
    paper: Venue | None  # the embedded paper exchange in paper mode
    owns_paper: bool  # started here, so stopped with the bot
    clock: Clock
    protection: ProtectionStack
    book: Store
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
    notifier: Notifier
    stream: LiveStream | None = None
    rechecks: RecheckTimer | None = None  # keeps the monitor's re-checks when there is no stream


class VenueClock(Protocol):
    def now_ms(self) -> int: ...


class Venue(Protocol):
    """What the runtime needs of an embedded venue (``bot.paper.server.PaperExchange``)."""

    @property
    def futures_url(self) -> str: ...

    @property
    def clock(self) -> VenueClock: ...

    @property
    def ws_url(self) -> str:
        """The user-data stream's base (empty: the venue serves no stream)."""

    def stop(self) -> None: ...


def start_paper(settings: Settings) -> Venue:
    """The embedded venue: same keys, seed and speed an outside client would use."""
    from bot.paper.server import PaperExchange

    paper = PaperExchange(
        api_key=settings.paper_api_key,
        api_secret=settings.paper_api_secret.get_secret_value(),
        seed=settings.paper_seed, speed=settings.paper_speed, balance=settings.paper_balance,
        replay_dir=settings.paper_replay_dir, symbols=list(settings.symbols),
        slippage_bps=settings.paper_slippage_bps,
    )
    url = paper.start(host=settings.paper_host, port=settings.paper_port)
    log.info("[PAPER] Paper exchange on %s (seed %s, speed x%s)", url, settings.paper_seed,
             settings.paper_speed)
    return paper


def stop_policy(settings: Settings) -> StopPolicy:
    """The one stop policy: the pipeline prices entries with it, the monitor strangers."""
    return StopPolicy(StopMode(settings.stop_mode), settings.stop_atr_mult, settings.stop_pct,
                      atr_interval=settings.strategy_interval)


def protection_config(settings: Settings, account: str) -> ProtectionConfig:
    return ProtectionConfig(
        retry_buffers=tuple(settings.retry_buffers),
        stop=stop_policy(settings),
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
          paper: Venue | None = None,
          monotonic: Callable[[], float] | None = None,
          transport: requests.adapters.BaseAdapter | None = None) -> Components:
    """Everything but the scheduler; starts the paper venue in paper mode unless one is given.

    ``monotonic`` (default ``time.monotonic``) times the regime's age; a replay on a virtual
    clock passes that clock's seconds, so the regime ages in simulated time.
    ``transport``: a requests adapter mounted for the venue's URL on the clients' sessions
    (a replay passes one that calls the embedded venue's WSGI app in-process)."""
    mono = monotonic or time.monotonic
    store = Store(settings.db_url)
    notifier = build_notifier(settings, store)
    store.subscribe(notifier.publish)  # every stored event, O(1), sent on its own threads
    url = settings.exchange_base_url  # None: paper mode on the embedded venue
    embedded = settings.mode is Mode.PAPER and (paper is not None or url is None)
    owns_paper = embedded and paper is None
    if embedded:
        paper = paper or start_paper(settings)
        futures_url = paper.futures_url
        key, secret = settings.paper_api_key, settings.paper_api_secret.get_secret_value()
        clock = _exchange_clock(paper)
    else:  # an outside venue (QT_EXCHANGE_URL, or the mode's Binance host) keeps wall time
        paper, futures_url = None, url
        key, secret = settings.exchange_credentials()
        clock = _wall_clock
    client = make_client(key, secret, futures_url=futures_url)
    order_client = make_client(key, secret, futures_url=futures_url)
    if transport is not None:  # a replay: the venue's REST front in-process, without a socket
        for each in (client, order_client):
            each.session.mount(str(futures_url), transport)
            each.session.trust_env = False  # no proxy lookup in os.environ per request
    exchange = BinanceAdapter(client, limits=budget_limits(settings),
                              filters_max_age_s=settings.filters_refresh_s,
                              order_client=order_client)
    log.info("[EXCHANGE] %s mode: REST %s%s", settings.mode.value.upper(), exchange.base_url,
             " (embedded paper venue)" if embedded else "")
    account = account_key(settings, futures_url)
    config = protection_config(settings, account)
    locks = SymbolLocks()
    killswitch = KillSwitch(store, clock=clock)
    stack = build_protection(exchange, store, store, locks, config, clock,
                             entry_gate=killswitch.entry_denial)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    reconciler = Reconciler(stack.monitor, store, stack.recorder, config, owner=owner)
    candles = KlineCache(exchange, monotonic=lambda: clock().timestamp())  # the bot's time
    regime = RegimeTracker(candles.klines, store, RegimeParams.from_settings(settings),
                           clock=clock, monotonic=mono)
    rulebook = RuleBook(store, default_rules(RuleDefaults.from_settings(settings)), clock=clock)
    pipeline = DecisionPipeline(store, rulebook, killswitch, settings.symbols,
                                config.stop, clock=clock)
    context = ExchangeContextProvider(exchange, store, regime, settings.leverage,
                                      atr_interval=settings.strategy_interval, clock=clock,
                                      limits=InputLimits.from_settings(settings))
    stream = live_stream(settings, paper, exchange, stack, clock)
    rechecks = None if stream is not None else RecheckTimer(stack.monitor, stack.recorder, clock,
                                                            stack.checks)
    return Components(
        settings=settings, store=store, exchange=exchange, paper=paper, owns_paper=owns_paper,
        clock=clock,
        protection=stack, book=store, locks=locks, executor=stack.executor,
        monitor=stack.monitor,
        reconciler=reconciler, killswitch=killswitch, rulebook=rulebook, pipeline=pipeline,
        regime=regime, strategy=TrendFollowingStrategy(TrendParams.from_settings(settings),
                                                       clock=clock),
        queue=SignalQueue(), candles=candles, context=context,
        logs=logs or RingBufferHandler(), notifier=notifier, stream=stream, rechecks=rechecks,
    )


def budget_limits(settings: Settings) -> BudgetLimits:
    """QT_RATE_WEIGHT_LIMIT binds only when the operator set it: otherwise the budget counts
    against the limit the venue publishes in exchangeInfo (Binance's 2400 until it is read)."""
    chosen = "rate_weight_limit" in settings.model_fields_set
    return BudgetLimits(weight_per_min=settings.rate_weight_limit if chosen else None,
                        reserve_share=settings.rate_reserve_share)


def live_stream(settings: Settings, paper: Venue | None, exchange: BinanceAdapter,
                stack: ProtectionStack, clock: Clock) -> LiveStream | None:
    """The user-data stream, where the venue has one: the accelerator of the poll."""
    if not settings.stream_enabled:
        log.info("[STREAM] User-data stream off (QT_STREAM_ENABLED=false): the poll alone")
        return None
    url = settings.stream_url or (paper.ws_url if paper is not None
                                  else settings.stream_base_url)
    if not url:
        log.warning("[STREAM] No user-data stream for this venue: the poll alone")
        return None
    key_seconds = None if paper is None else _seconds(clock)  # keys age on the venue's clock
    return LiveStream(exchange, StreamConfig(url), stack.monitor, stack.recorder, clock,
                      settings.stream_down_after_s, stack.config.triggering_grace_s,
                      checks=stack.checks, key_seconds=key_seconds)


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def _seconds(clock: Clock) -> Callable[[], float]:
    return lambda: clock().timestamp()


def _exchange_clock(paper: Venue) -> Clock:
    """In paper mode the venue's (possibly accelerated) time is the bot's time."""
    def now() -> datetime:
        return datetime.fromtimestamp(paper.clock.now_ms() / 1000, UTC)
    return now
