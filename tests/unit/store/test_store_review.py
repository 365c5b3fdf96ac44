"""Signals with their decisions, paged and filtered; acknowledging every red flag at once."""

from __future__ import annotations

from decimal import Decimal

from bot.domain import Direction, Event, EventKind, Signal
from bot.domain.books import DecisionQuery
from bot.store import Store
from tests.unit.store.conftest import T0


def decide(store: Store, symbol: str, allowed: bool, rule: str, reason: str,
           direction: Direction = Direction.LONG) -> int:
    sid = store.save_signal(Signal(symbol, direction, 0.7, "webhook", T0,
                                   stop_price=Decimal("1.5")))
    return store.save_decision(sid, allowed, rule, reason,
                               Decimal("10") if allowed else None)


def test_review_decisions_when_filtered_then_signal_fields_and_total_of_matches(
    store: Store,
) -> None:
    decide(store, "BTCUSDT", False, "uptrend_short_block", "BTC UPTREND", Direction.SHORT)
    allowed = decide(store, "BTCUSDT", True, "filter", "9 rules passed")
    decide(store, "DOGEUSDT", False, "max_open_positions", "10 open (limit 10)")
    page = store.decisions_page(DecisionQuery(symbol="BTCUSDT", allowed=True))
    assert page.total == 1
    (view,) = page.decisions
    assert view.id == allowed and view.allowed and view.rule == "filter"
    assert view.symbol == "BTCUSDT" and view.direction is Direction.LONG
    assert view.confidence == 0.7 and view.source == "webhook" and view.signal_at == T0
    assert view.stop_price == Decimal("1.5") and view.quantity == Decimal("10")
    denied = store.decisions_page(DecisionQuery(allowed=False))
    assert [d.rule for d in denied.decisions] == ["max_open_positions", "uptrend_short_block"]
    assert store.decisions_page(DecisionQuery(rule="uptrend_short_block")).total == 1
    assert page.rules == ("filter", "max_open_positions", "uptrend_short_block")
    assert page.symbols == ("BTCUSDT", "DOGEUSDT")


def test_review_decisions_when_paged_then_newest_first_and_clamped(store: Store) -> None:
    made = [decide(store, "BTCUSDT", True, "filter", f"n{i}") for i in range(5)]
    assert [d.id for d in store.decisions_page(DecisionQuery(page=0, page_size=2)).decisions] \
        == [made[4], made[3]]
    last = store.decisions_page(DecisionQuery(page=7, page_size=2))
    assert last.page == 2 and [d.id for d in last.decisions] == [made[0]]


def _flag(store: Store, kind: EventKind = EventKind.STOP_REJECTED) -> int:
    event = store.append(Event(kind, T0, "DOGEUSDT", code=-2021, message="refused"))
    assert event.id is not None
    return event.id


def test_review_acknowledge_all_when_up_to_an_id_then_later_flags_stay_unacknowledged(
    store: Store,
) -> None:
    first, second = _flag(store), _flag(store, EventKind.EMERGENCY_CLOSE)
    store.append(Event(EventKind.MONITOR_CYCLE, T0))  # not a red flag: nothing to acknowledge
    store.acknowledge(first, "ops")
    late = _flag(store)
    assert store.acknowledge_all("ops", up_to_id=late - 1) == 1  # only `second` was pending
    assert store.unacknowledged_count() == 1
    assert {f.id: f.acknowledged for f in store.red_flags()} == {
        first: True, second: True, late: False}
    assert store.acknowledge_all("ops") == 1 and store.unacknowledged_count() == 0
