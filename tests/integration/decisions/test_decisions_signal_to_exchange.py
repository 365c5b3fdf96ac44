"""Webhook signals -> filter -> sizing -> executor -> paper exchange, with the kill switch.

Everything real: the paper exchange on loopback reached through python-binance,
the webhook over HTTP, SQLite in tmp_path. Only time is manual.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from bot.decisions import (
    DecisionPipeline,
    KillSwitch,
    RegimeTracker,
    RuleBook,
    SignalQueue,
    validate_signal,
)
from bot.decisions.context import ExchangeContextProvider
from bot.domain import Direction, EventKind, KillState, Side, Signal
from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.execution.executor import Executor, OpenStatus
from bot.execution.flatten import Flattener
from bot.locks import SymbolLocks
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.protection.config import ProtectionConfig
from bot.runtime.protection_stack import build_protection
from bot.store import Store
from bot.web.webhook import register_webhook

KEY, SECRET, TOKEN = "dec-key", "dec-secret", "dec-webhook-token"
D = Decimal


@dataclass
class Bot:
    paper: PaperExchange
    adapter: BinanceAdapter
    store: Store
    kill: KillSwitch
    pipeline: DecisionPipeline
    context: ExchangeContextProvider
    executor: Executor
    flattener: Flattener
    book: Store
    locks: SymbolLocks
    queue: SignalQueue

    def run_queue(self) -> list:
        """What the executor job does each run: drain, decide, open the allowed ones."""
        results = []
        for signal in self.queue.drain():
            outcome = self.pipeline.decide(signal, self.context)
            opened = self.executor.open_position(outcome.decision) if outcome.allowed else None
            results.append((outcome, opened))
        return results


def _build(paper: PaperExchange, db: Path) -> Bot:
    adapter = BinanceAdapter(make_client(KEY, SECRET, futures_url=paper.futures_url,
                                         timeout_s=5.0))
    store = Store(f"sqlite:///{db}")

    def now() -> datetime:
        return datetime.fromtimestamp(paper.clock.now_ms() / 1000, UTC)

    kill = KillSwitch(store, now)
    book = store
    locks = SymbolLocks()
    stack = build_protection(adapter, store, book, locks, ProtectionConfig(), now,
                             entry_gate=kill.entry_denial)
    symbols = adapter.symbols()
    pipeline = DecisionPipeline(store, RuleBook(store, clock=now), kill, symbols, clock=now)
    tracker = RegimeTracker(adapter.klines, store, clock=now)
    tracker.refresh()
    context = ExchangeContextProvider(adapter, store, tracker, leverage=5, clock=now)
    return Bot(paper, adapter, store, kill, pipeline, context, stack.executor, stack.flattener,
               book, locks, SignalQueue(50, id_prefix="wh"))


@pytest.fixture
def paper() -> Iterator[PaperExchange]:
    exchange = PaperExchange(KEY, SECRET, seed=11, clock=ManualClock(), balance=D("10000"),
                             weight_limit=None, order_limits=False, tick_interval_s=None,
                             slippage_bps=0)
    exchange.start()
    try:
        yield exchange
    finally:
        exchange.stop()


@pytest.fixture
def bot(paper, tmp_path) -> Iterator[Bot]:
    b = _build(paper, tmp_path / "qs.db")
    yield b
    b.store.close()


@pytest.fixture
def webhook(bot) -> Iterator[str]:
    app = Flask("decisions-e2e")
    register_webhook(app, bot.queue.submit, TOKEN, bot.adapter.symbols(),
                     mark_price=bot.adapter.mark_price, events=bot.store,
                     entry_gate=bot.kill.entry_denial, kill_state=lambda: bot.kill.state,
                     dedupe_s=0)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/signals"
    server.shutdown()
    thread.join(5)
    server.server_close()


def _long_alert(bot: Bot, symbol: str) -> dict:
    stop = bot.adapter.filters(symbol).round_price(bot.adapter.mark_price(symbol) * D("0.98"))
    return {"symbol": symbol, "side": "BUY", "confidence": 0.7, "stop": str(stop),
            "source": "tradingview"}


def _post(url: str, body: dict) -> requests.Response:
    return requests.post(url, json=body, headers={"X-QT-Token": TOKEN}, timeout=5)


def _covered(bot: Bot, symbol: str) -> bool:
    stops = [o for o in bot.adapter.open_conditional_orders(symbol)
             if o.type.is_stop and o.side.value == "SELL"]
    return bool(stops)


def test_webhook_signal_opens_a_sized_and_covered_position(bot, webhook):
    response = _post(webhook, _long_alert(bot, "ETHUSDT"))
    assert response.status_code == 202
    [(outcome, opened)] = bot.run_queue()
    assert outcome.allowed, outcome.reason
    assert opened.status is OpenStatus.OPENED
    [position] = bot.adapter.positions()
    assert position.symbol == "ETHUSDT" and position.direction is Direction.LONG
    assert position.quantity == outcome.decision.quantity
    # risk: quantity x stop distance is at most 0.75% of 10 000 USDT
    entry_ref = D(dict(outcome.decision.extras)["entry_ref"])
    risk = outcome.decision.quantity * (entry_ref - outcome.decision.stop_price)
    assert D("70") < risk <= D("75")
    assert _covered(bot, "ETHUSDT")
    assert bot.store.count(EventKind.DECISION_ALLOWED) == 1


def test_halt_blocks_new_entries_and_keeps_existing_stops(bot, webhook):
    _post(webhook, _long_alert(bot, "ETHUSDT"))
    bot.run_queue()
    stops_before = bot.adapter.open_conditional_orders()
    assert bot.kill.halt("alice", "test halt").ok

    for symbol in ("BTCUSDT", "SOLUSDT"):  # the webhook refuses at the door: nothing queued
        refused = _post(webhook, _long_alert(bot, symbol))
        assert refused.status_code == 409 and refused.json()["state"] == "HALTED"
    assert bot.run_queue() == []
    # signals already queued (or from the strategy) meet the same gate in the pipeline
    for symbol in ("BTCUSDT", "SOLUSDT"):
        bot.queue.submit(Signal(symbol, Direction.LONG, 0.7, "strategy",
                                datetime.fromtimestamp(bot.paper.clock.now_ms() / 1000, UTC)))
    results = bot.run_queue()

    assert [o.rule for o, _ in results] == ["kill_switch", "kill_switch"]
    assert [p.symbol for p in bot.adapter.positions()] == ["ETHUSDT"]
    assert bot.adapter.open_conditional_orders() == stops_before
    assert bot.store.count(EventKind.DECISION_DENIED, detail=("rule", "kill_switch")) == 2


def test_flatten_closes_everything_then_settles_halted(bot, webhook):
    for symbol in ("ETHUSDT", "BTCUSDT"):
        _post(webhook, _long_alert(bot, symbol))
    assert all(opened.status is OpenStatus.OPENED for _, opened in bot.run_queue())
    assert bot.kill.flatten("alice", "end of day").ok
    assert bot.kill.state == KillState.FLATTENING

    report = bot.flattener.flatten()
    assert set(report.closed) == {"ETHUSDT", "BTCUSDT"} and not report.still_open
    assert bot.kill.flatten_done().ok

    assert bot.adapter.positions() == [] and bot.adapter.open_conditional_orders() == []
    assert bot.kill.state == KillState.HALTED
    assert bot.store.count(EventKind.STOP_CANCELED_WHILE_OPEN) == 0
    assert _post(webhook, _long_alert(bot, "ETHUSDT")).status_code == 409
    assert bot.run_queue() == []


def test_a_restart_keeps_the_kill_switch_engaged(paper, tmp_path):
    first = _build(paper, tmp_path / "qs.db")
    first.kill.halt("alice", "before restart")
    first.store.close()

    second = _build(paper, tmp_path / "qs.db")
    try:
        assert second.kill.state == KillState.HALTED
        second.queue.submit(_signal_from_alert(second, "ETHUSDT"))
        [(outcome, opened)] = second.run_queue()
        assert outcome.rule == "kill_switch" and opened is None
        assert second.adapter.positions() == []
        assert second.kill.resume("bob", "after restart").ok
        second.queue.submit(_signal_from_alert(second, "ETHUSDT"))
        [(outcome, opened)] = second.run_queue()
        assert outcome.allowed and opened.status is OpenStatus.OPENED
    finally:
        second.store.close()


def test_position_limit_per_symbol_denies_the_third_entry(bot, webhook):
    for _ in range(3):
        assert _post(webhook, _long_alert(bot, "ETHUSDT")).status_code == 202
        bot.run_queue()
    denied = bot.store.events(kinds=[EventKind.DECISION_DENIED])
    assert [e.details["rule"] for e in denied] == ["max_positions_per_symbol"]
    assert bot.store.count(EventKind.DECISION_ALLOWED) == 2
    assert _covered(bot, "ETHUSDT")


def _signal_from_alert(bot: Bot, symbol: str) -> Signal:
    return validate_signal(_long_alert(bot, symbol), bot.adapter.symbols(),
                           datetime.now(UTC))


def test_an_entry_leaves_the_position_closable_by_one_market_order(tmp_path):
    """A tight stop on a rich account sizes far past MARKET_LOT_SIZE maxQty: the entry is
    capped so the whole position, what was held plus the entry, stays within it, and one
    reduce-only order (a stop without closePosition, an emergency close) can still shut it."""
    paper = PaperExchange(KEY, SECRET, seed=11, clock=ManualClock(), balance=D("1000000"),
                          weight_limit=None, order_limits=False, tick_interval_s=None,
                          slippage_bps=0)
    paper.start()
    bot = _build(paper, tmp_path / "qs.db")
    try:
        limit = bot.adapter.filters("ATOMUSDT").max_market_qty
        held = bot.adapter.market_order("ATOMUSDT", Side.BUY, D("60.05"), "manual-1")
        assert held.executed_qty == D("60.05")
        mark = bot.adapter.mark_price("ATOMUSDT")
        bot.queue.submit(Signal("ATOMUSDT", Direction.LONG, 0.7, "tradingview",
                                datetime.fromtimestamp(paper.clock.now_ms() / 1000, UTC),
                                stop_price=mark - D("0.005")))
        [(outcome, opened)] = bot.run_queue()
        assert outcome.allowed and opened.status is OpenStatus.OPENED, outcome.reason
        assert outcome.decision.quantity == limit - D("60.05")
        [position] = bot.adapter.positions()
        assert position.quantity == limit

        bot.queue.submit(Signal("ATOMUSDT", Direction.LONG, 0.7, "tradingview",
                                datetime.fromtimestamp(paper.clock.now_ms() / 1000, UTC),
                                stop_price=mark - D("0.005")))
        [(outcome, opened)] = bot.run_queue()
        assert outcome.rule == "sizing" and opened is None
        assert "one market order can close" in outcome.reason
        closed = bot.adapter.market_order("ATOMUSDT", Side.SELL, position.quantity, "manual-2",
                                          reduce_only=True)
        assert closed.executed_qty == limit and bot.adapter.positions() == []
    finally:
        bot.store.close()
        paper.stop()
