from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.decisions.rules.base import ParamSpec, RuleContext
from bot.decisions.rules.kill_switch import KillSwitchRule
from bot.decisions.rules.max_open_positions import MaxOpenPositions
from bot.decisions.rules.max_positions_per_symbol import MaxPositionsPerSymbol
from bot.decisions.rules.min_notional import MinNotional
from bot.decisions.rules.opposite_position import OppositePositionBlock
from bot.decisions.rules.stop_failure_cooldown import StopFailureCooldown
from bot.decisions.rules.uptrend_short_block import UptrendShortBlock
from bot.domain import Direction, KillState, Regime, Signal
from tests.unit.decisions.builders import T0


def _ctx(direction=Direction.SHORT, confidence=0.9, **fields):
    signal = Signal("ATOMUSDT", direction, confidence, "test", T0)
    return RuleContext(signal=signal, now=T0, **fields)


def _run(rule, ctx, **params):
    return rule.evaluate(ctx, {**rule.defaults, **params})


# kill switch -------------------------------------------------------------
@pytest.mark.parametrize(("state", "allowed"), [
    (KillState.RUNNING, True), (KillState.HALTED, False), (KillState.FLATTENING, False),
])
def test_kill_switch_rule_denies_while_engaged(state, allowed):
    verdict = _run(KillSwitchRule(), _ctx(kill_state=state))
    assert verdict.allowed is allowed and verdict.rule == "kill_switch"
    if not allowed:
        assert state in verdict.reason


def test_kill_switch_rule_cannot_be_defaulted_off():
    assert KillSwitchRule(enabled=False).default_enabled is True


# opposite position -----------------------------------------------------------
@pytest.mark.parametrize(("held", "direction", "allowed"), [
    (None, Direction.LONG, True), (None, Direction.SHORT, True),
    (Direction.LONG, Direction.LONG, True), (Direction.SHORT, Direction.SHORT, True),
    (Direction.LONG, Direction.SHORT, False), (Direction.SHORT, Direction.LONG, False),
])
def test_opposite_position_rule_denies_an_entry_against_the_open_position(held, direction,
                                                                           allowed):
    verdict = _run(OppositePositionBlock(), _ctx(direction=direction, position_direction=held))
    assert verdict.allowed is allowed and verdict.rule == "opposite_position"
    if not allowed:
        assert "reduce or flip" in verdict.reason and held.value in verdict.reason


def test_opposite_position_rule_cannot_be_defaulted_off():
    assert OppositePositionBlock(enabled=False).default_enabled is True


# uptrend short block -------------------------------------------------------
@pytest.mark.parametrize(("local", "confidence", "allowed"), [
    (Regime.DOWNTREND, 0.85, True),      # exception exactly at the threshold
    (Regime.DOWNTREND, 0.849, False),    # just below
    (Regime.DOWNTREND, 1.0, True),
    (Regime.SIDEWAYS, 0.99, False),      # local trend not down
    (Regime.UPTREND, 0.99, False),
    (None, 0.99, False),                 # local trend unknown
])
def test_short_block_in_global_uptrend_and_its_exception(local, confidence, allowed):
    ctx = _ctx(confidence=confidence, global_regime=Regime.UPTREND, local_trend=local)
    verdict = _run(UptrendShortBlock(), ctx)
    assert verdict.allowed is allowed, verdict.reason
    assert verdict.rule == "uptrend_short_block"


@pytest.mark.parametrize("regime", [Regime.DOWNTREND, Regime.SIDEWAYS])
def test_short_block_lets_shorts_through_outside_an_uptrend(regime):
    ctx = _ctx(confidence=0.1, global_regime=regime, local_trend=Regime.UPTREND)
    assert _run(UptrendShortBlock(), ctx).allowed


@pytest.mark.parametrize("local", [Regime.DOWNTREND, None])
def test_short_block_when_global_regime_unknown_then_short_denied_even_with_exception(local):
    ctx = _ctx(confidence=1.0, global_regime=None, local_trend=local)
    verdict = _run(UptrendShortBlock(), ctx)
    assert not verdict.allowed and "regime unknown" in verdict.reason


def test_short_block_when_global_regime_unknown_then_longs_still_allowed():
    assert _run(UptrendShortBlock(), _ctx(Direction.LONG, global_regime=None)).allowed


def test_short_block_never_touches_longs():
    ctx = _ctx(Direction.LONG, confidence=0.1, global_regime=Regime.UPTREND)
    assert _run(UptrendShortBlock(), ctx).allowed


