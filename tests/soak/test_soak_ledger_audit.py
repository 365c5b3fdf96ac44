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
