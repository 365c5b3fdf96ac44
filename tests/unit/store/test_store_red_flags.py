from __future__ import annotations

from datetime import timedelta

from bot.domain import RED_FLAG_KINDS, Event, EventKind, Severity
from bot.store import Store
from tests.unit.store.conftest import T0


def _seed(store: Store) -> dict[str, int]:
    stored = store.append_many([
        Event(EventKind.STOP_PLACED, T0, "BTCUSDT"),
        Event(EventKind.STOP_REJECTED, T0 + timedelta(seconds=1), "BTCUSDT", code=-2021,
              message="Order would immediately trigger."),
        Event(EventKind.TRAILING_DISABLED, T0 + timedelta(seconds=2), "ETHUSDT", code=-2007),
        Event(EventKind.EMERGENCY_CLOSE, T0 + timedelta(seconds=3), "ETHUSDT"),
        Event(EventKind.NAKED_PAST_GRACE, T0 + timedelta(seconds=4), "SOLUSDT"),
        Event(EventKind.MONITOR_CYCLE, T0 + timedelta(seconds=5)),
    ])
    return {e.kind.value: e.id for e in stored}


def test_red_flags_when_mixed_events_then_only_red_flag_kinds_newest_first(store: Store) -> None:
    ids = _seed(store)
    flags = store.red_flags()
    assert [f.id for f in flags] == [ids["NAKED_PAST_GRACE"], ids["EMERGENCY_CLOSE"],
                                     ids["TRAILING_DISABLED"], ids["STOP_REJECTED"]]
    assert [f.label for f in flags] == ["NAKED", "EMERGENCY CLOSE", "-2007", "-2021"]
    assert [f.severity for f in flags] == [
        Severity.CRITICAL, Severity.CRITICAL, Severity.WARNING, Severity.WARNING]
    assert flags[3].message == "Order would immediately trigger."
    assert flags[3].symbol == "BTCUSDT"
    assert not any(f.acknowledged for f in flags)
    assert store.unacknowledged_count() == 4
    assert len(store.red_flags(limit=2)) == 2


def test_every_red_flag_kind_is_listed(store: Store) -> None:
    store.append_many([Event(kind, T0) for kind in RED_FLAG_KINDS])
    assert {f.severity for f in store.red_flags(limit=100)} == set(RED_FLAG_KINDS.values())
    assert store.unacknowledged_count() == len(RED_FLAG_KINDS)


def test_acknowledge_when_red_flag_then_marked_and_counted_out(store: Store) -> None:
    ids = _seed(store)
    assert store.acknowledge(ids["EMERGENCY_CLOSE"], "alice") is True
    assert store.acknowledge(ids["EMERGENCY_CLOSE"], "bob") is True  # idempotent
    assert store.unacknowledged_count() == 3
    by_id = {f.id: f for f in store.red_flags()}
    assert by_id[ids["EMERGENCY_CLOSE"]].acknowledged is True
    open_only = store.red_flags(include_acknowledged=False)
    assert ids["EMERGENCY_CLOSE"] not in {f.id for f in open_only} and len(open_only) == 3


def test_acknowledge_when_not_a_red_flag_or_unknown_then_false_and_nothing_changes(
    store: Store,
) -> None:
    ids = _seed(store)
    assert store.acknowledge(ids["STOP_PLACED"], "alice") is False
    assert store.acknowledge(999_999, "alice") is False
    assert store.unacknowledged_count() == 4


def test_acknowledgement_survives_a_new_store(db_url: str) -> None:
    first = Store(db_url)
    ids = _seed(first)
    first.acknowledge(ids["NAKED_PAST_GRACE"], "alice")
    first.close()
    second = Store(db_url)
    try:
        assert second.unacknowledged_count() == 3
        assert {f.id for f in second.red_flags() if f.acknowledged} == {ids["NAKED_PAST_GRACE"]}
    finally:
        second.close()
