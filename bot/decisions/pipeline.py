"""Signal -> filter rules -> sizing -> size-dependent rules -> Decision, all recorded.

Every signal ends as exactly one recorded outcome (save_decision plus a
DECISION_ALLOWED or DECISION_DENIED event naming the rule and the reason), so
the dashboard's "shorts blocked: 14 today" and the tests read the same truth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from bot.decisions.killswitch import KillSwitch
from bot.decisions.ports import DecisionStore, EventReader
from bot.decisions.rules.base import RuleContext
from bot.decisions.rules.rulebook import RuleBook, RuleState
from bot.decisions.signals import price_side_problems
from bot.decisions.sizing import Sizing, size_position
from bot.domain import (
    Account,
    Decision,
    Direction,
    Event,
    EventKind,
    KillState,
    Regime,
    Signal,
    SymbolFilters,
)
from bot.domain.ports import Clock
from bot.protection.stop_policy import StopPolicy, round_stop, round_target

log = logging.getLogger(__name__)

DEFAULT_RISK = Decimal("0.0075")


@dataclass(frozen=True)
class MarketContext:
    """What the bot knows about the account and the symbol at the moment of deciding."""

    account: Account
    mark_price: Decimal
    filters: SymbolFilters
    leverage: int
    open_positions: int = 0
    symbol_has_position: bool = False
    position_direction: Direction | None = None
    position_quantity: Decimal = Decimal(0)  # absolute size of the open position, if any
    entries_on_symbol: int = 0
    global_regime: Regime | None = None
    local_trend: Regime | None = None
    last_stop_failure_at: datetime | None = None
    atr: Decimal | None = None


ContextProvider = Callable[[Signal], MarketContext]


@dataclass(frozen=True)
class DecisionOutcome:
    allowed: bool
    rule: str
    reason: str
    signal_id: str
    decision: Decision | None = None
    sizing: Sizing | None = None


class DecisionPipeline:
    def __init__(
        self, store: DecisionStore, rulebook: RuleBook, killswitch: KillSwitch,
        known_symbols: Collection[str], stop_policy: StopPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._rules = rulebook
        self._kill = killswitch
        self._symbols = frozenset(known_symbols)
        self._stops = stop_policy or StopPolicy()
        self._clock = clock or (lambda: datetime.now(UTC))

    def decide(self, signal: Signal, ctx_provider: ContextProvider) -> DecisionOutcome:
        now = self._clock()
        try:
            stored_id = self._store.save_signal(signal)
        except Exception as exc:  # e.g. the same strategy candle replayed after a restart
            reason = f"signal not recorded (duplicate id {signal.id!r}?): {type(exc).__name__}"
            log.warning("[DECIDE] DENIED %s %s: %s", signal.direction.value, signal.symbol,
                        reason)
            self._store.append(Event(EventKind.DECISION_DENIED, now, signal.symbol,
                                     message=reason, details={"rule": "signal", "reason": reason,
                                                              "signal_id": signal.id}))
            return DecisionOutcome(False, "signal", reason, signal.id)
        signal_id = signal.id or str(stored_id)
        self._store.append(Event(
            EventKind.SIGNAL_RECEIVED, now, signal.symbol,
            message=f"{signal.direction.value} {signal.symbol} from {signal.source}",
            details={"signal_id": signal_id, "direction": signal.direction.value,
                     "confidence": signal.confidence, "source": signal.source}))
        basic = self._basic_problems(signal)
        if basic:
            return self._deny(signal, stored_id, signal_id, "signal", "; ".join(basic), now)
        states = self._rules.states()
        gate = RuleContext(signal=signal, now=now, kill_state=self._kill_state())
        verdict = self._rules.evaluate(gate, "gate", states)
        if not verdict.allowed:  # halted: not even an exchange read for this signal
            return self._deny(signal, stored_id, signal_id, verdict.rule, verdict.reason, now)
        try:
            market = ctx_provider(signal)
        except Exception as exc:  # an unreadable exchange is a denial, never a crash
            log.warning("[DECIDE] No market context for %s: %s", signal.symbol, exc)
            return self._deny(signal, stored_id, signal_id, "context",
                              f"market context unavailable: {exc}", now)
        entry = market.mark_price
        raw_stop = signal.stop_price or self._stops.stop_for(signal.direction, entry, market.atr)
        problems = price_side_problems(signal.direction, entry, raw_stop, signal.target_price)
        if problems:
            return self._deny(signal, stored_id, signal_id, "signal", "; ".join(problems), now)
        stop = round_stop(signal.direction, raw_stop, market.filters)
        target = (round_target(signal.direction, signal.target_price, market.filters)
                  if signal.target_price is not None else None)
        problems = _not_positive_on_grid(
            (("stop" if signal.stop_price else "policy stop", raw_stop, stop),
             ("target", signal.target_price, target)), market.filters.tick_size)
        if problems:
            return self._deny(signal, stored_id, signal_id, "signal", "; ".join(problems), now)
        ctx = replace(
            gate,
            global_regime=market.global_regime, local_trend=market.local_trend,
            open_positions=market.open_positions, symbol_has_position=market.symbol_has_position,
            position_direction=market.position_direction,
            entries_on_symbol=market.entries_on_symbol,
            last_stop_failure_at=market.last_stop_failure_at, entry_price=entry,
            exchange_min_notional=market.filters.min_notional,
        )
        verdict = self._rules.evaluate(ctx, "market", states)
        if not verdict.allowed:
            return self._deny(signal, stored_id, signal_id, verdict.rule, verdict.reason, now)
        sizing = size_position(
            signal.direction, entry, stop, market.account.equity,
            market.account.available_balance, _risk(states), market.leverage, market.filters,
            held=(market.position_quantity if market.position_direction is signal.direction
                  else Decimal(0)))
        if not sizing.ok:
            self._store.append(Event(EventKind.SIZING_REFUSED, now, signal.symbol,
                                     message=sizing.reason,
                                     details={"signal_id": signal_id, "reason": sizing.reason}))
            return self._deny(signal, stored_id, signal_id, "sizing", sizing.reason, now, sizing)
        sized = replace(ctx, quantity=sizing.quantity)
        verdict = self._rules.evaluate(sized, "sized", states)
        if not verdict.allowed:
            return self._deny(signal, stored_id, signal_id, verdict.rule, verdict.reason, now,
                              sizing)
        decision = self._decision(signal, signal_id, stop, target, sizing, market, states)
        reason = (f"{verdict.reason}; qty {sizing.quantity} risking "
                  f"{sizing.risk_usdt:.2f} USDT" + (" (margin-capped)" if sizing.capped else ""))
        self._store.save_decision(stored_id, True, "filter", reason, sizing.quantity)
        self._store.append(Event(
            EventKind.DECISION_ALLOWED, now, signal.symbol, message=reason,
            details={"rule": "filter", "reason": reason, "signal_id": signal_id,
                     "direction": signal.direction.value, "quantity": str(sizing.quantity),
                     "stop": str(stop), "source": signal.source}))
        log.info("[DECIDE] ALLOWED %s %s qty %s stop %s (%s)", signal.direction.value,
                 signal.symbol, sizing.quantity, stop, signal.source)
        return DecisionOutcome(True, "filter", reason, signal_id, decision, sizing)

    def _basic_problems(self, signal: Signal) -> list[str]:
        problems = []
        if signal.symbol not in self._symbols:
            problems.append(f"unknown symbol {signal.symbol!r}")
        if not 0.0 <= signal.confidence <= 1.0:
            problems.append(f"confidence {signal.confidence} outside [0, 1]")
        return problems

    def _kill_state(self) -> KillState:
        try:
            return self._kill.state
        except Exception as exc:  # an unreadable switch must fail closed
            log.error("[DECIDE] Kill switch unreadable (%s) - treating as HALTED", exc)
            return KillState.HALTED

    def _decision(self, signal: Signal, signal_id: str, stop: Decimal, target: Decimal | None,
                  sizing: Sizing, market: MarketContext, states: dict[str, RuleState]
                  ) -> Decision:
        trailing = states.get("trailing_stop")
        trailing_on = bool(trailing and trailing.enabled)
        rate = (Decimal(str(trailing.params["callback_rate"]))
                if trailing is not None and trailing_on else None)
        return Decision(
            symbol=signal.symbol, direction=signal.direction, quantity=sizing.quantity,
            stop_price=stop, target_price=target, trailing=trailing_on, callback_rate=rate,
            signal_id=signal_id,
            extras=(("confidence", str(signal.confidence)), ("source", signal.source),
                    ("entry_ref", str(market.mark_price))),
        )

    def _deny(self, signal: Signal, stored_id: object, signal_id: str, rule: str, reason: str,
              now: datetime, sizing: Sizing | None = None) -> DecisionOutcome:
        quantity = sizing.quantity if sizing is not None and sizing.ok else None
        self._store.save_decision(stored_id, False, rule, reason, quantity)
        self._store.append(Event(
            EventKind.DECISION_DENIED, now, signal.symbol, message=reason,
            details={"rule": rule, "reason": reason, "signal_id": signal_id,
                     "direction": signal.direction.value, "source": signal.source}))
        log.info("[DECIDE] DENIED %s %s by %s: %s", signal.direction.value, signal.symbol,
                 rule, reason)
        return DecisionOutcome(False, rule, reason, signal_id, None, sizing)


def last_stop_failure_at(events: EventReader, symbol: str,
                         since: datetime | None = None) -> datetime | None:
    """When the symbol's protection last failed: an emergency close or a final stop rejection.

    For the cooldown rule; context providers call it when building MarketContext.
    """
    for event in events.events(kinds=[EventKind.EMERGENCY_CLOSE, EventKind.STOP_REJECTED],
                               symbol=symbol, since=since, limit=20, newest_first=True):
        if event.kind is EventKind.EMERGENCY_CLOSE or event.details.get("final"):
            return event.at
    return None


def _not_positive_on_grid(
    prices: tuple[tuple[str, Decimal | None, Decimal | None], ...], tick: Decimal,
) -> list[str]:
    """A price can be valid as sent yet snap to 0 on the tick grid (or start below 0: an ATR
    stop wider than the price). No order can carry it, so it is a denial here rather than an
    allowed decision the executor refuses."""
    return [f"{name}: {raw} at tick size {tick} is {snapped}, not above 0"
            for name, raw, snapped in prices if snapped is not None and snapped <= 0]


def _risk(states: dict[str, RuleState]) -> Decimal:
    state = states.get("risk_per_trade")
    return Decimal(str(state.params["risk"])) if state is not None else DEFAULT_RISK
