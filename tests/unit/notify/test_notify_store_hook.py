"""The hook the runtime uses: every event the store appends is also handed to subscribers,
after the commit, and a failing subscriber never undoes or blocks the write."""

from __future__ import annotations

from bot.domain import Event, EventKind
from bot.store import Store
from tests.unit.notify.fakes import event


def test_append_when_subscribed_then_listener_gets_stored_events_with_ids(tmp_path):
    got: list[Event] = []
    with Store(f"sqlite:///{tmp_path}/qs.db") as store:
        store.subscribe(got.append)
        store.append(event(EventKind.NAKED_PAST_GRACE))
        store.append_many([event(EventKind.STOP_KEPT), event(EventKind.EMERGENCY_CLOSE)])
        assert [e.kind for e in got] == [EventKind.NAKED_PAST_GRACE, EventKind.STOP_KEPT,
                                         EventKind.EMERGENCY_CLOSE]
        assert [e.id for e in got] == [e.id for e in store.events()]


def test_append_when_listener_raises_then_event_stored_and_next_listener_called(tmp_path):
    got: list[Event] = []

    def broken(_event: Event) -> None:
        raise RuntimeError("listener bug")

    with Store(f"sqlite:///{tmp_path}/qs.db") as store:
        store.subscribe(broken)
        store.subscribe(got.append)
        stored = store.append(event(EventKind.NAKED_PAST_GRACE))
        assert stored.id is not None and len(store.events()) == 1 and len(got) == 1


def test_append_when_nobody_subscribed_then_other_stores_unaffected(tmp_path):
    got: list[Event] = []
    with Store(f"sqlite:///{tmp_path}/a.db") as a, Store(f"sqlite:///{tmp_path}/b.db") as b:
        a.subscribe(got.append)
        b.append(event(EventKind.NAKED_PAST_GRACE))
        assert got == []
