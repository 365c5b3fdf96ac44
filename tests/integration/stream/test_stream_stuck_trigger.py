"""A stop stuck in TRIGGERING is cover only for its grace, and the venue says nothing when
the grace ends: the bot must look again then, on the bot's clock (the venue's, however fast
it runs), whether the stream or the poll saw the stop fire. Paper venue over HTTP and
WebSocket, python-binance, the protection stack as the runtime wires it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import Decision, Direction, StreamState
from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.exchange.user_stream import StreamConfig
from bot.locks import SymbolLocks
from bot.paper.clock import ManualClock, SpeedClock
from bot.paper.model import LedgerEntry
from bot.paper.server import PaperExchange
from bot.protection.config import ProtectionConfig
from bot.protection.coverage import assess
from bot.runtime.protection_stack import ProtectionStack, build_protection
from bot.runtime.stream_reactor import LiveStream, RecheckTimer
from bot.store import Store
from tests.fixtures.paper import StaticMarket, eventually
from tests.integration.protection.conftest import KEY, SECRET, venue_clock
from tests.integration.stream.test_stream_reaction import Hooks

D = Decimal
SYMBOL = "ETHUSDT"
GRACE_S = 5.0


@dataclass
class Rig:
    paper: PaperExchange
    adapter: BinanceAdapter
    stack: ProtectionStack

    def open_long(self) -> Decimal:
        """A long with its stop 2 % below the mark; returns the stop's trigger."""
        mark = self.adapter.mark_price(SYMBOL)
        f = self.adapter.filters(SYMBOL)
        stop = f.round_price(mark * D("0.98"), "down")
        qty = f.round_qty(D("400") / mark, market=True)
        self.stack.executor.open_position(Decision(SYMBOL, Direction.LONG, qty, stop))
        return stop

    def gap_through_stuck_stop(self, stop: Decimal) -> LedgerEntry:
        """The stop fires and sticks in TRIGGERING; returns the venue's TRIGGERING entry."""
        self.paper.control.trigger_fault("stuck", symbol=SYMBOL)
        self.paper.control.set_price(SYMBOL, stop * D("0.995"))
        [fired] = self.algo("TRIGGERING")
        return fired

    def algo(self, action: str, after_ms: int = 0) -> list[LedgerEntry]:
        return [e for e in self.paper.control.ledger() if e.book == "algo"
                and e.action == action and e.symbol == SYMBOL and e.time_ms >= after_ms]

    def new_stops(self, fired: LedgerEntry) -> list[LedgerEntry]:
        return [e for e in self.algo("PLACED", fired.time_ms) if e.actor == "client"
                and e.id > fired.id]

    def covered(self) -> bool:
        positions = [p for p in self.adapter.positions() if p.symbol == SYMBOL]
        grace = self.stack.protector.grace()
        return bool(positions) and assess(positions[0],
                                          self.adapter.open_conditional_orders(SYMBOL),
                                          grace=grace).covered


def _venue(clock: ManualClock | SpeedClock) -> PaperExchange:
    return PaperExchange(KEY, SECRET, seed=11, clock=clock, market=StaticMarket(),
                         balance=D("10000"), weight_limit=None, order_limits=False,
                         tick_interval_s=None, slippage_bps=0, trigger_delay_ms=0)


def _rig(paper: PaperExchange, db: Path) -> Rig:
    adapter = BinanceAdapter(make_client(KEY, SECRET, futures_url=paper.futures_url,
                                         timeout_s=5.0))
    store = Store(f"sqlite:///{db}")
    stack = build_protection(adapter, store, store, SymbolLocks(),
                             ProtectionConfig(triggering_grace_s=GRACE_S), venue_clock(paper))
    return Rig(paper, adapter, stack)


def _stream(rig: Rig) -> LiveStream:
    """The stream as ``assembly.live_stream`` wires it for the embedded venue."""
    clock = venue_clock(rig.paper)
    live = LiveStream(rig.adapter, StreamConfig(rig.paper.ws_url, backoff_s=(0.05, 0.1)),
                      rig.stack.monitor, rig.stack.recorder, clock, down_after_s=30,
                      triggering_grace_s=GRACE_S, checks=rig.stack.checks,
                      key_seconds=lambda: clock().timestamp())
    live.start(Hooks())
    eventually(lambda: live.status().state is StreamState.UP, message="stream connects")
    return live


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@pytest.fixture()
def manual(tmp_path: Path) -> Iterator[Rig]:
    paper = _venue(ManualClock())
    paper.start()
    try:
        yield _rig(paper, tmp_path / "m.db")
    finally:
        paper.stop()


