from __future__ import annotations

import threading
from datetime import timedelta

from bot.domain import Event, EventKind
from bot.store import Store
from tests.unit.store.conftest import T0


def test_appends_and_settings_from_many_threads_lose_nothing(db_url: str) -> None:
    store = Store(db_url)
    other = Store(db_url)  # a second object on the same file, as a second process would
    threads_n, per_thread = 4, 100
    errors: list[BaseException] = []

    def work(i: int) -> None:
        target = store if i % 2 else other
        try:
            for j in range(per_thread):
                target.append(Event(EventKind.MONITOR_CYCLE, T0 + timedelta(seconds=j),
                                    details={"thread": i, "j": j}))
                target.set_setting(f"t{i}", str(j), actor=f"thread-{i}")
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        got = store.events()
        assert len(got) == threads_n * per_thread
        assert len({e.id for e in got}) == len(got)
        for i in range(threads_n):
            mine = [e.details["j"] for e in got if e.details["thread"] == i]
            assert mine == list(range(per_thread))
            assert store.get_setting(f"t{i}") == str(per_thread - 1)
        assert len(store.audit_trail(limit=10_000)) == threads_n * per_thread
    finally:
        store.close()
        other.close()


def test_first_writes_of_one_new_setting_from_two_stores_keep_one_audit_chain(
    db_url: str,
) -> None:
    """The row does not exist yet, so there is nothing for SELECT ... FOR UPDATE to lock."""
    stores = [Store(db_url), Store(db_url)]
    racers, rounds = 6, 5
    errors: list[BaseException] = []
    try:
        for r in range(rounds):
            key = f"rule.new.{r}"
            barrier = threading.Barrier(racers)

            def race(i: int, key: str = key, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                try:
                    stores[i % 2].set_setting(key, f"v{i}", actor=f"op-{i}")
                except BaseException as exc:  # noqa: BLE001 - asserted below
                    errors.append(exc)

            threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            assert errors == []
            chain = sorted(stores[0].audit_trail(limit=100, key_prefix=key), key=lambda a: a.id)
            assert len(chain) == racers
            assert chain[0].old is None
            assert [a.old for a in chain[1:]] == [a.new for a in chain[:-1]]
            assert stores[1].get_setting(key) == chain[-1].new
    finally:
        for s in stores:
            s.close()
