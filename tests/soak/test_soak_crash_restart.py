"""SIGKILL the bot at its worst moments, restart it on the same database and venue, and
check the invariant after one monitor cycle, the kill switch and the event log."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from bench.soak.event_match import lost_events
from bot.decisions.killswitch import KillSwitch
from bot.domain import EventKind, KillState
from bot.paper.model import AlgoRequest, OrderRequest, OrderType, Side, WorkingType
from bot.store import Store
from tests.fixtures.paper import eventually
from tests.soak.crash_rig import (
    TOKEN,
    audit,
    client_actions,
    coverage,
    ledger,
    start_bot,
    start_venue,
)

pytestmark = pytest.mark.timeout(120)
CYCLE_S = 1.0


@pytest.fixture
def venue():
    paper = start_venue()
    yield paper
    paper.stop()


@pytest.fixture
def rig(venue, tmp_path):
    started = []
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"

    def launch():
        bot = start_bot(venue, db_url, tmp_path / "bot.log")
        started.append(bot)
        return bot

    yield launch, db_url
    for bot in started:
        bot.stop()


def _store_events(db_url: str):
    store = Store(db_url)
    try:
        return store.events(), store.kill_state().state
    finally:
        store.close()


def _open_outside(paper, symbol: str, side: Side, qty: Decimal) -> None:
    """A position the bot did not open (a previous run, a human): it must adopt it."""
    paper.engine.place_order(OrderRequest(symbol, side, OrderType.MARKET, qty), actor="control")


def _wait_covered(paper, symbols, timeout=CYCLE_S * 3 + 2):
    def ok():
        cov = coverage(paper)
        return all(s in cov and cov[s][1] for s in symbols)
    eventually(ok, timeout=timeout, message=f"{symbols} covered")


def test_crash_when_killed_between_entry_and_stop_then_restart_protects_within_a_cycle(
        venue, rig):
    launch, db_url = rig
    bot = launch()
    # the stop request hangs (and never reaches the engine): the kill lands in that window
    venue.control.inject_fault("POST", "/fapi/v1/algoOrder", kind="timeout", delay_s=8.0)
    mark = Decimal(venue.control.state()["prices"]["BTCUSDT"]["mark"])
    answer = requests.post(bot.webhook, headers={"X-QT-Token": TOKEN}, timeout=5, json={
        "symbol": "BTCUSDT", "side": "BUY", "confidence": 0.9,
        "stop": str((mark * Decimal("0.98")).quantize(Decimal("0.1")))})
    assert answer.status_code == 202, answer.text
    eventually(lambda: [e for e in ledger(venue) if e["action"] == "FILLED"
                        and (e["clientId"] or "").startswith("qs-en-BTC")],
               timeout=10, message="entry filled")
    eventually(lambda: not venue.control.faults.pending(), timeout=5,
               message="stop request in flight")
    bot.kill()
    cov = coverage(venue)
    assert cov["BTCUSDT"][1] is False  # naked: the process died before its stop
    before = ledger(venue)[-1]["id"]

    launch()  # reconciles before READY
    _wait_covered(venue, ["BTCUSDT"], timeout=CYCLE_S + 1)
    eventually(lambda: coverage(venue)["BTCUSDT"][2] == 1, timeout=CYCLE_S * 2,
               message="exactly one covering stop")
    assert len(client_actions(venue, before, "PLACED", "algo", "BTCUSDT")) == 1  # no duplicate
    events, kill = _store_events(db_url)
    assert kill == KillState.RUNNING
    kinds = {e.kind for e in events if e.symbol == "BTCUSDT"}
    assert EventKind.POSITION_ADOPTED in kinds and EventKind.STOP_PLACED in kinds
    lost = lost_events(ledger(venue), events)
    assert [x.action for x in lost] == ["entry"]  # only the entry the kill swallowed
    a = audit(venue)
    assert a.cancel_breaches == []
    assert [s.ended_by for s in a.spans if s.symbol == "BTCUSDT"] == ["monitor"]


def test_crash_when_killed_during_make_before_break_then_covered_and_not_duplicated(
        venue, rig):
    launch, db_url = rig
    bot = launch()
    venue.control.inject_fault("DELETE", "/fapi/v1/algoOrder", kind="timeout", delay_s=8.0)
    engine = venue.engine
    with engine.lock:  # a position with a stop for half of it: the monitor must replace it
        _open_outside(venue, "ETHUSDT", Side.BUY, Decimal("0.100"))
        mark = engine.mark["ETHUSDT"]
        engine.place_algo(AlgoRequest(
            "ETHUSDT", Side.SELL, OrderType.STOP_MARKET, quantity=Decimal("0.050"),
            trigger_price=(mark * Decimal("0.97")).quantize(Decimal("0.01")),
            working_type=WorkingType.MARK_PRICE, reduce_only=True,
            client_algo_id="outside-partial-1"), actor="control")
    # make: the new full stop is placed; break: its cancel of the partial one hangs
    eventually(lambda: client_actions(venue, 0, "PLACED", "algo", "ETHUSDT"), timeout=10,
               message="replacement stop placed")
    eventually(lambda: not venue.control.faults.pending(), timeout=5,
               message="cancel in flight")
    bot.kill()
    assert coverage(venue)["ETHUSDT"][1] is True  # the new stop came first
    before = ledger(venue)[-1]["id"]

    launch()
    _wait_covered(venue, ["ETHUSDT"], timeout=CYCLE_S + 1)
    _wait_one_cycle(db_url)
    assert coverage(venue)["ETHUSDT"] == (Decimal("0.100"), True, 1)
    assert client_actions(venue, before, "PLACED", "algo", "ETHUSDT") == []  # no duplicate
    a = audit(venue)
    assert a.cancel_breaches == []
    assert [s for s in a.spans if s.cause == "bot_cancel"] == []
    _, kill = _store_events(db_url)
    assert kill == KillState.RUNNING


def _cycles(db_url: str) -> int:
    store = Store(db_url)
    try:
        return store.count(EventKind.MONITOR_CYCLE)
    finally:
        store.close()


def _wait_one_cycle(db_url: str) -> None:
    seen = _cycles(db_url)
    eventually(lambda: _cycles(db_url) > seen, timeout=CYCLE_S * 3, message="a monitor cycle")


def test_crash_when_killed_during_flatten_then_restart_finishes_it_and_stays_halted(
        venue, rig):
    launch, db_url = rig
    bot = launch()
    with venue.engine.lock:
        _open_outside(venue, "BTCUSDT", Side.BUY, Decimal("0.010"))
        _open_outside(venue, "SOLUSDT", Side.SELL, Decimal("5"))
    _wait_covered(venue, ["BTCUSDT", "SOLUSDT"])
    # the first market close hangs and never arrives: the kill lands mid-FLATTEN
    venue.control.inject_fault("POST", "/fapi/v1/order", kind="timeout", delay_s=8.0)
    store = Store(db_url)
    try:
        assert KillSwitch(store).flatten("crash-test", "soak crash test").ok
    finally:
        store.close()
    eventually(lambda: not venue.control.faults.pending(), timeout=CYCLE_S * 4,
               message="flatten close in flight")
    bot.kill()
    cov = coverage(venue)
    assert cov and all(c[1] for c in cov.values())  # what is still open is still covered
    _, kill = _store_events(db_url)
    assert kill == KillState.FLATTENING  # persisted through the kill

    restarted_at = ledger(venue)[-1]["id"]
    again = launch()  # comes back FLATTENING and finishes the job
    eventually(lambda: not coverage(venue), timeout=CYCLE_S * 4, message="flat")
    eventually(lambda: not venue.engine.open_algos(), timeout=CYCLE_S * 4,
               message="stops removed once flat")
    eventually(lambda: _store_events(db_url)[1] == KillState.HALTED, timeout=CYCLE_S * 4)
    a = audit(venue)
    assert a.cancel_breaches == []
    assert [s for s in a.spans if s.cause in ("bot_cancel", "other")] == []
    assert a.trades.get("flatten", 0) == 2
    events, _ = _store_events(db_url)
    assert any(e.kind is EventKind.KILL_SWITCH for e in events)
    requests.post(again.webhook, headers={"X-QT-Token": TOKEN}, timeout=5, json={
        "symbol": "ETHUSDT", "side": "BUY", "confidence": 0.9})
    _wait_one_cycle(db_url)
    _wait_one_cycle(db_url)
    assert client_actions(venue, restarted_at, "PLACED", "order", "ETHUSDT") == []  # halted


@pytest.mark.parametrize("seed", [3, 8])
def test_crash_when_killed_at_a_random_moment_then_every_position_covered_after_a_cycle(
        venue, rig, seed):
    import random
    import time

    rng = random.Random(seed)
    launch, db_url = rig
    bot = launch()
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
        mark = Decimal(venue.control.state()["prices"][symbol]["mark"])
        side = rng.choice(("BUY", "SELL"))
        stop = mark * (Decimal("0.98") if side == "BUY" else Decimal("1.02"))
        requests.post(bot.webhook, headers={"X-QT-Token": TOKEN}, timeout=5, json={
            "symbol": symbol, "side": side, "confidence": 0.95,
            "stop": str(stop.quantize(Decimal("0.01")))})
    if rng.random() < 0.5:  # half the time, a stop placement is also slowed down
        venue.control.inject_fault("POST", "/fapi/v1/algoOrder", kind="delay", delay_s=0.5)
    eventually(lambda: [e for e in ledger(venue) if e["action"] == "FILLED"
                        and (e["clientId"] or "").startswith("qs-en-")], timeout=10,
               message="a first entry")
    time.sleep(rng.uniform(0.0, 1.5))  # somewhere in the entries, stops and cycles
    bot.kill()
    launch()
    _wait_one_cycle(db_url)
    cov = coverage(venue)
    assert cov, "no position open after the restart"
    assert all(covered for _, covered, _ in cov.values()), cov
    assert all(full == 1 for *_, full in cov.values()), cov  # nothing duplicated
    a = audit(venue)
    assert a.cancel_breaches == []
    assert [s for s in a.spans if s.cause in ("bot_cancel", "other")] == []


def test_crash_when_restart_meets_a_rate_limited_read_then_bot_starts_and_protects(venue, rig):
    launch, db_url = rig
    with venue.engine.lock:
        _open_outside(venue, "SOLUSDT", Side.BUY, Decimal("3"))
    # the first reconciliation read is refused: the bot must come up and protect next cycle
    venue.control.inject_fault("GET", "/fapi/v1/openAlgoOrders", code=-1003)
    launch()
    _wait_covered(venue, ["SOLUSDT"], timeout=CYCLE_S * 3 + 2)
    assert not venue.control.faults.pending()  # the refused read really happened
    _, kill = _store_events(db_url)
    assert kill == KillState.RUNNING
