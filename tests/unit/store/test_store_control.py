from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.domain import KillState
from bot.store import Store
from tests.unit.store.conftest import T0, StepClock


def test_set_setting_when_new_then_readable_and_audited(store: Store, clock: StepClock) -> None:
    assert store.get_setting("rule.short_block.enabled") is None
    store.set_setting("rule.short_block.enabled", "true", actor="alice")
    assert store.get_setting("rule.short_block.enabled") == "true"
    (row,) = store.audit_trail()
    assert (row.key, row.old, row.new, row.actor) == (
        "rule.short_block.enabled", None, "true", "alice")
    assert row.at == clock.now


def test_set_setting_when_unchanged_then_no_audit_row(store: Store) -> None:
    store.set_setting("k", "1", "alice")
    store.set_setting("k", "1", "bob")
    assert len(store.audit_trail()) == 1


def test_set_setting_when_changed_then_old_and_new_recorded_newest_first(store: Store) -> None:
    store.set_setting("k", "1", "alice")
    store.set_setting("k", "2", "bob")
    store.set_setting("other", "x", "carol")
    trail = store.audit_trail()
    assert [(a.key, a.old, a.new, a.actor) for a in trail] == [
        ("other", None, "x", "carol"), ("k", "1", "2", "bob"), ("k", None, "1", "alice")]
    assert trail[0].at > trail[1].at > trail[2].at
    assert [a.key for a in store.audit_trail(key_prefix="k")] == ["k", "k"]
    assert len(store.audit_trail(limit=1)) == 1


