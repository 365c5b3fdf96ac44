"""The default strategy trades one simulated day on the paper exchange, end to end.

Each 15 minutes of paper time: refresh the regime (hourly), scan every symbol's
closed 15m candles, decide, open what is allowed, run one monitor cycle and
check that every open position is covered. The printed summary is the figure
quoted in the closing note.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.decisions import (
    DecisionPipeline,
    KillSwitch,
    RegimeTracker,
    RuleBook,
    TrendFollowingStrategy,
)
from bot.decisions.context import ExchangeContextProvider
from bot.domain import Direction, EventKind
from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.execution.executor import OpenStatus
from bot.locks import SymbolLocks
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.protection.config import ProtectionConfig
from bot.protection.coverage import assess
from bot.runtime.protection_stack import build_protection
from bot.store import Store

KEY, SECRET = "day-key", "day-secret"
STEP_MS = 15 * 60 * 1000
STEPS = 96  # one day of 15m candles


@pytest.mark.slow
def test_strategy_day_on_paper_exchange_trades_blocks_and_stays_covered(tmp_path, capsys):
    paper = PaperExchange(KEY, SECRET, seed=7, clock=ManualClock(), balance=Decimal("10000"),
                          weight_limit=None, order_limits=False, tick_interval_s=None)
    paper.start()
    store = Store(f"sqlite:///{tmp_path / 'day.db'}")
    try:
        summary = _run_day(paper, store)
    finally:
        store.close()
        paper.stop()
    with capsys.disabled():
        print("\n[DAY] " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    assert summary["signals"] >= 20
    assert summary["opened"] >= 5
    assert summary["uncovered_checks"] == 0
    assert summary["stops_canceled_while_open"] == 0


def _run_day(paper: PaperExchange, store: Store) -> dict:
    adapter = BinanceAdapter(make_client(KEY, SECRET, futures_url=paper.futures_url,
                                         timeout_s=5.0))

    def now() -> datetime:
        return datetime.fromtimestamp(paper.clock.now_ms() / 1000, UTC)

    kill = KillSwitch(store, now)
    book, locks = store, SymbolLocks()
    stack = build_protection(adapter, store, book, locks, ProtectionConfig(), now,
                             entry_gate=kill.entry_denial)
    executor, monitor = stack.executor, stack.monitor
    symbols = adapter.symbols()
    pipeline = DecisionPipeline(store, RuleBook(store, clock=now), kill, symbols, clock=now)
    tracker = RegimeTracker(adapter.klines, store, clock=now)
    context = ExchangeContextProvider(adapter, store, tracker, leverage=5, clock=now)
    strategy = TrendFollowingStrategy(clock=now)
    limit = strategy.params.fetch_limit

    signals = opened = uncovered = 0
    shorts = 0
    regimes: Counter[str] = Counter()
    for step in range(STEPS):
        paper.control.advance(STEP_MS)
        if step % 4 == 0:
            regimes[tracker.refresh().regime.value] += 1
        for symbol in symbols:
            signal = strategy.scan(symbol, adapter.klines(symbol, "15m", limit))
            if signal is None:
                continue
            signals += 1
            shorts += signal.direction is Direction.SHORT
            outcome = pipeline.decide(signal, context)
            if outcome.allowed:
                result = executor.open_position(outcome.decision)
                opened += result.status is OpenStatus.OPENED
        monitor.run_cycle()
        algo = adapter.open_conditional_orders()
        uncovered += sum(1 for p in adapter.positions() if not assess(p, algo).covered)
    denied = Counter(e.details["rule"] for e in store.events(kinds=[EventKind.DECISION_DENIED]))
    return {
        "signals": signals, "shorts": shorts, "allowed": store.count(EventKind.DECISION_ALLOWED),
        "opened": opened, "denied": dict(denied),
        "blocked_shorts": denied.get("uptrend_short_block", 0),
        "regime_hours": dict(regimes), "open_at_end": len(adapter.positions()),
        "closed_trades": len(store.trades(closed_only=True)),
        "emergency_closes": store.count(EventKind.EMERGENCY_CLOSE),
        "uncovered_checks": uncovered,
        "stops_canceled_while_open": store.count(EventKind.STOP_CANCELED_WHILE_OPEN),
    }