@pytest.fixture()
def fast(tmp_path: Path) -> Iterator[Rig]:
    paper = _venue(SpeedClock(10))  # the soak's pace
    paper.start()
    try:
        yield _rig(paper, tmp_path / "f.db")
    finally:
        paper.stop()


def test_stuck_stop_when_venue_runs_x10_then_repaired_within_grace_plus_bound_venue_time(
        fast: Rig) -> None:
    live = _stream(fast)
    try:
        stop = fast.open_long()
        fired = fast.gap_through_stuck_stop(stop)
        [placed] = eventually(lambda: fast.new_stops(fired), timeout=10,
                              message="a new stop after the grace")
        late_ms = placed.time_ms - (fired.time_ms + int(GRACE_S * 1000))
        assert 0 <= late_ms <= 3_000, late_ms  # venue ms past the grace: 0.3 s of wall at x10
        assert fast.covered()
    finally:
        live.stop()


def test_stuck_stop_when_clock_stands_still_then_rechecked_once_it_passes_the_grace(
        manual: Rig) -> None:
    live = _stream(manual)
    try:
        stop = manual.open_long()
        fired = manual.gap_through_stuck_stop(stop)
        eventually(lambda: manual.stack.checks.scheduled(), message="grace end scheduled")
        manual.paper.control.advance(int(GRACE_S * 1000) - 1_000)
        time.sleep(0.3)  # a re-check due too early would come within this
        assert manual.new_stops(fired) == [] and manual.covered()  # still inside its grace
        manual.paper.control.advance(1_100)  # and now past it; the clock stands still again
        [placed] = eventually(lambda: manual.new_stops(fired), timeout=2,
                              message="re-checked without waiting 5 wall seconds")
        assert placed.time_ms == fired.time_ms + int(GRACE_S * 1000) + 100
        assert manual.covered()
    finally:
        live.stop()


def test_stuck_stop_when_stream_stalled_then_poll_asks_recheck_at_grace_end(
        manual: Rig) -> None:
    live = _stream(manual)
    try:
        stop = manual.open_long()
        manual.paper.control.stream_fault("stall")  # open, silent: TRIGGERING never told
        fired = manual.gap_through_stuck_stop(stop)
        manual.stack.monitor.run_cycle()  # the poll sees it TRIGGERING, inside its grace
        since = datetime.fromtimestamp(fired.time_ms / 1000, UTC)
        due = since + timedelta(seconds=GRACE_S, milliseconds=1)
        assert manual.stack.checks.scheduled() == ((due, SYMBOL),)
        manual.paper.control.advance(int(GRACE_S * 1000) + 100)  # no poll runs after this
        eventually(lambda: manual.new_stops(fired), timeout=2,
                   message="the reactor kept the poll's re-check")
        assert manual.covered()
    finally:
        live.stop()


def test_stuck_stop_when_stream_off_then_recheck_timer_repairs_what_the_poll_saw(
        manual: Rig) -> None:
    timer = RecheckTimer(manual.stack.monitor, manual.stack.recorder, venue_clock(manual.paper),
                         manual.stack.checks)
    hooks = Hooks()
    timer.start(hooks)
    try:
        stop = manual.open_long()
        fired = manual.gap_through_stuck_stop(stop)
        manual.stack.monitor.run_cycle()
        [(due, symbol)] = manual.stack.checks.scheduled()
        assert symbol == SYMBOL and _ms(due) == fired.time_ms + int(GRACE_S * 1000) + 1
        manual.paper.control.advance(int(GRACE_S * 1000) + 100)
        eventually(lambda: manual.new_stops(fired), timeout=2,
                   message="repaired at the grace end, not at the next poll")
        assert manual.covered()
        eventually(lambda: hooks.refreshed >= 1, message="the dashboard's views follow")
    finally:
        timer.stop()