@pytest.mark.parametrize(
    ("key", "value", "actor", "error"),
    [("", "1", "alice", ValueError), ("k", 1, "alice", TypeError), ("k", "1", "", ValueError)],
)
def test_set_setting_when_bad_input_then_refused_and_nothing_changes(
    store: Store, key: str, value: object, actor: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        store.set_setting(key, value, actor)  # type: ignore[arg-type]
    assert store.audit_trail() == [] and store.settings_with_prefix("") == {}


def test_settings_with_prefix_treats_wildcards_literally(store: Store) -> None:
    store.set_setting("rule.max_pos.limit", "2", "a")
    store.set_setting("rule.max_pos.enabled", "true", "a")
    store.set_setting("ruleXmaxYpos", "9", "a")
    store.set_setting("other", "1", "a")
    assert store.settings_with_prefix("rule.max_pos.") == {
        "rule.max_pos.limit": "2", "rule.max_pos.enabled": "true"}
    assert store.settings_with_prefix("rule.max_") == {
        "rule.max_pos.limit": "2", "rule.max_pos.enabled": "true"}


def test_settings_survive_a_new_store(db_url: str) -> None:
    first = Store(db_url)
    first.set_setting("k", "v", "alice")
    first.close()
    second = Store(db_url)
    try:
        assert second.get_setting("k") == "v"
        assert [a.new for a in second.audit_trail()] == ["v"]
    finally:
        second.close()


def test_kill_state_defaults_to_running(store: Store) -> None:
    record = store.kill_state()
    assert record.state == KillState.RUNNING and record.at is None


def test_set_kill_state_when_halted_then_persisted_and_audited(db_url: str) -> None:
    first = Store(db_url, clock=StepClock())
    written = first.set_kill_state(KillState.HALTED, actor="alice", reason="manual")
    first.set_kill_state(KillState.FLATTENING, actor="bob", reason="flatten all")
    first.close()
    second = Store(db_url)
    try:
        now = second.kill_state()
        assert (now.state, now.actor, now.reason) == ("FLATTENING", "bob", "flatten all")
        assert written.state == "HALTED" and written.at == T0 + timedelta(seconds=1)
        trail = second.audit_trail(key_prefix="kill_switch")
        assert [(a.old, a.new, a.actor, a.note) for a in trail] == [
            ("HALTED", "FLATTENING", "bob", "flatten all"),
            ("RUNNING", "HALTED", "alice", "manual"),
        ]
    finally:
        second.close()


def test_set_kill_state_when_unknown_state_then_refused_and_unchanged(store: Store) -> None:
    store.set_kill_state(KillState.HALTED, "alice", "x")
    with pytest.raises(ValueError, match="kill state"):
        store.set_kill_state("PAUSED", "alice", "x")
    with pytest.raises(ValueError, match="actor"):
        store.set_kill_state(KillState.RUNNING, "", "x")
    assert store.kill_state().state == KillState.HALTED
    assert len(store.audit_trail()) == 1


# lease -------------------------------------------------------------------
def test_acquire_lease_when_free_then_ours_and_others_refused(store: Store) -> None:
    assert store.acquire_lease("acct", "bot-1", ttl_s=30, now=T0) is True
    assert store.acquire_lease("acct", "bot-1", ttl_s=30, now=T0 + timedelta(seconds=5)) is True
    assert store.acquire_lease("acct", "bot-2", ttl_s=30, now=T0 + timedelta(seconds=10)) is False
    holder = store.lease_holder("acct")
    assert holder is not None and holder.owner == "bot-1"
    assert holder.acquired_at == T0 and holder.expires_at == T0 + timedelta(seconds=35)
    assert store.lease_holder("other-acct") is None


def test_acquire_lease_when_expired_then_taken_over(store: Store) -> None:
    store.acquire_lease("acct", "bot-1", ttl_s=30, now=T0)
    later = T0 + timedelta(seconds=30)
    assert store.renew_lease("acct", "bot-2", 30, later) is False
    assert store.acquire_lease("acct", "bot-2", ttl_s=30, now=later) is True
    holder = store.lease_holder("acct")
    assert holder is not None and holder.owner == "bot-2" and holder.acquired_at == later
    assert store.renew_lease("acct", "bot-1", 30, later) is False


def test_renew_and_release_lease(store: Store) -> None:
    assert store.renew_lease("acct", "bot-1", 30, T0) is False
    store.acquire_lease("acct", "bot-1", ttl_s=30, now=T0)
    assert store.renew_lease("acct", "bot-1", 60, T0 + timedelta(seconds=20)) is True
    holder = store.lease_holder("acct")
    assert holder is not None and holder.expires_at == T0 + timedelta(seconds=80)
    store.release_lease("acct", "bot-2")  # not ours: no effect
    assert store.lease_holder("acct") is not None
    store.release_lease("acct", "bot-1")
    assert store.lease_holder("acct") is None
    assert store.acquire_lease("acct", "bot-2", ttl_s=30, now=T0 + timedelta(seconds=21)) is True


@pytest.mark.parametrize(("account", "owner", "ttl"), [("", "o", 1), ("a", "", 1), ("a", "o", 0)])
def test_acquire_lease_when_bad_input_then_refused(
    store: Store, account: str, owner: str, ttl: float
) -> None:
    with pytest.raises(ValueError):
        store.acquire_lease(account, owner, ttl, T0)
    assert store.lease_holder("a") is None


@pytest.mark.parametrize("held_before", [False, True], ids=["free", "expired"])
def test_acquire_lease_when_two_stores_race_then_exactly_one_wins(
    db_url: str, held_before: bool
) -> None:
    setup = Store(db_url)  # schema first, so the racers only race for the lease
    rounds, racers = 20, 4
    race_at = T0 + timedelta(minutes=5)
    for r in range(rounds):
        if held_before:
            setup.acquire_lease(f"acct-{r}", "crashed-bot", ttl_s=30, now=T0)
    setup.close()
    stores = [Store(db_url) for _ in range(racers)]
    try:
        for r in range(rounds):
            account = f"acct-{r}"
            barrier = threading.Barrier(racers)
            wins: list[str] = []
            errors: list[BaseException] = []
            lock = threading.Lock()

            def race(i: int, account: str = account, barrier: threading.Barrier = barrier,
                     wins: list[str] = wins, errors: list[BaseException] = errors,
                     lock: threading.Lock = lock) -> None:
                barrier.wait()
                try:
                    won = stores[i].acquire_lease(account, f"bot-{i}", ttl_s=30, now=race_at)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    with lock:
                        errors.append(exc)
                    return
                if won:
                    with lock:
                        wins.append(f"bot-{i}")

            threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            assert errors == []
            assert len(wins) == 1, f"round {r}: winners {wins}"
            holder = stores[0].lease_holder(account)
            assert holder is not None and holder.owner == wins[0]
    finally:
        for s in stores:
            s.close()
