from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.decisions.killswitch import KillSwitch
from bot.domain import Event, EventKind, KillAction, KillState
from bot.store import Store

D = Decimal


@pytest.fixture
def switch(store, clock):
    return KillSwitch(store, clock=clock)


def test_a_fresh_switch_is_running(switch):
    assert switch.state == KillState.RUNNING and switch.entries_allowed


def test_halt_flatten_flat_resume_cycle_is_audited(switch, store):
    assert switch.halt("alice", "manual check").ok
    assert switch.state == KillState.HALTED and not switch.entries_allowed
    assert switch.flatten("alice").ok
    assert switch.state == KillState.FLATTENING
    assert switch.flatten_done().ok
    assert switch.state == KillState.HALTED
    assert switch.resume("bob", "all clear").ok
    assert switch.state == KillState.RUNNING

    events = store.events(kinds=[EventKind.KILL_SWITCH])
    assert [(e.details["previous"], e.details["state"], e.details["actor"]) for e in events] == [
        ("RUNNING", "HALTED", "alice"), ("HALTED", "FLATTENING", "alice"),
        ("FLATTENING", "HALTED", "system"), ("HALTED", "RUNNING", "bob")]
    trail = store.audit_trail(key_prefix="kill_switch")
    assert [(a.old, a.new, a.actor) for a in reversed(trail)] == [
        ("RUNNING", "HALTED", "alice"), ("HALTED", "FLATTENING", "alice"),
        ("FLATTENING", "HALTED", "system"), ("HALTED", "RUNNING", "bob")]


def test_flatten_works_straight_from_running(switch):
    assert switch.apply(KillAction.FLATTEN, "alice").ok
    assert switch.state == KillState.FLATTENING


def test_resume_while_flattening_is_refused_and_changes_nothing(switch, store):
    switch.flatten("alice")
    result = switch.resume("alice")
    assert not result.ok and "wait until flat" in result.errors[0]
    assert switch.state == KillState.FLATTENING
    assert store.count(EventKind.KILL_SWITCH) == 1


@pytest.mark.parametrize(("action", "state"), [
    (KillAction.HALT, KillState.HALTED), (KillAction.FLATTEN, KillState.FLATTENING)])
def test_repeating_an_action_is_a_harmless_no_op(switch, store, action, state):
    switch.apply(action, "alice")
    result = switch.apply(action, "alice")
    assert result.ok and result.message.startswith("already")
    assert switch.state == state and store.count(EventKind.KILL_SWITCH) == 1


def test_flatten_done_when_not_flattening_is_refused(switch):
    assert not switch.flatten_done().ok and switch.state == KillState.RUNNING


@pytest.mark.parametrize(("action", "actor", "message"), [
    ("EXPLODE", "alice", "unknown kill-switch action"), ("HALT", "", "actor"),
])
def test_bad_requests_change_nothing(switch, store, action, actor, message):
    result = switch.apply(action, actor)
    assert not result.ok and message in result.errors[0]
    assert switch.state == KillState.RUNNING and store.count(EventKind.KILL_SWITCH) == 0


def test_the_state_survives_a_restart(db_url, clock):
    with Store(db_url, clock=clock) as first:
        KillSwitch(first, clock).halt("alice", "going to lunch")
    with Store(db_url, clock=clock) as second:
        again = KillSwitch(second, clock)
        assert again.state == KillState.HALTED and again.reason == "going to lunch"
        assert again.record().actor == "alice"


# automatic trips -----------------------------------------------------------------
@pytest.mark.parametrize(("pnl", "tripped"), [("-29.99", False), ("-30", True), ("-45", True)])
def test_daily_loss_limit_trips_at_the_limit_of_the_days_starting_equity(switch, store, pnl,
                                                                         tripped):
    # the day started at 1 000: the equity now is what is left after the loss
    now = D("1000") + D(pnl)
    assert switch.check_daily_loss(D(pnl), equity=now, limit=D("0.03")) is tripped
    assert switch.state == (KillState.HALTED if tripped else KillState.RUNNING)
    if tripped:
        event = store.events(kinds=[EventKind.KILL_SWITCH])[-1]
        assert event.details["trigger"] == "daily_loss" and event.details["actor"] == "system"


