from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.decisions.killswitch import KillSwitch
from bot.decisions.pipeline import DecisionPipeline, MarketContext, last_stop_failure_at
from bot.decisions.rules import RuleBook, RuleDefaults, default_rules
from bot.decisions.signals import validate_signal
from bot.domain import Account, Direction, Event, EventKind, Regime, Signal
from bot.protection.stop_policy import StopPolicy
from tests.unit.decisions.builders import filters

D = Decimal
SYMBOLS = {"ATOMUSDT", "BTCUSDT"}


@pytest.fixture
def kill(store, clock):
    return KillSwitch(store, clock)


@pytest.fixture
def book(store, clock):
    return RuleBook(store, default_rules(RuleDefaults(trailing_enabled=True,
                                                      trailing_callback_rate=0.8)), clock)


@pytest.fixture
def pipeline(store, book, kill, clock):
    return DecisionPipeline(store, book, kill, SYMBOLS,
                            StopPolicy("atr", D("2"), D("0.02")), clock)


def _market(**changes):
    base = MarketContext(
        account=Account(D("1000"), D("1000"), D("0")), mark_price=D("2.500"),
        filters=filters(), leverage=5, global_regime=Regime.SIDEWAYS,
        local_trend=Regime.SIDEWAYS, atr=D("0.05"))
    return replace(base, **changes)


def _signal(clock, direction=Direction.LONG, confidence=0.6, stop="2.4", target="2.7",
            symbol="ATOMUSDT", sid=""):
    return Signal(symbol, direction, confidence, "test", clock(),
                  D(stop) if stop else None, D(target) if target else None, id=sid)


def _denied_rules(store):
    return [e.details["rule"] for e in store.events(kinds=[EventKind.DECISION_DENIED])]


def test_an_allowed_signal_becomes_a_sized_decision_and_is_recorded(pipeline, store, clock):
    outcome = pipeline.decide(_signal(clock), lambda s: _market())
    assert outcome.allowed, outcome.reason
    d = outcome.decision
    # 1000 x 0.0075 / (2.5 - 2.4) = 75
    assert (d.symbol, d.direction, d.quantity, d.stop_price, d.target_price) == (
        "ATOMUSDT", Direction.LONG, D("75.00"), D("2.400"), D("2.700"))
    assert d.trailing is True and d.callback_rate == D("0.8")
    decisions = store.recent_decisions()
    assert len(decisions) == 1 and decisions[0].allowed and decisions[0].quantity == D("75")
    assert store.count(EventKind.SIGNAL_RECEIVED) == 1
    assert store.count(EventKind.DECISION_ALLOWED) == 1


def test_a_blocked_short_is_recorded_with_rule_and_reason(pipeline, store, clock):
    market = _market(global_regime=Regime.UPTREND)
    outcome = pipeline.decide(
        _signal(clock, Direction.SHORT, 0.9, stop="2.6", target="2.3"), lambda s: market)
    assert not outcome.allowed and outcome.rule == "uptrend_short_block"
    assert store.count(EventKind.DECISION_DENIED, detail=("rule", "uptrend_short_block")) == 1
    record = store.recent_decisions()[0]
    assert (record.allowed, record.rule) == (False, "uptrend_short_block")
    assert "UPTREND" in record.reason


def test_toggling_a_rule_changes_the_very_next_decision(pipeline, book, clock):
    market = _market(global_regime=Regime.UPTREND)
    short = _signal(clock, Direction.SHORT, 0.5, stop="2.6", target="2.3")
    assert not pipeline.decide(short, lambda s: market).allowed
    assert book.set_rule("uptrend_short_block", False, {}, "alice") == []
    assert pipeline.decide(short, lambda s: market).allowed
    assert book.set_rule("risk_per_trade", None, {"risk": "0.015"}, "alice") == []
    assert pipeline.decide(short, lambda s: market).decision.quantity == D("150.00")


def test_a_halted_switch_denies_everything_without_reading_the_market(pipeline, kill, clock):
    kill.halt("alice")
    reads = []
    outcome = pipeline.decide(_signal(clock), lambda s: reads.append(s) or _market())
    assert not outcome.allowed and outcome.rule == "kill_switch" and reads == []
    kill.resume("alice")
    assert pipeline.decide(_signal(clock), lambda s: _market()).allowed


@pytest.mark.parametrize(("entries", "allowed"), [(1, True), (2, False)])
def test_position_limit_per_symbol(pipeline, clock, entries, allowed):
    market = _market(symbol_has_position=True, entries_on_symbol=entries, open_positions=1)
    outcome = pipeline.decide(_signal(clock), lambda s: market)
    assert outcome.allowed is allowed
    if not allowed:
        assert outcome.rule == "max_positions_per_symbol"


@pytest.mark.parametrize(("held", "allowed"), [(Direction.LONG, True), (Direction.SHORT, False)])
def test_an_entry_against_the_open_position_is_denied(pipeline, store, clock, held, allowed):
    market = _market(symbol_has_position=True, entries_on_symbol=1, open_positions=1,
                     position_direction=held)
    outcome = pipeline.decide(_signal(clock, direction=Direction.LONG), lambda s: market)
    assert outcome.allowed is allowed
    if not allowed:
        assert outcome.rule == "opposite_position" and _denied_rules(store) == [
            "opposite_position"]


@pytest.mark.parametrize(("direction", "stop", "target", "snapped"), [
    (Direction.LONG, "2.4", "2.5004", D("2.501")),   # nearest would be 2.500: the entry
    (Direction.SHORT, "2.6", "2.4996", D("2.499")),
])
def test_a_target_snaps_away_from_the_entry_never_onto_it(pipeline, clock, direction, stop,
                                                          target, snapped):
    outcome = pipeline.decide(_signal(clock, direction=direction, stop=stop, target=target),
                              lambda s: _market())
    assert outcome.allowed and outcome.decision.target_price == snapped


