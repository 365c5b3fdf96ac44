"""The audit trail of a rule change: its old value (a default too) and the operator's reason,
written once, through the control port as the dashboard calls it."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from bot.decisions.rules.rulebook import RuleBook
from bot.runtime.control import BotControl
from bot.store import Store


def test_audit_set_setting_when_never_stored_then_previous_default_is_the_old_value(
    store: Store,
) -> None:
    store.set_setting("rule.x.enabled", "false", "ops", previous="true", note="drill")
    store.set_setting("rule.x.enabled", "true", "ops", previous="ignored: a row exists")
    newest, first = store.audit_trail(limit=2)
    assert (first.old, first.new, first.note) == ("true", "false", "drill")
    assert (newest.old, newest.new, newest.note) == ("false", "true", "")


def test_audit_rulebook_when_default_replaced_then_old_value_and_reason_recorded(
    store: Store,
) -> None:
    rulebook = RuleBook(store)
    [limit] = [p for v in rulebook.views() if v.name == "max_positions_per_symbol"
               for p in v.params]
    assert rulebook.set_rule("max_positions_per_symbol", None, {limit.name: "3"}, "ops",
                             reason="night drill") == []
    [row] = store.audit_trail(limit=1)
    assert (row.old, row.new, row.note, row.actor) == (limit.value, "3", "night drill", "ops")


def test_audit_rule_switched_off_through_the_port_then_one_row_old_value_reason_one_line(
    store: Store, caplog,
) -> None:
    rulebook = RuleBook(store)
    control = BotControl(SimpleNamespace(c=SimpleNamespace(store=store, rulebook=rulebook)))
    with caplog.at_level(logging.INFO):
        result = control.set_rule("uptrend_short_block", False, {}, "ops", "regime feed down")
    assert result.ok
    (entry,) = store.audit_trail()
    assert (entry.key, entry.old, entry.new, entry.actor, entry.note) == (
        "rule.uptrend_short_block.enabled", "true", "false", "ops", "regime feed down")
    assert len([r for r in caplog.records if "uptrend_short_block" in r.getMessage()]) == 1
    assert control.audit_trail()[0].note == "regime feed down"
