"""The observer's judges, on hand-written ledgers: what they must call naked, breached,
duplicated, orphaned or lost."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bench.soak.coverage import RestingStop, covered, full_covers
from bench.soak.event_match import lost_events
from bench.soak.ledger_audit import AlgoFlags, FaultWindow, audit_ledger
from bot.domain import Event, EventKind

KEY = "abc1234567"


class Ledger:
    """Builds ``LedgerEntry.to_json()``-shaped dicts, one per call, ids and times rising."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.flags: dict[int, AlgoFlags] = {}
        self.t = 1_000_000

    def _add(self, dt: int, **row) -> dict:
        self.t += dt
        base = {"id": len(self.rows) + 1, "time": self.t, "orderId": None, "algoId": None,
                "clientId": None, "side": None, "type": None, "quantity": None,
                "price": None, "status": None, "details": {}, "symbol": "BTCUSDT"}
        base.update(row)
        self.rows.append(base)
        return base

    def fill(self, side: str, qty: str, cid: str, dt: int = 1, actor: str = "client",
             order_id: int | None = None) -> None:
        oid = order_id or 100 + len(self.rows)
        self._add(dt, action="PLACED", actor=actor, book="order", orderId=oid, clientId=cid,
                  side=side, type="MARKET", quantity=qty)
        self._add(0, action="FILLED", actor="engine", book="order", orderId=oid, clientId=cid,
                  side=side, type="MARKET", quantity=qty, details={"lastQty": qty})

    def stop(self, algo_id: int, side: str, cid: str, qty: str = "0", close: bool = True,
             dt: int = 1, actor: str = "client", kind: str = "STOP_MARKET") -> None:
        self.flags[algo_id] = AlgoFlags(close, not close)
        self._add(dt, action="PLACED", actor=actor, book="algo", algoId=algo_id, clientId=cid,
                  side=side, type=kind, quantity=qty, price="90000")

    def end(self, algo_id: int, action: str, actor: str, dt: int = 1) -> None:
        self._add(dt, action=action, actor=actor, book="algo", algoId=algo_id,
                  clientId=f"algo-{algo_id}", side="SELL", type="STOP_MARKET", quantity="0")

    def audit(self, faults=()):
        return audit_ledger(self.rows, self.flags, faults)


def sl(seq: int, key: str = KEY) -> str:
    return f"qs-sl-BTC-{key}-{seq}"


EN = f"qs-en-BTC-{KEY}-0"


def test_coverage_when_stop_is_partial_wrong_side_or_plain_then_not_covered():
    def stop(**kw):
        base = dict(algo_id=1, client_id="x", symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                    quantity=Decimal("1"), trigger=Decimal("90"), close_position=False,
                    reduce_only=True)
        return RestingStop(**{**base, **kw})

    long_ = Decimal("2")
    assert not covered(long_, [stop()])  # half the quantity
    assert covered(long_, [stop(), stop(algo_id=2)])  # two halves add up
    assert not covered(long_, [stop(side="BUY", close_position=True)])  # entry side
    assert not covered(long_, [stop(reduce_only=False, quantity=Decimal("5"))])  # plain order
    assert not covered(long_, [stop(close_position=True)], mark=Decimal("80"))  # above mark
    assert covered(long_, [stop(close_position=True)], mark=Decimal("100"))
    assert not covered(long_, [stop(type="TAKE_PROFIT_MARKET", close_position=True)])
    assert len(full_covers(long_, [stop(close_position=True), stop(quantity=Decimal("2"))])) == 2


def test_audit_when_stop_follows_fill_then_one_immediate_entry_window():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0), dt=3)
    a = led.audit()
    assert a.entries == 1 and a.stops_placed == 1
    [span] = a.spans
    assert (span.cause, span.ended_by, span.ms) == ("entry", "immediate", 3)


def test_audit_when_ladder_or_monitor_covers_then_span_says_so():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(1), dt=5)  # seq 1: a ladder rung, not the first attempt
    assert [s.ended_by for s in led.audit().spans] == ["ladder"]
    led2 = Ledger()
    led2.fill("BUY", "1", EN)
    led2.stop(1, "SELL", sl(0, key="other00000"), dt=5)
    assert [s.ended_by for s in led2.audit().spans] == ["monitor"]


def test_audit_when_bot_cancels_the_covering_stop_then_breach_and_bot_cancel_span():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "CANCELED", "client", dt=10)  # cancel first ...
    led.stop(2, "SELL", sl(1), dt=20)  # ... replace later: the seed system's bug
    a = led.audit()
    assert [b.algo_id for b in a.cancel_breaches] == [1]
    assert [(s.cause, s.ms) for s in a.spans][1] == ("bot_cancel", 20)


def test_audit_when_new_stop_comes_before_the_cancel_then_no_breach():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.stop(2, "SELL", sl(1), qty="1", close=False)
    led.end(1, "CANCELED", "client")
    a = led.audit()
    assert a.cancel_breaches == [] and len(a.spans) == 1
    assert a.duplicate_spans_ms == [("BTCUSDT", 1)]  # make-before-break: briefly two