def test_sizing_refusal_is_recorded_as_sizing_refused_and_a_denial(pipeline, store, clock):
    tiny = _market(account=Account(D("0.4"), D("0.4"), D("0")))
    outcome = pipeline.decide(_signal(clock), lambda s: tiny)
    assert not outcome.allowed and outcome.rule == "sizing"
    assert "below MIN_NOTIONAL" in outcome.reason
    assert store.count(EventKind.SIZING_REFUSED) == 1
    assert _denied_rules(store) == ["sizing"]


def test_operator_min_notional_floor_denies_after_sizing(pipeline, book, clock):
    assert book.set_rule("min_notional", None, {"floor_usdt": "500"}, "alice") == []
    outcome = pipeline.decide(_signal(clock), lambda s: _market())  # 75 x 2.5 = 187.5
    assert not outcome.allowed and outcome.rule == "min_notional"
    assert outcome.sizing.quantity == D("75.00")


def test_a_signal_without_stop_gets_the_atr_stop_snapped_away_from_entry(pipeline, clock):
    outcome = pipeline.decide(_signal(clock, Direction.SHORT, stop=None, target=None),
                              lambda s: _market(atr=D("0.0333")))
    assert outcome.allowed
    assert outcome.decision.stop_price == D("2.567")  # 2.5 + 0.0666 -> up to the tick


@pytest.mark.parametrize(("stop", "target", "field"), [("2.6", "2.7", "stop"),
                                                       ("2.4", "2.45", "target")])
def test_levels_on_the_wrong_side_of_the_mark_are_denied(pipeline, clock, stop, target, field):
    outcome = pipeline.decide(_signal(clock, stop=stop, target=target), lambda s: _market())
    assert not outcome.allowed and outcome.rule == "signal"
    assert outcome.reason.startswith(field)


@pytest.mark.parametrize(("body", "atr", "field"), [
    ({"side": "BUY", "stop": "0.0004"}, None, "stop: 0.0004"),  # snaps down to 0
    ({"side": "SELL", "stop": "2.6", "target": "0.0004"}, None, "target: 0.0004"),
])
def test_a_level_not_above_zero_on_the_tick_grid_is_denied_not_allowed(
        pipeline, store, clock, body, atr, field):
    signal = validate_signal({"symbol": "ATOMUSDT", "confidence": 0.5, **body}, SYMBOLS,
                             clock(), lambda s: D("2.500"))  # the webhook accepts it
    outcome = pipeline.decide(signal, lambda s: _market(atr=atr))
    assert not outcome.allowed and outcome.rule == "signal" and outcome.decision is None
    assert outcome.reason.startswith(field) and "not above 0" in outcome.reason
    assert store.count(EventKind.DECISION_ALLOWED) == 0
    assert _denied_rules(store) == ["signal"]
    assert [(r.allowed, r.reason) for r in store.recent_decisions()] == [(False, outcome.reason)]


def test_policy_stop_when_atr_wider_than_the_price_then_capped_not_negative(
        pipeline, store, clock):
    signal = validate_signal({"symbol": "ATOMUSDT", "confidence": 0.5, "side": "BUY"}, SYMBOLS,
                             clock(), lambda s: D("2.500"))
    outcome = pipeline.decide(signal, lambda s: _market(atr=D("1.3")))  # 2 x ATR > price
    assert outcome.allowed and outcome.decision is not None
    assert outcome.decision.stop_price == D("1.875")  # 25 % below 2.500, the policy's cap


def test_unknown_symbol_and_bad_confidence_are_denied_before_any_context(pipeline, clock):
    calls = []
    outcome = pipeline.decide(_signal(clock, symbol="DOGEUSDT", confidence=1.5),
                              lambda s: calls.append(s) or _market())
    assert not outcome.allowed and calls == []
    assert "unknown symbol" in outcome.reason and "confidence 1.5" in outcome.reason


def test_an_unreadable_context_is_a_denial_not_a_crash(pipeline, store, clock):
    def broken(signal):
        raise ConnectionError("exchange unreachable")

    outcome = pipeline.decide(_signal(clock), broken)
    assert not outcome.allowed and outcome.rule == "context"
    assert "exchange unreachable" in outcome.reason
    assert store.recent_decisions()[0].rule == "context"


def test_a_replayed_signal_id_is_denied_once_recorded(pipeline, store, clock):
    signal = _signal(clock, sid="trend-ATOMUSDT-1")
    assert pipeline.decide(signal, lambda s: _market()).allowed
    again = pipeline.decide(signal, lambda s: _market())
    assert not again.allowed and again.rule == "signal" and "duplicate" in again.reason
    assert store.count(EventKind.DECISION_ALLOWED) == 1


def test_cooldown_uses_the_last_stop_failure_from_the_event_log(pipeline, store, clock):
    store.append(Event(EventKind.STOP_REJECTED, clock() - timedelta(minutes=5), "ATOMUSDT",
                       code=-2021, details={"final": False}))
    assert last_stop_failure_at(store, "ATOMUSDT") is None
    store.append(Event(EventKind.EMERGENCY_CLOSE, clock() - timedelta(minutes=10), "ATOMUSDT"))
    failed = last_stop_failure_at(store, "ATOMUSDT")
    assert failed == clock() - timedelta(minutes=10)
    assert last_stop_failure_at(store, "BTCUSDT") is None
    outcome = pipeline.decide(_signal(clock), lambda s: _market(last_stop_failure_at=failed))
    assert not outcome.allowed and outcome.rule == "stop_failure_cooldown"
