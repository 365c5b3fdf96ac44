"""Rule parameters as the dashboard form sends them: ``RuleBook.set_rule`` under random input.

Run against a real SQLite store. Promise checked: either a list of clear errors and
nothing saved (settings, audit trail and event log unchanged), or every value
saved, in range, read back as saved, and audited with the actor.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.decisions.rules.rulebook import PREFIX, RuleBook, default_rules
from bot.domain import EventKind
from bot.store import Store

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Book:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.rules = RuleBook(store, clock=lambda: NOW)

    def trace(self) -> tuple:
        """What a change leaves behind: stored values, audit rows, RULE_CHANGED events."""
        return (self.store.settings_with_prefix(PREFIX),
                [(a.key, a.old, a.new, a.actor) for a in self.store.audit_trail(100_000)],
                [e.id for e in self.store.events(kinds=[EventKind.RULE_CHANGED],
                                                 limit=100_000)])


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Iterator[Book]:
    path = tmp_path_factory.mktemp("rules") / "rules.db"
    store = Store(f"sqlite:///{path}", clock=lambda: NOW)
    try:
        yield Book(store)
    finally:
        store.close()


RULES = [rule.name for rule in default_rules()]
PARAM_NAMES = ["risk", "callback_rate", "limit", "floor_usdt", "minutes",
               "exception_confidence", "enabled", "", "LIMIT", "limit "]
RAW_VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["1", "2", "10", "11", "0", "-1", "0.5", "1.0", "0.0075", "0.05", "0.051",
                     "5", "5.01", "0.1", "0.09", "nan", "NaN", "inf", "-inf", "1e308", "1e309",
                     "1e-400", " 3 ", "+3", "٣", "1_0", "0x5", "3.0", "9" * 5000, "", "\x00",
                     "true", "None"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(), st.lists(st.integers(), max_size=2),
)
CHANGE = st.fixed_dictionaries({
    "name": st.one_of(st.sampled_from(RULES), st.sampled_from(RULES), st.text(max_size=10)),
    "enabled": st.one_of(st.none(), st.booleans()),
    "params": st.dictionaries(st.sampled_from(PARAM_NAMES), RAW_VALUES, max_size=3),
    "actor": st.one_of(st.sampled_from(["ops", "alice@desk"]), st.sampled_from(["", "  "]),
                       st.text(max_size=8)),
})


@FUZZ
@given(change=CHANGE)
def test_random_rule_change_when_set_then_errors_and_nothing_saved_or_all_saved(
        book: Book, change: dict):
    before_trace = book.trace()
    before_states = book.rules.states()
    errors = book.rules.set_rule(change["name"], change["enabled"], change["params"],
                                 change["actor"])
    assert isinstance(errors, list)
    if errors:
        assert all(isinstance(e, str) and e.strip() for e in errors), errors
        assert book.trace() == before_trace, change
        assert book.rules.states() == before_states
        return
    state = book.rules.states()[change["name"]]
    rule = next(r for r in book.rules.rules if r.name == change["name"])
    for key, raw in change["params"].items():
        spec = rule.spec(key)
        assert spec is not None
        value = state.params[key]
        assert value == spec.parse(raw)
        assert isinstance(value, spec.kind) and math.isfinite(value)
        assert spec.minimum is None or value >= spec.minimum
        assert spec.maximum is None or value <= spec.maximum
    if change["enabled"] is not None and rule.toggleable:
        assert state.enabled is change["enabled"]
    after = book.trace()
    new_audit = after[1][: len(after[1]) - len(before_trace[1])]
    assert all(actor == change["actor"] for *_, actor in new_audit), new_audit
    assert bool(new_audit) == bool(len(after[2]) - len(before_trace[2]))


def test_good_change_when_set_then_saved_audited_and_effective(book: Book):
    """The positive control for the property above."""
    errors = book.rules.set_rule("max_positions_per_symbol", True, {"limit": "3"}, "ops")
    assert errors == []
    assert book.rules.states()["max_positions_per_symbol"].params["limit"] == 3
    errors = book.rules.set_rule("max_positions_per_symbol", None, {"limit": "4"}, "ops")
    assert errors == []
    newest = book.store.audit_trail(1)[0]
    assert (newest.key, newest.old, newest.new, newest.actor) == (
        f"{PREFIX}max_positions_per_symbol.limit", "3", "4", "ops")


@pytest.mark.parametrize("params", [
    {"limit": "11"}, {"limit": "abc"}, {"limit": "nan"}, {"limit": "2.5"}, {"nope": "1"},
    {"limit": "3", "nope": "1"}, {"limit": "9" * 5000},
])
def test_bad_parameter_when_set_then_error_names_it_and_nothing_saved(book: Book, params):
    before = book.trace()
    errors = book.rules.set_rule("max_positions_per_symbol", None, params, "ops")
    assert errors and any(("limit" in e or "nope" in e) for e in errors), errors
    assert book.trace() == before


def test_kill_switch_rule_when_switched_off_then_refused(book: Book):
    before = book.trace()
    errors = book.rules.set_rule("kill_switch", False, {}, "ops")
    assert errors and "cannot be switched off" in errors[0]
    assert book.trace() == before


@pytest.mark.parametrize("enabled", ["maybe", "", 2.5, "sometimes"])
def test_non_boolean_enabled_when_set_then_refused_and_nothing_saved(tmp_path, enabled):
    store = Store(f"sqlite:///{tmp_path}/enabled.db", clock=lambda: NOW)
    try:
        book = Book(store)
        before = book.trace()
        errors = book.rules.set_rule("uptrend_short_block", enabled, {}, "ops")  # type: ignore[arg-type]
        assert errors, f"enabled={enabled!r} was accepted"
        assert book.trace() == before
    finally:
        store.close()