def test_audit_when_venue_drops_the_stop_then_silent_cancel_span_until_repair():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "CANCELED", "control", dt=100)
    led.stop(2, "SELL", sl(1), dt=700)
    a = led.audit()
    assert a.silent_cancels == 1 and a.cancel_breaches == []
    assert [(s.cause, s.ended_by, s.ms) for s in a.spans][1] == ("silent_cancel", "monitor", 700)


def test_audit_when_stop_fires_then_closing_span_ends_closed_and_trade_counted():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "TRIGGERED", "engine", dt=50)
    led.fill("SELL", "1", sl(0), actor="engine")
    a = led.audit()
    assert a.trades == {"stop": 1}
    assert [(s.cause, s.ended_by) for s in a.spans][1] == ("closing", "closed")


def test_audit_when_reduce_only_stop_outlives_its_position_then_orphan_measured():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0), qty="1", close=False)
    led.fill("SELL", "1", "manual-close", actor="control")
    led.end(1, "CANCELED", "client", dt=30)
    led.stop(2, "SELL", sl(0, key="zzzzzzzzzz"), qty="1", close=False)  # never cancelled
    a = led.audit()
    assert a.trades == {"manual": 1}
    assert a.orphan_ms == [("BTCUSDT", 30)] and a.orphans_open_at_end == 1
    assert a.cancel_breaches == []  # the position was gone: no breach


def test_audit_when_fault_window_spans_the_entry_then_span_is_tagged():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(2), dt=40)
    [span] = led.audit([FaultWindow("*", "stop_-2021_x3", 0, 10)]).spans
    assert span.fault == "stop_-2021_x3"
    [untagged] = led.audit([FaultWindow("ETHUSDT", "x", 0, 10)]).spans
    assert untagged.fault == ""
    # armed after the fill (another thread's entry took the fault), over before the stop
    [overlapping] = led.audit([FaultWindow("*", "stop_-1003_429", 2, 2)]).spans
    assert overlapping.fault == "stop_-1003_429"
    [after] = led.audit([FaultWindow("*", "late", 3, 9)]).spans
    assert after.fault == ""


def test_audit_when_position_still_naked_at_the_end_then_open_at_end():
    led = Ledger()
    led.fill("SELL", "2", EN)
    [span] = audit_ledger(led.rows, {}, end_ms=led.t + 500).spans
    assert (span.ended_by, span.ms) == ("open_at_end", 500)


def _event(kind: EventKind, **details) -> Event:
    return Event(kind, datetime(2026, 1, 1, tzinfo=UTC), "BTCUSDT", details=details)


@pytest.mark.parametrize("missing", ["entry", "stop_placed", "stop_canceled"])
def test_lost_events_when_an_action_has_no_event_then_reported(missing):
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(7, "SELL", sl(0))
    led.end(7, "CANCELED", "client")
    events = {
        "entry": _event(EventKind.ENTRY_FILLED, client_order_id=EN),
        "stop_placed": _event(EventKind.STOP_PLACED, client_algo_id=sl(0), algo_id=7),
        "stop_canceled": _event(EventKind.STOP_CANCELED, algo_id=7),
    }
    assert lost_events(led.rows, events.values()) == []
    lost = lost_events(led.rows, [e for k, e in events.items() if k != missing])
    assert [x.action for x in lost] == [missing]


# --- stops the venue loses at trigger, stuck triggers, outside fills, doubled entries ---

def _child(led: Ledger, algo_id: int, action: str, cid: str, dt: int = 0) -> None:
    """The market order a fired stop became (placed, filled or expired by the engine)."""
    led._add(dt, action=action, actor="engine", book="order", orderId=9000 + algo_id,
             algoId=algo_id, clientId=cid, side="SELL", type="MARKET", quantity="1",
             details={"lastQty": "1"} if action == "FILLED" else {})


def test_audit_when_stop_rejected_after_triggering_then_venue_lost_span_until_repair():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "TRIGGERING", "engine", dt=100)  # fired: still cover while it is handed on
    led.end(1, "REJECTED", "engine", dt=250)
    led.stop(2, "SELL", sl(1), dt=30)
    a = led.audit()
    assert [(s.cause, s.ended_by, s.ms) for s in a.spans][1:] == [("venue_lost", "monitor", 30)]
    assert a.stops_lost_at_trigger == 1 and a.stuck_triggers == 0


def test_audit_when_algo_expires_at_trigger_then_venue_lost():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "TRIGGERING", "engine")
    led.end(1, "EXPIRED", "engine", dt=250)
    led.stop(2, "SELL", sl(1), dt=40)
    assert [(s.cause, s.ms) for s in led.audit().spans][1:] == [("venue_lost", 40)]


def test_audit_when_child_order_expires_then_closing_ends_and_venue_lost_starts():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "TRIGGERING", "engine", dt=10)
    led.end(1, "TRIGGERED", "engine", dt=250)
    _child(led, 1, "PLACED", sl(0))
    _child(led, 1, "EXPIRED", sl(0), dt=2)
    led.end(1, "FINISHED", "engine")
    led.stop(2, "SELL", sl(1), dt=60)
    a = led.audit()
    assert [(s.cause, s.ended_by, s.ms) for s in a.spans][1:] == [
        ("closing", "child_expired", 2), ("venue_lost", "monitor", 61)]
    assert a.stops_lost_at_trigger == 1 and a.trades == {}


