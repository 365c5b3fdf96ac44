from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.decisions.rules import RuleBook, RuleContext, RuleDefaults, default_rules
from bot.domain import Direction, EventKind, Regime, Signal
from bot.store import Store
from tests.unit.decisions.builders import T0

BLOCKED_SHORT = RuleContext(
    signal=Signal("ATOMUSDT", Direction.SHORT, 0.5, "test", T0), now=T0,
    global_regime=Regime.UPTREND, local_trend=Regime.SIDEWAYS)


def _book(store, defaults=None):
    return RuleBook(store, default_rules(defaults), clock=lambda: T0)


def test_views_list_every_rule_in_order_with_defaults(store):
    views = _book(store).views()
    assert [v.name for v in views] == [
        "kill_switch", "stop_failure_cooldown", "opposite_position", "uptrend_short_block",
        "max_positions_per_symbol", "max_open_positions", "min_notional", "risk_per_trade",
        "trailing_stop"]
    by_name = {v.name: v for v in views}
    assert by_name["kill_switch"].toggleable is False and by_name["kill_switch"].enabled
    assert by_name["opposite_position"].toggleable is False
    assert by_name["uptrend_short_block"].enabled
    assert by_name["trailing_stop"].enabled is False
    limit = by_name["max_positions_per_symbol"].params[0]
    assert (limit.name, limit.value, limit.minimum, limit.maximum) == ("limit", "2", 1, 10)


def test_defaults_come_from_settings():
    settings = SimpleNamespace(max_positions_per_symbol=3, risk_per_trade=0.01,
                               trailing_enabled=True, trailing_callback_rate=0.5)
    d = RuleDefaults.from_settings(settings)
    assert (d.max_positions_per_symbol, d.risk_per_trade, d.trailing_enabled,
            d.trailing_callback_rate, d.short_exception_confidence) == (3, 0.01, True, 0.5, 0.85)


@pytest.mark.parametrize("rate", [7, 0.05, "abc"])
def test_an_invalid_trailing_rate_setting_turns_trailing_off_instead_of_failing(rate):
    d = RuleDefaults.from_settings(SimpleNamespace(trailing_enabled=True,
                                                   trailing_callback_rate=rate))
    assert d.trailing_enabled is False and d.trailing_callback_rate == 1.0


def test_disabling_the_short_block_is_audited_and_applies_to_the_next_evaluation(store):
    book = _book(store)
    assert not book.evaluate(BLOCKED_SHORT).allowed

    assert book.set_rule("uptrend_short_block", False, {}, actor="alice") == []

    assert book.evaluate(BLOCKED_SHORT).allowed
    trail = store.audit_trail(key_prefix="rule.")
    assert [(a.key, a.old, a.new, a.actor) for a in trail] == [
        ("rule.uptrend_short_block.enabled", "true", "false", "alice")]  # the default it replaced
    changed = store.events(kinds=[EventKind.RULE_CHANGED])
    assert len(changed) == 1
    assert changed[0].details["rule"] == "uptrend_short_block"
    assert changed[0].details["actor"] == "alice"
    assert changed[0].details["changes"] == {"enabled": {"old": "true", "new": "false"}}


def test_a_change_is_seen_by_another_rulebook_on_the_same_database(store, db_url):
    assert _book(store).set_rule("max_positions_per_symbol", None, {"limit": "1"}, "bob") == []
    with Store(db_url) as other:
        state = _book(other).states()["max_positions_per_symbol"]
    assert state.params["limit"] == 1 and state.enabled


@pytest.mark.parametrize(("name", "enabled", "params", "message"), [
    ("trailing_stop", True, {"callback_rate": "7"}, "callback_rate: 7 is out of range [0.1, 5]"),
    ("risk_per_trade", None, {"risk": "0.2"}, "risk: 0.2 is out of range [0.0001, 0.05]"),
    ("max_positions_per_symbol", None, {"limit": "-1"}, "limit: -1 is out of range [1, 10]"),
    ("max_positions_per_symbol", None, {"limit": "two"}, "limit: expected a whole number"),
    ("max_positions_per_symbol", None, {"cap": "3"}, "cap: unknown parameter"),
    ("kill_switch", False, {}, "kill_switch: cannot be switched off"),
    ("no_such_rule", True, {}, "unknown rule 'no_such_rule'"),
])
def test_invalid_changes_are_refused_with_a_clear_message_and_change_nothing(
        store, name, enabled, params, message):
    book = _book(store)
    before = book.states()
    errors = book.set_rule(name, enabled, params, actor="alice")
    assert len(errors) == 1 and errors[0].startswith(message), errors
    assert book.states() == before
    assert store.audit_trail() == []
    assert store.count(EventKind.RULE_CHANGED) == 0


def test_one_bad_param_among_good_ones_saves_nothing(store):
    book = _book(store)
    errors = book.set_rule("trailing_stop", True, {"callback_rate": "7"}, "alice")
    assert errors and book.states()["trailing_stop"].enabled is False
    errors = book.set_rule("uptrend_short_block", False,
                           {"exception_confidence": "1.2"}, "alice")
    assert errors == ["exception_confidence: 1.2 is out of range [0, 1]"]
    assert book.states()["uptrend_short_block"].enabled is True


def test_an_actor_is_required(store):
    assert _book(store).set_rule("uptrend_short_block", False, {}, actor=" ") == [
        "actor: who made the change is required"]


def test_setting_the_same_value_again_records_nothing(store):
    book = _book(store)
    assert book.set_rule("max_positions_per_symbol", True, {"limit": "2"}, "alice") == []
    assert store.audit_trail() == [] and store.count(EventKind.RULE_CHANGED) == 0


def test_a_corrupted_stored_value_falls_back_to_the_default(store):
    store.set_setting("rule.max_positions_per_symbol.limit", "banana", "dba")
    assert _book(store).states()["max_positions_per_symbol"].params["limit"] == 2


def test_disabled_rules_are_skipped_and_first_denial_wins(store):
    book = _book(store)
    ctx = RuleContext(signal=BLOCKED_SHORT.signal, now=T0, kill_state="HALTED",
                      global_regime=Regime.UPTREND)
    assert book.evaluate(ctx, "gate").rule == "kill_switch"
    assert book.evaluate(ctx).rule == "uptrend_short_block"
    assert book.evaluate(ctx, "sized").rule == "min_notional"  # no size yet


def test_duplicate_rule_names_are_refused(store):
    rules = default_rules()
    with pytest.raises(ValueError, match="duplicate"):
        RuleBook(store, rules + rules[:1])
