from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect

from bot.domain import Event, EventKind
from bot.store import Store
from tests.unit.store.conftest import T0


def ev(kind: EventKind, minutes: float = 0, symbol: str | None = "BTCUSDT", **kw) -> Event:
    return Event(kind=kind, at=T0 + timedelta(minutes=minutes), symbol=symbol, **kw)


def test_append_when_stored_then_ids_increase_and_fields_round_trip(store: Store) -> None:
    first = store.append(
        ev(EventKind.STOP_PLACED, symbol="ATOMUSDT", code=None, message="placed",
           latency_ms=3.25, details={"trigger": Decimal("2.534"), "side": "BUY", "n": 2})
    )
    second = store.append(ev(EventKind.STOP_KEPT, 1))
    assert first.id is not None and second.id == first.id + 1
    got = store.events()
    assert [e.id for e in got] == [first.id, second.id]
    assert got[0].kind is EventKind.STOP_PLACED
    assert got[0].symbol == "ATOMUSDT"
    assert got[0].latency_ms == 3.25
    assert got[0].message == "placed"
    assert got[0].at == T0 and got[0].at.tzinfo is not None
    # Decimal details come back as their exact text, never a float
    assert got[0].details == {"trigger": "2.534", "side": "BUY", "n": 2}
    assert store.last_event_id() == second.id