def test_audit_when_child_fills_then_closing_span_only():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "TRIGGERING", "engine", dt=10)
    led.end(1, "TRIGGERED", "engine", dt=250)
    _child(led, 1, "PLACED", sl(0))
    _child(led, 1, "FILLED", sl(0), dt=1)
    a = led.audit()
    assert [(s.cause, s.ended_by) for s in a.spans][1:] == [("closing", "closed")]
    assert a.trades == {"stop": 1} and a.stops_lost_at_trigger == 0


def test_audit_when_stop_stuck_in_triggering_then_span_starts_when_grace_ends():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "TRIGGERING", "engine", dt=100)
    triggering_at = led.t
    led.stop(2, "SELL", sl(1), dt=5_700, qty="1", close=False)  # the bot's new stop
    a = audit_ledger(led.rows, led.flags, grace_ms=5_000)
    [entry, stuck] = a.spans
    assert (stuck.cause, stuck.ended_by, stuck.start_ms, stuck.ms) == (
        "stuck", "monitor", triggering_at + 5_000, 700)
    assert a.stuck_triggers == 1
    assert a.duplicate_spans_ms == []  # a stuck stop is no cover: the new one is not a double
    # within the grace a TRIGGERING stop is cover: the same ledger with a longer grace is clean
    assert [s.cause for s in audit_ledger(led.rows, led.flags, grace_ms=6_000).spans] == [
        "entry"]


def test_audit_when_stuck_stop_still_there_at_the_end_then_open_at_end():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "TRIGGERING", "engine")
    a = audit_ledger(led.rows, led.flags, end_ms=led.t + 9_000, grace_ms=5_000)
    assert [(s.cause, s.ended_by, s.ms) for s in a.spans][1:] == [
        ("stuck", "open_at_end", 4_000)]


def test_audit_when_trigger_completes_within_grace_then_no_stuck_span():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "TRIGGERING", "engine")
    led.end(1, "TRIGGERED", "engine", dt=250)
    _child(led, 1, "PLACED", sl(0))
    _child(led, 1, "FILLED", sl(0))
    a = audit_ledger(led.rows, led.flags, end_ms=led.t + 60_000, grace_ms=5_000)
    assert a.stuck_triggers == 0 and [s.cause for s in a.spans] == ["entry", "closing"]


def test_audit_when_another_client_grows_a_reduce_only_covered_position_then_outside():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0), qty="1", close=False)
    led.fill("BUY", "1", "outside-7-1", actor="control", dt=50)
    led.stop(2, "SELL", sl(1), dt=80)
    a = led.audit()
    assert a.outside_fills == 1
    assert [(s.cause, s.ended_by, s.ms) for s in a.spans][1:] == [("outside", "monitor", 80)]


def test_audit_when_one_entry_id_fills_twice_then_doubled():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.fill("BUY", "1", EN, order_id=555)  # the same client id re-sent after a lost answer
    a = led.audit()
    assert a.doubled_entries == [(EN, 2)] and a.entries == 2


def test_audit_when_emergency_close_of_a_covered_position_then_counted():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.fill("SELL", "1", f"qs-ex-BTC-{KEY}-0", dt=20)  # naked: the close is the fallback
    led.fill("BUY", "1", f"qs-en-BTC-{KEY}1-0")
    led.stop(1, "SELL", sl(0, key=f"{KEY}1"))
    led.fill("SELL", "1", f"qs-ex-BTC-{KEY}1-0", dt=20)  # covered: it had a stop
    a = led.audit()
    assert a.emergency_closes == 2
    assert [(sym, cid) for _, sym, cid in a.emergency_closes_covered] == [
        ("BTCUSDT", f"qs-ex-BTC-{KEY}1-0")]


def test_audit_when_entry_meets_a_stuck_stop_then_span_says_so():
    led = Ledger()
    led.fill("BUY", "1", EN)
    led.stop(1, "SELL", sl(0))
    led.end(1, "TRIGGERING", "engine")  # stuck for good
    led.stop(2, "SELL", sl(1), qty="1", close=False, dt=6_000)
    led.fill("SELL", "1", "manual-close", actor="control")  # closed by hand, 1 stays stuck
    led.end(2, "CANCELED", "client")
    led.fill("BUY", "1", f"qs-en-BTC-{KEY}2-0", dt=50)  # the next entry trusts it
    led.stop(3, "SELL", sl(1, key=f"{KEY}2"), qty="1", close=False, dt=30)
    spans = audit_ledger(led.rows, led.flags, grace_ms=5_000).spans
    assert [(s.cause, s.ended_by, s.stuck_on_book) for s in spans] == [
        ("entry", "immediate", False), ("stuck", "monitor", True),
        ("entry", "ladder", True)]
