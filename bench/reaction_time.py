"""Venue-side change → covering stop acknowledged, with the user-data stream and without it.

The bot runs as in production (protection stack, monitor at 10 s) against the paper
venue over HTTP and WebSocket, on the wall clock. Each trial makes one change at the
venue that leaves a position uncovered, then waits for the bot to cover it again.
Latency is read from the venue's ledger (wall times of the change and of the new
stop's PLACED entry), so the bot's own view plays no part in the figure.

Scenarios: a stop cancelled from outside (another client), a stop rejected at
trigger, a triggered stop whose child order expired, quantity added from outside
to a position covered by a reduce-only stop. Modes: ``stream`` (the monitor's poll
never runs: only the stream can repair) and ``poll`` (no stream, the monitor every
10 s: the fallback's bound).

Run: .venv/bin/python bench/reaction_time.py [--trials 40] [--poll-trials 4]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._protection_rig import percentile  # noqa: E402
from bot.domain import Decision, Direction, Side, StreamState  # noqa: E402
from bot.domain.errors import ExchangeError  # noqa: E402
from bot.exchange.binance_adapter import BinanceAdapter, make_client  # noqa: E402
from bot.exchange.budget import BudgetLimits  # noqa: E402
from bot.exchange.user_stream import StreamConfig  # noqa: E402
from bot.locks import SymbolLocks  # noqa: E402
from bot.paper.server import PaperExchange  # noqa: E402
from bot.protection.config import ProtectionConfig  # noqa: E402
from bot.protection.coverage import assess  # noqa: E402
from bot.protection.moves import move_stop  # noqa: E402
from bot.runtime.protection_stack import ProtectionStack, build_protection  # noqa: E402
from bot.runtime.stream_reactor import LiveStream  # noqa: E402
from bot.store import Store  # noqa: E402

KEY, SECRET = "bench-key", "bench-secret"
SYMBOL = "ETHUSDT"
D = Decimal


class _Hooks:
    def refresh_views(self) -> None: ...

    def wake_monitor(self) -> None: ...

    def fast_poll(self, on: bool) -> None: ...


@dataclass
class Rig:
    venue: PaperExchange
    adapter: BinanceAdapter
    other: BinanceAdapter  # "someone else": the app, another program
    stack: ProtectionStack

    def covered(self) -> bool:
        positions = [p for p in self.adapter.positions() if p.symbol == SYMBOL]
        return bool(positions) and assess(positions[0],
                                          self.adapter.open_conditional_orders(SYMBOL)).covered

    def open(self, reduce_only: bool = False) -> None:
        for p in self.adapter.positions():
            self.adapter.market_order(p.symbol, p.direction.closing_side, p.quantity,
                                      f"bench-flat-{time.monotonic_ns() % 10**9}",
                                      reduce_only=True)
        time.sleep(0.4)  # past the venue's trigger delay: nothing left TRIGGERING
        for o in self.adapter.open_conditional_orders(SYMBOL):
            try:
                self.adapter.cancel_conditional(SYMBOL, algo_id=o.algo_id)
            except ExchangeError:
                pass  # gone or firing meanwhile: the next trial starts flat anyway
        self.venue.control.set_price(SYMBOL, D("3000"))
        f = self.adapter.filters(SYMBOL)
        result = self.stack.executor.open_position(
            Decision(SYMBOL, Direction.LONG, D("0.2"), f.round_price(D("2940"), "down")))
        if result.status.value != "opened":
            raise RuntimeError(f"bench entry not opened: {result.status} {result.reason}")
        if reduce_only:
            [pos] = [p for p in self.adapter.positions() if p.symbol == SYMBOL]
            book = self.adapter.open_conditional_orders(SYMBOL)
            move_stop(self.stack.protector, pos, book, book, D("2941"), "bench")
        self.stack.monitor.run_cycle()  # the bot has seen the stop it will lose


def _stop(rig: Rig):
    [stop] = [o for o in rig.adapter.open_conditional_orders(SYMBOL) if o.type.is_stop]
    return stop


def cancel_outside(rig: Rig) -> str:
    rig.open()
    rig.other.cancel_conditional(SYMBOL, algo_id=_stop(rig).algo_id)
    return "CANCELED"


def rejected_at_trigger(rig: Rig) -> str:
    rig.open()
    rig.venue.control.trigger_fault("reject", SYMBOL, reason="bench")
    rig.venue.control.set_price(SYMBOL, D("2939"))
    return "REJECTED"


def child_expired(rig: Rig) -> str:
    rig.open()
    rig.venue.control.trigger_fault("child_expired", SYMBOL)
    rig.venue.control.set_price(SYMBOL, D("2939"))
    return "EXPIRED"


def added_outside(rig: Rig) -> str:
    rig.open(reduce_only=True)
    rig.other.market_order(SYMBOL, Side.BUY, D("0.1"), f"phone-{time.monotonic_ns() % 10**9}")
    return "FILLED"


SCENARIOS: dict[str, Callable[[Rig], str]] = {
    "cancelled from outside": cancel_outside,
    "rejected at trigger": rejected_at_trigger,
    "child order expired": child_expired,
    "quantity added outside": added_outside,
}


def trial(rig: Rig, scenario: Callable[[Rig], str], timeout_s: float) -> float | None:
    """ms from the venue's change to the covering stop's PLACED, both from the ledger."""
    mark = max((e.id for e in rig.venue.control.ledger()), default=0)
    action = scenario(rig)
    change = None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        entries = rig.venue.control.ledger(since_id=mark)
        if change is None:
            change = _change(entries, action)
        if change is not None:
            placed = [e for e in entries if e.book == "algo" and e.action == "PLACED"
                      and e.actor == "client" and e.id > change.id]
            if placed:  # read the ledger only: the bot's weight budget is not the bench's
                return float(placed[0].wall_ms - change.wall_ms) if rig.covered() else None
        time.sleep(0.002)
    return None


def _change(entries: list, action: str):
    if action == "FILLED":  # the outside order's fill: quantity the stop does not cover
        return next((e for e in entries if e.book == "order" and e.action == "FILLED"
                     and (e.client_id or "").startswith("phone-")), None)
    if action == "EXPIRED":  # the triggered stop's child market order
        return next((e for e in entries if e.book == "order" and e.action == "EXPIRED"), None)
    return next((e for e in entries if e.book == "algo" and e.action == action), None)


def build_rig(stream: bool, tmp: Path) -> tuple[Rig, LiveStream | None, threading.Event]:
    venue = PaperExchange(KEY, SECRET, seed=3, balance=D("100000"), weight_limit=None,
                          order_limits=False, slippage_bps=0)
    venue.start()
    unlimited = BudgetLimits(10**9, 10**9, 10**9)  # the venue runs without limits here
    adapter = BinanceAdapter(make_client(KEY, SECRET, futures_url=venue.futures_url),
                             limits=unlimited)
    other = BinanceAdapter(make_client(KEY, SECRET, futures_url=venue.futures_url),
                           limits=unlimited)
    store = Store(f"sqlite:///{tmp / ('s.db' if stream else 'p.db')}")
    clock = lambda: datetime.fromtimestamp(venue.clock.now_ms() / 1000, UTC)  # noqa: E731
    stack = build_protection(adapter, store, store, SymbolLocks(), ProtectionConfig(), clock)
    rig = Rig(venue, adapter, other, stack)
    done = threading.Event()
    live = None
    if stream:
        live = LiveStream(adapter, StreamConfig(venue.ws_url), stack.monitor, stack.recorder,
                          clock, down_after_s=30)
        live.start(_Hooks())
        while live.status().state is not StreamState.UP:
            time.sleep(0.01)
    else:
        def poll() -> None:  # the production interval, on its own thread as the scheduler's
            while not done.wait(10.0):
                stack.monitor.run_cycle()
        threading.Thread(target=poll, daemon=True).start()
    return rig, live, done


def run(mode: str, trials: int, timeout_s: float, tmp: Path) -> None:
    rig, live, done = build_rig(mode == "stream", tmp)
    try:
        for name, scenario in SCENARIOS.items():
            figures = [trial(rig, scenario, timeout_s) for _ in range(trials)]
            ok = sorted(f for f in figures if f is not None)
            missed = len(figures) - len(ok)
            print(f"{mode:6} {name:24} n={len(ok):3} p50 {percentile(ok, 50):8.1f} ms  "
                  f"p99 {percentile(ok, 99):8.1f} ms  max {max(ok, default=float('nan')):8.1f} ms"
                  f"  missed {missed}", flush=True)
    finally:
        done.set()
        if live is not None:
            live.stop()
        rig.venue.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--poll-trials", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="qs-reaction-") as tmp:
        run("stream", args.trials, 5.0, Path(tmp))
        if args.poll_trials:
            run("poll", args.poll_trials, 15.0, Path(tmp))


if __name__ == "__main__":
    main()