def test_daily_loss_of_a_whole_limit_needs_the_whole_starting_equity(switch):
    """Against the equity left, losing half the account would be a 100 % daily loss."""
    assert not switch.check_daily_loss(D("-526768"), D("525482"), D("1"))
    assert switch.check_daily_loss(D("-526768"), D("525482"), D("0.5"))
    assert "of the day's starting equity 1052250.00" in switch.reason


def test_resuming_a_daily_loss_halt_holds_for_the_day_only(switch, clock):
    assert switch.check_daily_loss(D("-50"), D("1000"), D("0.03"))
    switch.resume("alice", "I accept the loss")
    assert not switch.check_daily_loss(D("-60"), D("1000"), D("0.03"))
    assert switch.state == KillState.RUNNING
    clock.advance(days=1)
    assert switch.check_daily_loss(D("-60"), D("1000"), D("0.03"))


def test_daily_loss_does_not_trip_an_engaged_switch_or_a_zero_limit(switch, store):
    assert not switch.check_daily_loss(D("-500"), D("1000"), D("0"))
    switch.halt("alice")
    assert not switch.check_daily_loss(D("-500"), D("1000"), D("0.03"))
    assert store.count(EventKind.KILL_SWITCH) == 1


def _emergency(store, at):
    store.append(Event(EventKind.EMERGENCY_CLOSE, at, "ATOMUSDT", code=-2021))


@pytest.mark.parametrize(("closes", "tripped"), [(2, False), (3, True)])
def test_red_flag_storm_trips_at_n_emergency_closes(switch, store, clock, closes, tripped):
    for i in range(closes):
        _emergency(store, clock() - timedelta(minutes=10 * i))
    assert switch.check_storm(threshold=3, window_s=3600) is tripped
    assert switch.state == (KillState.HALTED if tripped else KillState.RUNNING)


def test_storm_ignores_closes_outside_the_window(switch, store, clock):
    for minutes in (61, 62, 10, 5):
        _emergency(store, clock() - timedelta(minutes=minutes))
    assert not switch.check_storm(threshold=3, window_s=3600)


def test_storm_counts_only_closes_since_the_last_resume(switch, store, clock):
    for i in range(3):
        _emergency(store, clock() - timedelta(minutes=i))
    assert switch.check_storm(3, 3600)
    clock.advance(seconds=1)
    switch.resume("alice")
    clock.advance(seconds=1)
    assert not switch.check_storm(3, 3600)
    for _ in range(3):
        _emergency(store, clock())
    assert switch.check_storm(3, 3600)


def test_check_trips_reports_which_trip_fired(switch, store, clock):
    assert switch.check_trips(D("-10"), D("1000"), D("0.03"), 3, 3600) is None
    for _ in range(3):
        _emergency(store, clock())
    assert switch.check_trips(D("-10"), D("1000"), D("0.03"), 3, 3600) == "red_flag_storm"
    assert switch.state == KillState.HALTED


def test_realized_pnl_since_counts_only_trades_closed_in_the_window(clock):
    from types import SimpleNamespace

    from bot.decisions.killswitch import realized_pnl_since

    day = clock().replace(hour=0)
    trades = [
        SimpleNamespace(closed_at=day + timedelta(hours=1), pnl_usdt=D("-12.5")),
        SimpleNamespace(closed_at=day + timedelta(hours=2), pnl_usdt=D("4")),
        SimpleNamespace(closed_at=day - timedelta(minutes=1), pnl_usdt=D("-100")),
        SimpleNamespace(closed_at=None, pnl_usdt=None),
    ]
    assert realized_pnl_since(trades, day) == D("-8.5")