def test_short_block_threshold_is_a_parameter():
    ctx = _ctx(confidence=0.7, global_regime=Regime.UPTREND, local_trend=Regime.DOWNTREND)
    assert not _run(UptrendShortBlock(), ctx).allowed
    assert _run(UptrendShortBlock(), ctx, exception_confidence=0.7).allowed
    assert UptrendShortBlock(exception_confidence=0.7).defaults["exception_confidence"] == 0.7


# positions -------------------------------------------------------------------
@pytest.mark.parametrize(("entries", "allowed"), [(0, True), (1, True), (2, False), (3, False)])
def test_max_positions_per_symbol_default_two(entries, allowed):
    verdict = _run(MaxPositionsPerSymbol(), _ctx(entries_on_symbol=entries))
    assert verdict.allowed is allowed
    assert verdict.rule == "max_positions_per_symbol"


def test_max_positions_per_symbol_limit_one():
    assert not _run(MaxPositionsPerSymbol(), _ctx(entries_on_symbol=1), limit=1).allowed


@pytest.mark.parametrize(("open_count", "has_position", "allowed"), [
    (9, False, True), (10, False, False), (10, True, True), (19, True, True),
])
def test_max_open_positions_counts_new_symbols_only(open_count, has_position, allowed):
    ctx = _ctx(open_positions=open_count, symbol_has_position=has_position)
    assert _run(MaxOpenPositions(), ctx).allowed is allowed


# minimum notional ----------------------------------------------------------------
@pytest.mark.parametrize(("qty", "floor", "allowed"), [
    ("2", 0.0, True),      # 2 x 2.5 = 5.0 == exchange minimum 5
    ("1.99", 0.0, False),  # 4.975 < 5
    ("4", 10.0, True),     # 10.0 == operator floor
    ("3.99", 10.0, False),
])
def test_min_notional_is_the_larger_of_exchange_and_floor(qty, floor, allowed):
    ctx = _ctx(quantity=Decimal(qty), entry_price=Decimal("2.5"),
               exchange_min_notional=Decimal("5"))
    assert _run(MinNotional(), ctx, floor_usdt=floor).allowed is allowed


def test_min_notional_denies_when_sizing_did_not_run():
    assert not _run(MinNotional(), _ctx()).allowed
    assert MinNotional.stage == "sized" and KillSwitchRule.stage == "gate"


# stop failure cooldown -----------------------------------------------------------
@pytest.mark.parametrize(("ago", "allowed"), [
    (timedelta(minutes=59, seconds=59), False), (timedelta(minutes=60), True),
    (timedelta(hours=5), True),
])
def test_cooldown_after_a_failed_stop(ago, allowed):
    ctx = _ctx(last_stop_failure_at=T0 - ago)
    verdict = _run(StopFailureCooldown(), ctx)
    assert verdict.allowed is allowed, verdict.reason


def test_cooldown_without_failures_allows_and_zero_minutes_disables():
    assert _run(StopFailureCooldown(), _ctx()).allowed
    assert _run(StopFailureCooldown(), _ctx(last_stop_failure_at=T0), minutes=0).allowed


# parameters ------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "message"), [
    ("-1", r"out of range \[1, 20\]"), ("21", "out of range"), ("two", "whole number"),
    ("1.5", "whole number"), ("", "whole number"),
])
def test_int_param_refuses_bad_text(raw, message):
    spec = ParamSpec("limit", int, 2, 1, 20)
    with pytest.raises(ValueError, match=message):
        spec.parse(raw)


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf"])
def test_float_param_refuses_non_finite(raw):
    with pytest.raises(ValueError, match="finite"):
        ParamSpec("rate", float, 1.0).parse(raw)


def test_bool_param_and_views():
    spec = ParamSpec("on", bool, False)
    assert spec.parse("TRUE") is True and spec.parse("off") is False
    with pytest.raises(ValueError, match="true or false"):
        spec.parse("maybe")
    view = ParamSpec("limit", int, 2, 1, 20, "help").view(3)
    assert (view.name, view.value, view.kind, view.minimum, view.maximum) == (
        "limit", "3", "int", 1, 20)


def test_rule_refuses_unknown_or_invalid_defaults():
    with pytest.raises(ValueError, match="unknown parameter"):
        MaxPositionsPerSymbol(cap=3)
    with pytest.raises(ValueError, match="out of range"):
        MaxPositionsPerSymbol(limit=-1)
