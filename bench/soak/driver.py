"""What makes the entries: one lane per symbol, stepped round-robin by a single thread.

A lane opens a position (directly through ``Executor.open_position`` with a
decision built from a seeded random signal, or as a webhook signal that goes
through the decision pipeline), holds it for a few seconds, then ends it
the way positions end in life: the price gaps through its stop (most of them),
through its take-profit, or someone closes it by hand at the venue. Before the
lane opens again it waits until the bot has booked the close, so the bot's
trade records stay one per position. One thread, so every fault is armed for
exactly one entry.

A lane drawn a mid-hold venue action (a silent cancel, a stop failing at trigger,
a stream drop, an outside fill) carries it out a third of the way into the hold,
then, if the position is left uncovered, holds on until the venue shows it covered
again (or two repair budgets have passed), so the repair is measured, not cut
short by the close.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal
from enum import StrEnum
from typing import Any

import requests

from bench.soak.config import SoakConfig
from bench.soak.coverage import covered
from bench.soak.faults import (
    MID_HOLD,
    TRIGGER_FAULTS,
    VENUE_ACTIONS,
    FaultSchedule,
    Injection,
    arm,
    request_fault,
)
from bench.soak.ledger_audit import FaultWindow
from bench.soak.observer import venue_stops
from bot.domain import Decision, Direction
from bot.paper.model import OrderRequest, OrderType, Side

log = logging.getLogger(__name__)


class LaneState(StrEnum):
    FLAT = "flat"
    WAIT_OPEN = "wait_open"
    HOLD = "hold"
    CLOSING = "closing"
    COOLDOWN = "cooldown"


class CloseMode(StrEnum):
    STOP_GAP = "stop_gap"
    TAKE_PROFIT = "take_profit"
    MANUAL = "manual"


@dataclass
class Lane:
    symbol: str
    state: LaneState = LaneState.FLAT
    due: float = 0.0
    direction: Direction = Direction.LONG
    close_mode: CloseMode = CloseMode.STOP_GAP
    injection: Injection | None = None
    armed: Any = None  # the request fault armed for this entry (the venue's Fault)
    fault_from: int = 0
    restore_price: Decimal | None = None
    venue_at: float | None = None  # the mid-hold venue action, if one is due
    second_at: float | None = None
    repair_until: float | None = None  # uncovered by the venue action: wait for the repair
    planned_close: float = 0.0  # the close the hold planned, before any wait for a repair
    cool_since: float = 0.0
    close_at: float = 0.0
    deadline: float = 0.0  # WAIT_OPEN / CLOSING give up after this

    def wake(self) -> None:
        """While holding, the lane wakes for its next planned action (and every 20 ms while
        it waits for a repair)."""
        self.due = min(t for t in (self.venue_at, self.second_at, self.close_at)
                       if t is not None)
        if self.repair_until is not None:
            self.due = min(self.due, time.monotonic() + 0.02)


@dataclass
class DriverStats:
    attempts: int = 0
    opened_direct: int = 0
    opened_webhook: int = 0
    webhook_sent: int = 0
    webhook_refused: int = 0
    webhook_not_opened: int = 0
    second_entries: int = 0
    not_opened: dict[str, int] = field(default_factory=dict)
    closes: dict[str, int] = field(default_factory=dict)
    forced_closes: int = 0
    outside_orders: int = 0
    drawn: dict[str, int] = field(default_factory=dict)  # by the schedule, one per attempt
    # faults that took effect: a request fault the venue answered with (at least once), a
    # venue action carried out; not those of an attempt refused before it sent anything
    injected: dict[str, int] = field(default_factory=dict)
    venue_actions_skipped: dict[str, int] = field(default_factory=dict)  # nothing to act on
    repairs_awaited: int = 0  # venue actions that left the position uncovered
    repairs_seen: int = 0  # ... and the venue showed it covered again before the close


class Driver:
    def __init__(self, cfg: SoakConfig, paper: Any, executor: Any, store: Any,
                 webhook_url: str | None, webhook_token: str | None) -> None:
        self.cfg = cfg
        self.engine = paper.engine
        self.control = paper.control
        self.executor = executor
        self.store = store
        self.webhook_url = webhook_url
        self.webhook_token = webhook_token
        self.rng = random.Random(f"driver:{cfg.seed}")
        kinds = tuple(Injection(k) for k in cfg.kinds) or tuple(Injection)
        self.schedule = FaultSchedule(cfg.fault_rate, cfg.seed, kinds)
        self.lanes = [Lane(s) for s in cfg.symbol_names]
        self.windows: list[FaultWindow] = []
        self.stats = DriverStats()
        self.entries = 0  # entries this driver saw filled
        self._http = requests.Session()

    # --- venue reads (the driver is the market and the signal source, not the bot) ---
    def _amount(self, symbol: str) -> Decimal:
        with self.engine.lock:
            return self.engine.account.amount(symbol)

    def _mark(self, symbol: str) -> Decimal:
        with self.engine.lock:
            self.engine.sync()
            return self.engine.mark[symbol]

    def _ledger_len(self) -> int:
        with self.engine.lock:
            return len(self.engine.ledger)

    def _open_algos(self, symbol: str) -> list[Any]:
        return self.engine.open_algos(symbol)

    def _covered(self, symbol: str) -> bool:
        """Covered by resting stops (no mark check): a TRIGGERING one, stuck or not, is not
        what the lane waits for after a failed trigger, but the bot's new stop."""
        with self.engine.lock:
            self.engine.sync()
            amount = self.engine.account.amount(symbol)
            stops = venue_stops(self.engine, None, symbol)
        return covered(amount, stops)

    # --- the loop ---
    def run(self, deadline: float, progress: Callable[[int], None] | None = None,
            halted: Callable[[], str | None] = lambda: None) -> None:
        """``halted`` names why the bot takes no more entries (its kill switch): the run
        stops driving then rather than wait out the deadline."""
        reported = 0
        checked = time.monotonic()
        while self.entries < self.cfg.entries and time.monotonic() < deadline:
            if time.monotonic() - checked >= 1.0:
                checked = time.monotonic()
                reason = halted()
                if reason:
                    log.error("[SOAK] The bot stopped taking entries after %d: %s",
                              self.entries, reason)
                    break
            if progress is not None and self.entries - reported >= 500:
                reported = self.entries
                progress(reported)
            busy = False
            for lane in self.lanes:
                if self.entries >= self.cfg.entries:
                    break
                busy |= self.step(lane)
            if not busy:
                time.sleep(0.005)
        for lane in self.lanes:  # let what is open end its own way, then stop
            if lane.state is LaneState.WAIT_OPEN:
                lane.state = LaneState.HOLD
                lane.close_at = lane.due = 0.0
                lane.venue_at = lane.second_at = lane.repair_until = None
        end = time.monotonic() + max(30.0, self.cfg.repair_budget_s * 3)
        while any(lane.state in (LaneState.HOLD, LaneState.CLOSING) for lane in self.lanes) \
                and time.monotonic() < end:
            for lane in self.lanes:
                if lane.state in (LaneState.HOLD, LaneState.CLOSING):
                    if (lane.state is LaneState.HOLD and lane.venue_at is None
                            and lane.repair_until is None):
                        lane.second_at = None
                        lane.close_at = min(lane.close_at, time.monotonic())
                        lane.wake()
                    self.step(lane)
            time.sleep(0.01)

    def step(self, lane: Lane) -> bool:
        now = time.monotonic()
        if now < lane.due:
            return False
        handler = {
            LaneState.FLAT: self._open, LaneState.WAIT_OPEN: self._wait_open,
            LaneState.HOLD: self._hold, LaneState.CLOSING: self._closing,
            LaneState.COOLDOWN: self._cooldown,
        }[lane.state]
        return handler(lane, now)

    # --- opening ---
    def _open(self, lane: Lane, now: float) -> bool:
        if self._amount(lane.symbol) != 0:  # opened by the strategy meanwhile: end it too
            lane.injection = None
            self._start_hold(lane, now, None)
            return True
        cfg, rng = self.cfg, self.rng
        lane.direction = rng.choice((Direction.LONG, Direction.SHORT))
        roll = rng.random()
        lane.close_mode = (CloseMode.STOP_GAP if roll < 0.6 else
                           CloseMode.TAKE_PROFIT if roll < 0.8 else CloseMode.MANUAL)
        injection = self.schedule.draw()
        lane.injection = injection
        mark = self._mark(lane.symbol)
        spec = self.engine.specs[lane.symbol]
        qty = _qty(spec, max(cfg.notional_usdt, spec.min_notional * 2), mark)
        long = lane.direction is Direction.LONG
        stop = mark * (1 - cfg.stop_pct) if long else mark * (1 + cfg.stop_pct)
        target = None
        if lane.close_mode is CloseMode.TAKE_PROFIT:
            target = mark * (1 + cfg.stop_pct * 2) if long else mark * (1 - cfg.stop_pct * 2)
        self.stats.attempts += 1
        lane.fault_from = self._ledger_len()
        lane.armed = None
        if injection is not None:
            self.stats.drawn[injection.value] = self.stats.drawn.get(injection.value, 0) + 1
            spec_fault = request_fault(injection)
            if spec_fault is not None:
                lane.armed = arm(self.control, spec_fault)
        lane.restore_price = None
        webhook = self.webhook_url and rng.random() < cfg.webhook_share
        if webhook and injection is None:
            if self._send_signal(lane, stop, target):
                lane.state, lane.due = LaneState.WAIT_OPEN, now + 0.05
                lane.deadline = now + cfg.webhook_wait_s
                return True
            self._end_fault(lane)
            lane.state, lane.due = LaneState.COOLDOWN, now + 0.2
            return True
        decision = Decision(symbol=lane.symbol, direction=lane.direction, quantity=qty,
                            stop_price=_tick(spec, stop), signal_id=f"soak-{self.stats.attempts}",
                            target_price=_tick(spec, target) if target is not None else None)
        result = self.executor.open_position(decision)
        self._end_fault(lane)
        if self._amount(lane.symbol) != 0:
            self.entries += 1
            self.stats.opened_direct += 1
            self._start_hold(lane, time.monotonic(), injection)
        else:
            status = result.status.value
            self.stats.not_opened[status] = self.stats.not_opened.get(status, 0) + 1
            if status in ("opened", "emergency_closed", "unprotected"):
                self.entries += 1
            # refused (a read held back after a 429, say): not again at once, which would
            # only draw (and waste) more faults
            lane.state, lane.due = LaneState.COOLDOWN, time.monotonic() + (
                0.0 if status == "emergency_closed" else 0.25)
        return True

    def _send_signal(self, lane: Lane, stop: Decimal, target: Decimal | None) -> bool:
        spec = self.engine.specs[lane.symbol]
        body: dict[str, Any] = {
            "symbol": lane.symbol, "side": "BUY" if lane.direction is Direction.LONG else "SELL",
            "confidence": 0.95, "stop": str(_tick(spec, stop)), "source": "soak"}
        if target is not None:
            body["target"] = str(_tick(spec, target))
        self.stats.webhook_sent += 1
        try:
            answer = self._http.post(self.webhook_url, json=body, timeout=5,
                                     headers={"X-QT-Token": self.webhook_token or ""})
        except requests.RequestException:
            self.stats.webhook_refused += 1
            return False
        if answer.status_code >= 300:
            self.stats.webhook_refused += 1
            return False
        return True

    def _wait_open(self, lane: Lane, now: float) -> bool:
        if self._amount(lane.symbol) != 0:
            self._end_fault(lane)
            self.entries += 1
            self.stats.opened_webhook += 1
            self._start_hold(lane, now, lane.injection)
            return True
        if now >= lane.deadline:  # denied by a rule, or refused: not an entry
            self._end_fault(lane)
            self.stats.webhook_not_opened += 1
            lane.state, lane.due = LaneState.COOLDOWN, now
            return True
        lane.due = now + 0.05
        return False

    def _injected(self, injection: Injection) -> None:
        self.stats.injected[injection.value] = self.stats.injected.get(injection.value, 0) + 1

    def _end_fault(self, lane: Lane) -> None:
        """A request fault that hit becomes a window of the ledger (its spans are fault
        recovery); one never used (the attempt was refused first) leaves no trace."""
        if lane.injection is not None and lane.injection not in VENUE_ACTIONS:
            spec = request_fault(lane.injection)
            if lane.armed is not None and spec is not None and lane.armed.remaining < spec.count:
                self._injected(lane.injection)
                self.windows.append(FaultWindow("*", lane.injection.value, lane.fault_from,
                                                self._ledger_len()))
            self.control.clear_faults()  # one thread: whatever is left was this entry's
        lane.armed = None

    def _start_hold(self, lane: Lane, now: float, injection: Injection | None) -> None:
        lo, hi = self.cfg.hold_s
        hold = self.rng.uniform(lo, hi)
        lane.state = LaneState.HOLD
        lane.close_at = lane.planned_close = now + hold
        lane.venue_at = now + hold * 0.3 if injection in MID_HOLD else None
        lane.repair_until = None
        lane.second_at = (now + hold * 0.5 if self.rng.random() < self.cfg.second_entry_share
                          else None)
        lane.wake()

    # --- holding ---
    def _hold(self, lane: Lane, now: float) -> bool:
        if lane.venue_at is not None and now >= lane.venue_at:
            lane.venue_at = None
            self._venue_action(lane)
            now = time.monotonic()
            if self._amount(lane.symbol) != 0 and not self._covered(lane.symbol):
                # the close waits for the repair: up to two budgets, then it goes ahead
                self.stats.repairs_awaited += 1
                lane.repair_until = now + self.cfg.repair_budget_s * 2
                lane.close_at = max(lane.close_at, lane.repair_until)
            lane.wake()
            return True
        if lane.repair_until is not None:
            if self._amount(lane.symbol) == 0 or self._covered(lane.symbol):
                if self._amount(lane.symbol) != 0:
                    self.stats.repairs_seen += 1
                lane.repair_until = None
                lane.close_at = max(lane.planned_close, now + 0.2)
            elif now < lane.repair_until:
                lane.due = min(now + 0.02, lane.close_at)
                return False
            else:
                lane.repair_until = None
            lane.wake()
            return True
        if lane.second_at is not None and now >= lane.second_at:
            lane.second_at = None
            self._second_entry(lane)
            lane.wake()
            return True
        if now < lane.close_at:
            lane.wake()
            return False
        self._close(lane)
        lane.state, lane.due, lane.deadline = LaneState.CLOSING, now + 0.02, now + 3.0
        return True

    def _venue_action(self, lane: Lane) -> None:
        injection = lane.injection
        done = False
        if self._amount(lane.symbol) != 0:
            if injection is Injection.SILENT_CANCEL:
                done = self._silent_cancel(lane)
            elif injection in TRIGGER_FAULTS:
                done = self._fail_at_trigger(lane, TRIGGER_FAULTS[injection])
            elif injection is Injection.STREAM_DROP:
                done = self._stream_drop()
            elif injection is Injection.OUTSIDE_FILL:
                done = self._outside_fill(lane)
        if done and injection is not None:
            self._injected(injection)
        elif injection is not None:
            skipped = self.stats.venue_actions_skipped
            skipped[injection.value] = skipped.get(injection.value, 0) + 1

    def _closing_stops(self, symbol: str, amount: Decimal) -> list[Any]:
        """Resting (NEW) stops on the closing side, trailing ones aside."""
        closing = "SELL" if amount > 0 else "BUY"
        return [a for a in self._open_algos(symbol)
                if a.side.value == closing and a.type.is_stop_family
                and a.type.value != "TRAILING_STOP_MARKET" and a.status.value == "NEW"]

    def _silent_cancel(self, lane: Lane) -> bool:
        amount = self._amount(lane.symbol)
        done = False
        for algo in self._closing_stops(lane.symbol, amount):
            try:
                self.control.silent_cancel(algo.algo_id)
                done = True
            except Exception as exc:  # triggered meanwhile: nothing to cancel
                log.info("[SOAK] Silent cancel of %s skipped: %s", algo.algo_id, exc)
        return done

    def _fail_at_trigger(self, lane: Lane, kind: str) -> bool:
        """Arm ``kind`` for every resting stop of the position, then gap just through them."""
        amount = self._amount(lane.symbol)
        stops = self._closing_stops(lane.symbol, amount)
        if not stops:
            return False
        long = amount > 0
        level = min(a.trigger_price for a in stops) if long else max(
            a.trigger_price for a in stops)
        gap = Decimal("0.002")
        spec = self.engine.specs[lane.symbol]
        self.control.trigger_fault(kind, lane.symbol, count=len(stops))
        self.control.set_price(lane.symbol, _tick(spec, level * (1 - gap) if long
                                                  else level * (1 + gap)))
        if any(f.symbol == lane.symbol for f in self.engine.trigger_faults.pending()):
            # a stop that did not fire (moved meanwhile): the fault must not hit a later one;
            # one thread, and request faults never outlive their entry, so nothing else is lost
            log.info("[SOAK] Trigger fault %s on %s not consumed: cleared", kind, lane.symbol)
            self.control.clear_faults()
        return True

    def _stream_drop(self) -> bool:
        try:
            self.control.stream_fault("drop")
        except ValueError as exc:  # a venue without a stream
            log.info("[SOAK] Stream drop skipped: %s", exc)
            return False
        return True

    def _outside_fill(self, lane: Lane) -> bool:
        """Another client of the account adds an entry's worth to the open position."""
        amount = self._amount(lane.symbol)
        spec = self.engine.specs[lane.symbol]
        qty = _qty(spec, max(self.cfg.notional_usdt, spec.min_notional * 2),
                   self._mark(lane.symbol))
        self.stats.outside_orders += 1
        try:
            self.engine.place_order(OrderRequest(
                lane.symbol, Side.BUY if amount > 0 else Side.SELL, OrderType.MARKET, qty,
                client_order_id=f"outside-{self.cfg.seed}-{self.stats.outside_orders}"),
                actor="control")
        except Exception as exc:
            log.info("[SOAK] Outside fill on %s skipped: %s", lane.symbol, exc)
            return False
        return True

    def _second_entry(self, lane: Lane) -> None:
        amount = self._amount(lane.symbol)
        if amount == 0:
            return
        direction = Direction.LONG if amount > 0 else Direction.SHORT
        mark = self._mark(lane.symbol)
        spec = self.engine.specs[lane.symbol]
        qty = _qty(spec, max(self.cfg.notional_usdt, spec.min_notional * 2), mark)
        stop = mark * (1 - self.cfg.stop_pct) if amount > 0 else mark * (1 + self.cfg.stop_pct)
        self.stats.attempts += 1
        self.executor.open_position(Decision(
            symbol=lane.symbol, direction=direction, quantity=qty, stop_price=_tick(spec, stop),
            signal_id=f"soak-{self.stats.attempts}"))
        if abs(self._amount(lane.symbol)) > abs(amount):
            self.stats.second_entries += 1
            self.entries += 1

    # --- closing ---
    def _close(self, lane: Lane) -> None:
        amount = self._amount(lane.symbol)
        if amount == 0:
            return
        lane.restore_price = self._mark(lane.symbol)
        mode = lane.close_mode
        algos = [a for a in self._open_algos(lane.symbol) if a.status.value == "NEW"]
        closing = "SELL" if amount > 0 else "BUY"
        gap = Decimal("0.03") if lane.injection is Injection.PRICE_GAP else Decimal("0.002")
        triggers = [a.trigger_price for a in algos if a.side.value == closing and (
            a.type.value.startswith("TAKE_PROFIT") if mode is CloseMode.TAKE_PROFIT
            else a.type.is_stop_family and a.type.value != "TRAILING_STOP_MARKET")]
        if mode is CloseMode.MANUAL or not triggers:
            self._manual_close(lane.symbol, amount)
            mode = CloseMode.MANUAL
        else:  # through every trigger of that kind: the one furthest away decides
            if lane.injection is Injection.PRICE_GAP:
                self._injected(lane.injection)
            level = min(triggers) if (amount > 0) != (mode is CloseMode.TAKE_PROFIT) \
                else max(triggers)
            down = (amount > 0) != (mode is CloseMode.TAKE_PROFIT)
            price = level * (1 - gap) if down else level * (1 + gap)
            spec = self.engine.specs[lane.symbol]
            self.control.set_price(lane.symbol, _tick(spec, price))
        self.stats.closes[mode.value] = self.stats.closes.get(mode.value, 0) + 1

    def _manual_close(self, symbol: str, amount: Decimal) -> None:
        side = Side.SELL if amount > 0 else Side.BUY
        try:
            self.engine.place_order(OrderRequest(symbol, side, OrderType.MARKET, abs(amount),
                                                 reduce_only=True), actor="control")
        except Exception as exc:
            log.info("[SOAK] Manual close of %s skipped: %s", symbol, exc)

    def _closing(self, lane: Lane, now: float) -> bool:
        amount = self._amount(lane.symbol)
        if amount != 0 and now < lane.deadline:
            lane.due = now + 0.02
            return False
        if amount != 0:  # the gap did not close it (a stop moved meanwhile): by hand
            self.stats.forced_closes += 1
            log.info("[SOAK] %s still %s after the closing gap (%s); open orders: %s",
                        lane.symbol, amount, lane.close_mode.value,
                        [(a.type.value, a.side.value, str(a.trigger_price), str(a.quantity))
                         for a in self._open_algos(lane.symbol)])
            self._manual_close(lane.symbol, amount)
        if lane.restore_price is not None:
            spec = self.engine.specs[lane.symbol]
            self.control.set_price(lane.symbol, _tick(spec, lane.restore_price))
        lane.state, lane.due = LaneState.COOLDOWN, now
        return True

    def _cooldown(self, lane: Lane, now: float) -> bool:
        """Wait for the bot to book the close, so the next entry is a new trade record."""
        if not lane.cool_since:
            lane.cool_since = now
        waited = now - lane.cool_since
        if waited < self.cfg.monitor_interval_s * 5 and (
                self._amount(lane.symbol) == 0
                and self.store.open_trade_for(lane.symbol) is not None):
            lane.due = now + 0.1
            return False
        lane.cool_since = 0.0
        lane.state, lane.due = LaneState.FLAT, now
        return False


def _qty(spec: Any, notional: Decimal, mark: Decimal) -> Decimal:
    raw = notional / mark
    steps = (raw / spec.step_size).to_integral_value(rounding=ROUND_UP)
    return max(spec.min_qty, steps * spec.step_size)


def _tick(spec: Any, price: Decimal) -> Decimal:
    return (price / spec.tick_size).to_integral_value() * spec.tick_size