def test_append_when_time_has_other_offset_then_returned_in_utc(store: Store) -> None:
    plus2 = datetime(2026, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    store.append(Event(EventKind.LEASE, at=plus2))
    (got,) = store.events()
    assert got.at == T0 and got.at.utcoffset() == timedelta(0)


def test_append_when_naive_datetime_then_refused_and_nothing_stored(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.append(Event(EventKind.LEASE, at=datetime(2026, 1, 1)))
    assert store.events() == []


def test_append_many_when_one_is_bad_then_none_is_stored(store: Store) -> None:
    good = ev(EventKind.STOP_KEPT)
    bad = Event(EventKind.STOP_KEPT, at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        store.append_many([good, bad])
    assert store.events() == [] and store.last_event_id() == 0


def test_append_many_when_batch_then_ids_in_given_order(store: Store) -> None:
    batch = [ev(EventKind.MONITOR_CYCLE, i, details={"i": i}) for i in range(50)]
    stored = store.append_many(batch)
    assert [e.details["i"] for e in stored] == list(range(50))
    ids = [e.id for e in stored]
    assert ids == sorted(ids) and len(set(ids)) == 50
    assert [e.details["i"] for e in store.events()] == list(range(50))
    assert store.append_many([]) == []


def test_events_filters_combine(store: Store) -> None:
    store.append_many([
        ev(EventKind.STOP_PLACED, 0, "BTCUSDT"),
        ev(EventKind.STOP_REJECTED, 1, "BTCUSDT", code=-2021),
        ev(EventKind.STOP_PLACED, 2, "ETHUSDT"),
        ev(EventKind.EMERGENCY_CLOSE, 3, "ETHUSDT"),
        ev(EventKind.STOP_PLACED, 4, "BTCUSDT"),
    ])
    kinds = [EventKind.STOP_PLACED]
    assert [e.at for e in store.events(kinds=kinds)] == [
        T0 + timedelta(minutes=m) for m in (0, 2, 4)]
    assert [e.kind for e in store.events(symbol="ETHUSDT")] == [
        EventKind.STOP_PLACED, EventKind.EMERGENCY_CLOSE]
    window = store.events(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
    assert [e.at for e in window] == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    newest = store.events(limit=2, newest_first=True)
    assert [e.at for e in newest] == [T0 + timedelta(minutes=4), T0 + timedelta(minutes=3)]
    all_ids = [e.id for e in store.events()]
    assert [e.id for e in store.events(after_id=all_ids[2])] == all_ids[3:]
    assert store.events(kinds=kinds, symbol="BTCUSDT", since=T0 + timedelta(minutes=1))[0].at == (
        T0 + timedelta(minutes=4))


def test_count_by_kind_code_detail_and_time(store: Store) -> None:
    store.append_many([
        ev(EventKind.DECISION_DENIED, 0, details={"rule": "uptrend_short_block"}),
        ev(EventKind.DECISION_DENIED, 1, details={"rule": "uptrend_short_block"}),
        ev(EventKind.DECISION_DENIED, 2, details={"rule": "max_positions_per_symbol"}),
        ev(EventKind.STOP_REJECTED, 3, code=-2021),
        ev(EventKind.STOP_REJECTED, 4, code=-4142),
        ev(EventKind.STOP_REJECTED, 5, code=-2021),
    ])
    assert store.count(EventKind.DECISION_DENIED) == 3
    assert store.count(EventKind.DECISION_DENIED, detail=("rule", "uptrend_short_block")) == 2
    assert store.count(EventKind.DECISION_DENIED, detail=("rule", "nope")) == 0
    assert store.count(EventKind.DECISION_DENIED, since=T0 + timedelta(minutes=1)) == 2
    assert store.count(EventKind.STOP_REJECTED, code=-2021) == 2
    assert store.counts_by_code(EventKind.STOP_REJECTED) == {-2021: 2, -4142: 1}
    assert store.count(EventKind.EMERGENCY_CLOSE) == 0


def test_latency_percentiles_are_nearest_rank(store: Store) -> None:
    values = [float(v) for v in (7, 1, 9, 3, 5, 2, 8, 4, 6, 10)]
    store.append_many([ev(EventKind.STOP_PLACED, i, latency_ms=v) for i, v in enumerate(values)])
    store.append(ev(EventKind.STOP_PLACED, 20))  # no latency: ignored
    got = store.latency_percentiles(EventKind.STOP_PLACED, (50, 99, 100, 10))
    assert got == [5.0, 10.0, 10.0, 1.0]
    assert store.latency_percentiles(EventKind.EMERGENCY_CLOSE, (50,)) == [None]
    with pytest.raises(ValueError, match="percentile"):
        store.latency_percentiles(EventKind.STOP_PLACED, (0,))


def test_events_when_new_store_on_same_file_then_still_there(db_url: str) -> None:
    first = Store(db_url)
    stored = first.append(ev(EventKind.POSITION_ADOPTED, details={"qty": "0.010"}))
    first.close()
    second = Store(db_url)
    try:
        assert second.events() == [replace(stored, details={"qty": "0.010"})]
        assert second.last_event_id() == stored.id
    finally:
        second.close()


def test_schema_has_indexes_for_dashboard_reads(store: Store) -> None:
    indexes = {tuple(ix["column_names"]) for ix in inspect(store.engine).get_indexes("events")}
    assert ("kind", "at") in indexes and ("symbol", "at") in indexes


def test_store_when_sqlite_file_in_missing_folder_then_folder_created(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "q.db"
    s = Store(f"sqlite:///{target}")
    try:
        s.append(ev(EventKind.LEASE))
        assert target.exists()
    finally:
        s.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_store_sqlite_runs_in_wal_mode(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar()) >= 1000


def test_append_when_kind_is_plain_string_then_refused(store: Store) -> None:
    with pytest.raises(TypeError):
        store.append(Event(kind="STOP_PLACED", at=T0))  # type: ignore[arg-type]
    assert store.last_event_id() == 0


def test_event_at_is_utc(store: Store) -> None:
    store.append(ev(EventKind.LEASE))
    assert store.events()[0].at.tzinfo == UTC


def test_append_when_details_not_json_then_refused_and_nothing_stored(store: Store) -> None:
    with pytest.raises(TypeError, match="object"):
        store.append_many([ev(EventKind.STOP_KEPT),
                           ev(EventKind.STOP_KEPT, details={"x": object()})])
    assert store.last_event_id() == 0


def test_events_of_kinds_and_symbol_when_symbol_busy_then_read_by_kind(store: Store) -> None:
    """The cooldown's "last stop failure" and the chart's fills ask for a rare kind on one
    symbol: on SQLite that is read through the kind index, not every event of the symbol."""
    store.append_many([ev(EventKind.STOP_KEPT, i, "ETHUSDT") for i in range(30)] + [
        ev(EventKind.STOP_REJECTED, 31, "ETHUSDT", details={"final": True}),
        ev(EventKind.EMERGENCY_CLOSE, 32, "BTCUSDT"),
        ev(EventKind.EMERGENCY_CLOSE, 33, None),
        ev(EventKind.EMERGENCY_CLOSE, 34, "ETHUSDT"),
    ])
    kinds = [EventKind.EMERGENCY_CLOSE, EventKind.STOP_REJECTED]
    got = store.events(kinds=kinds, symbol="ETHUSDT", limit=20, newest_first=True)
    assert [(e.kind, e.at) for e in got] == [
        (EventKind.EMERGENCY_CLOSE, T0 + timedelta(minutes=34)),
        (EventKind.STOP_REJECTED, T0 + timedelta(minutes=31))]
    assert store.events(kinds=kinds, symbol="XRPUSDT") == []
    if store.engine.dialect.name == "sqlite":
        sent: list[tuple[str, Any]] = []

        def capture(conn, cursor, statement, parameters, context, executemany) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                sent.append((statement, parameters))

        event.listen(store.engine, "before_cursor_execute", capture)
        try:
            store.events(kinds=kinds, symbol="ETHUSDT", limit=20, newest_first=True)
        finally:
            event.remove(store.engine, "before_cursor_execute", capture)
        [(statement, parameters)] = sent
        with store.engine.connect() as conn:
            plan = " ".join(str(r) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
        assert "ix_events_kind_at" in plan and "ix_events_symbol_at" not in plan
