"""The protection stack over HTTP: paper exchange on loopback, python-binance adapter, SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.execution.executor import Executor
from bot.execution.flatten import Flattener
from bot.locks import SymbolLocks
from bot.monitor import PositionMonitor
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.protection.closing import TradeCloser
from bot.protection.config import ProtectionConfig
from bot.protection.recorder import EventRecorder
from bot.protection.stops import Protector
from bot.reconcile import Reconciler
from bot.runtime.protection_stack import build_protection
from bot.store import Store

KEY, SECRET = "prot-key", "prot-secret"


@dataclass
class Stack:
    paper: PaperExchange
    adapter: BinanceAdapter
    store: Store
    book: Store
    locks: SymbolLocks
    protector: Protector
    executor: Executor
    monitor: PositionMonitor
    config: ProtectionConfig
    recorder: EventRecorder
    closer: TradeCloser
    flattener: Flattener

    def reconciler(self, owner: str = "bot-1") -> Reconciler:
        return Reconciler(self.monitor, self.store, self.recorder, self.config, owner)

    def algo_ledger(self, action: str | None = None) -> list:
        return [e for e in self.paper.control.ledger() if e.book == "algo"
                and (action is None or e.action == action)]


def venue_clock(paper: PaperExchange) -> Callable[[], datetime]:
    """The bot's clock in paper mode is the venue's, as the runtime wires it."""
    return lambda: datetime.fromtimestamp(paper.clock.now_ms() / 1000, UTC)


def build_stack(paper: PaperExchange, db: Path, config: ProtectionConfig | None = None,
                entries_allowed: Callable[[], bool] = lambda: True) -> Stack:
    adapter = BinanceAdapter(make_client(KEY, SECRET, futures_url=paper.futures_url,
                                         timeout_s=5.0))
    store = Store(f"sqlite:///{db}")
    book = store
    locks = SymbolLocks()
    config = config or ProtectionConfig()
    p = build_protection(adapter, store, book, locks, config, venue_clock(paper),
                         entry_gate=lambda: None if entries_allowed() else "halted")
    return Stack(paper, adapter, store, book, locks, p.protector, p.executor, p.monitor, config,
                 p.recorder, p.closer, p.flattener)


@pytest.fixture()
def paper() -> Iterator[PaperExchange]:
    """Like tests.fixtures.paper's venue, but without weight and order-rate limits: the
    race test runs hundreds of monitor cycles a second, which the real limits would stop."""
    exchange = PaperExchange(KEY, SECRET, seed=11, clock=ManualClock(), balance=Decimal("10000"),
                             weight_limit=None, order_limits=False, tick_interval_s=None,
                             slippage_bps=0)
    exchange.start()
    try:
        yield exchange
    finally:
        exchange.stop()


@pytest.fixture()
def stack(paper: PaperExchange, tmp_path: Path) -> Stack:
    return build_stack(paper, tmp_path / "qs.db")

