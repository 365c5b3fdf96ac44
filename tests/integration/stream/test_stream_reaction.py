"""Event-driven protection: the bot listens to the paper venue's user-data stream over a
real WebSocket and repairs a symbol within a round trip of the event, not at the poll."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import Direction, EventKind, Side, StreamState
from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.exchange.user_stream import StreamConfig
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.protection.coverage import assess
from bot.runtime.stream_reactor import LiveStream
from tests.fixtures.paper import eventually
from tests.integration.protection.conftest import KEY, SECRET, Stack, build_stack, venue_clock
from tests.integration.protection.test_protection_paper_scenarios import long_decision

D = Decimal


@dataclass
class Hooks:
    """What the runtime's Bot gives the stream: counted, so a test sees the calls."""

    refreshed: int = 0
    woken: int = 0
    fast: list[bool] = field(default_factory=list)

    def refresh_views(self) -> None:
        self.refreshed += 1

    def wake_monitor(self) -> None:
        self.woken += 1

    def fast_poll(self, on: bool) -> None:
        self.fast.append(on)


@pytest.fixture()
def venue() -> Iterator[PaperExchange]:
    exchange = PaperExchange(KEY, SECRET, seed=11, clock=ManualClock(), balance=D("10000"),
                             weight_limit=None, order_limits=False, tick_interval_s=None,
                             slippage_bps=0, trigger_delay_ms=0)
    exchange.start()
    try:
        yield exchange
    finally:
        exchange.stop()


@pytest.fixture()
def live(venue: PaperExchange, tmp_path: Path) -> Iterator[tuple[Stack, LiveStream, Hooks]]:
    stack = build_stack(venue, tmp_path / "s.db")
    stream = LiveStream(stack.adapter, StreamConfig(venue.ws_url, backoff_s=(0.05, 0.1)),
                        stack.monitor, stack.recorder, venue_clock(venue), down_after_s=0.3)
    hooks = Hooks()
    stream.start(hooks)
    eventually(lambda: stream.status().state is StreamState.UP, message="stream connects")
    try:
        yield stack, stream, hooks
    finally:
        stream.stop()


def _covered(stack: Stack) -> bool:
    positions = stack.adapter.positions()
    return bool(positions) and assess(positions[0],
                                      stack.adapter.open_conditional_orders("ETHUSDT")).covered


def test_stream_when_stop_cancelled_outside_then_repaired_before_any_poll(live) -> None:
    stack, _, hooks = live
    stack.executor.open_position(long_decision(stack))
    stack.monitor.run_cycle()  # the last poll saw the stop; no poll runs after this
    [stop] = stack.adapter.open_conditional_orders("ETHUSDT")
    other = BinanceAdapter(make_client(KEY, SECRET, futures_url=stack.paper.futures_url))
    started = time.perf_counter()
    other.cancel_conditional("ETHUSDT", algo_id=stop.algo_id)  # a person, from the app
    eventually(lambda: _covered(stack), timeout=5, message="repaired from the event")
    took_ms = (time.perf_counter() - started) * 1000
    assert took_ms < 2000, took_ms
    [flag] = stack.store.events(kinds=[EventKind.STOP_CANCELED_WHILE_OPEN])
    assert flag.details["algo_id"] == stop.algo_id
    assert hooks.refreshed >= 1


def test_stream_when_position_closed_outside_then_booked_from_the_event(live) -> None:
    stack, _, _ = live
    stack.executor.open_position(long_decision(stack))
    [trade] = stack.store.open_trades()
    other = BinanceAdapter(make_client(KEY, SECRET, futures_url=stack.paper.futures_url))
    other.market_order("ETHUSDT", Side.SELL, trade.quantity, "phone-close-7", reduce_only=True)
    closed = eventually(lambda: stack.store.trades(closed_only=True), timeout=5)
    assert closed[0].close_reason == "manual"
    eventually(lambda: stack.adapter.open_conditional_orders("ETHUSDT") == [], timeout=5,
               message="the orphaned stop is gone (expired or cancelled)")


def test_stream_when_outside_entry_adds_quantity_then_cover_grows(live) -> None:
    stack, _, _ = live
    stack.executor.open_position(long_decision(stack))
    other = BinanceAdapter(make_client(KEY, SECRET, futures_url=stack.paper.futures_url))
    other.market_order("ETHUSDT", Side.BUY, D("0.05"), "phone-add-1")
    eventually(lambda: _covered(stack), timeout=5, message="the added quantity is covered")
    [pos] = stack.adapter.positions()
    assert pos.direction is Direction.LONG


def test_stream_when_connection_dropped_then_reconnects_reconciles_and_flags(live) -> None:
    stack, stream, hooks = live
    stack.paper.control.stream_fault("drop")
    eventually(lambda: stream.status().reconnects >= 1, timeout=5)
    eventually(lambda: stream.status().state is StreamState.UP, timeout=5)
    assert hooks.woken >= 2  # the first connect and the reconnect each asked for a full cycle


def test_stream_when_listen_key_expires_then_new_key_and_back_up(live) -> None:
    stack, stream, hooks = live
    [old_key] = stack.paper.control.expire_listen_key()
    eventually(lambda: hooks.woken >= 2, timeout=5, message="reconnected with a new key")
    eventually(lambda: stream.status().state is StreamState.UP, timeout=5)
    assert stream.status().reconnects >= 1 and old_key


def test_stream_when_down_past_its_grace_then_red_flag_and_fast_poll(venue, tmp_path) -> None:
    stack = build_stack(venue, tmp_path / "d.db")
    dead = LiveStream(stack.adapter, StreamConfig("ws://127.0.0.1:9", backoff_s=(0.05,)),
                      stack.monitor, stack.recorder, venue_clock(venue), down_after_s=0.2)
    hooks = Hooks()
    venue.control.advance(1000)
    dead.start(hooks)
    try:
        for _ in range(10):  # the venue clock is manual: let its time pass with the wall's
            venue.control.advance(100)
            time.sleep(0.05)
        eventually(lambda: stack.store.events(kinds=[EventKind.STREAM_DOWN]), timeout=5)
        assert hooks.fast == [True]
        assert any(f.label == "STREAM DOWN" for f in stack.store.red_flags())
    finally:
        dead.stop()
