"""The immediate stop, the -2021 ladder and emergency close, over the fake exchange."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import Decision, Direction, EventKind
from bot.domain.errors import classify
from bot.execution.executor import OpenStatus
from bot.protection.config import ProtectionConfig
from tests.unit.protection.rig import Rig

D = Decimal


def decision(direction: Direction = Direction.LONG, **kw) -> Decision:
    stop = D("2900") if direction is Direction.LONG else D("3100")
    base = dict(symbol="ETHUSDT", direction=direction, quantity=D("0.5"), stop_price=stop)
    base.update(kw)
    return Decision(**base)


@pytest.mark.parametrize("d", list(Direction))
def test_open_when_filled_then_stop_is_the_very_next_request(d: Direction) -> None:
    rig = Rig()
    result = rig.executor.open_position(decision(d))
    assert result.status is OpenStatus.OPENED
    methods = rig.ex.methods()
    i = methods.index("market_order")
    assert methods[i + 1] == "place_stop"
    stops = rig.ex.open_algos("ETHUSDT")
    assert len(stops) == 1 and stops[0].close_position and stops[0].side is d.closing_side
    placed = rig.sink.of(EventKind.STOP_PLACED)
    assert placed and placed[0].latency_ms is not None and placed[0].latency_ms >= 0
    assert EventKind.ENTRY_FILLED in rig.sink.kinds()
    assert [t.symbol for t in rig.book.open_trades()] == ["ETHUSDT"]


def test_open_when_stop_price_off_tick_then_rounded_away_from_mark_price_rounding() -> None:
    rig = Rig()
    rig.executor.open_position(decision(stop_price=D("2900.129")))
    assert rig.ex.open_algos()[0].trigger_price == D("2900.12")
    rig2 = Rig()
    rig2.executor.open_position(decision(Direction.SHORT, stop_price=D("3100.121")))
    assert rig2.ex.open_algos()[0].trigger_price == D("3100.13")


def test_open_when_would_trigger_but_stop_still_valid_then_retried_at_the_same_stop() -> None:
    rig = Rig()
    rig.ex.inject("place_stop", -2021)  # a stale mark: the 2900 stop is fine against 3000
    result = rig.executor.open_position(decision())
    assert result.status is OpenStatus.OPENED
    [order] = rig.ex.open_algos()
    assert order.trigger_price == D("2900.00")  # not shrunk to 0.1 % from the mark
    assert "still valid" in rig.sink.of(EventKind.STOP_RETRY)[0].message


def test_open_when_would_trigger_and_mark_passed_the_stop_then_retried_with_buffer() -> None:
    rig = Rig()
    rig.ex.inject("place_stop", -2021)
    result = rig.executor.open_position(decision(stop_price=D("3050")))  # above the 3000 mark
    assert result.status is OpenStatus.OPENED
    [order] = rig.ex.open_algos()
    assert order.trigger_price == D("2997.00")  # 0.1% below the 3000 mark, down to tick
    kinds = rig.sink.kinds()
    assert kinds.index(EventKind.STOP_REJECTED) < kinds.index(EventKind.STOP_RETRY) < kinds.index(
        EventKind.STOP_PLACED)
    assert rig.sink.of(EventKind.STOP_REJECTED)[0].code == -2021


def test_open_when_every_rung_would_trigger_then_emergency_close() -> None:
    rig = Rig()
    rig.ex.inject("place_stop", -2021, times=3)
    result = rig.executor.open_position(decision())
    assert result.status is OpenStatus.EMERGENCY_CLOSED
    assert rig.ex.positions() == []
    assert len(rig.sink.of(EventKind.STOP_REJECTED)) == 3
    assert len(rig.sink.of(EventKind.STOP_RETRY)) == 2
    assert len(rig.sink.of(EventKind.EMERGENCY_CLOSE)) == 1
    assert rig.book.open_trades() == []


def test_open_when_4142_then_same_ladder() -> None:
    rig = Rig()
    rig.ex.inject("place_stop", -4142)
    assert rig.executor.open_position(decision()).status is OpenStatus.OPENED
    assert rig.sink.of(EventKind.STOP_REJECTED)[0].code == -4142


def test_open_when_stop_refused_for_other_reason_then_emergency_close() -> None:
    rig = Rig()
    rig.ex.inject("place_stop", -1111)
    result = rig.executor.open_position(decision())
    assert result.status is OpenStatus.EMERGENCY_CLOSED
    assert rig.ex.positions() == []


def test_open_when_close_and_stop_both_fail_then_unprotected_reported() -> None:
    rig = Rig()
    rig.ex.inject("place_stop", -1111)
    rig.ex.inject("market_order", -1001, after=1, http=503)  # the entry passes, the close fails
    result = rig.executor.open_position(decision())
    assert result.status is OpenStatus.UNPROTECTED
    assert rig.ex.positions() and rig.ex.open_algos() == []
    assert "EMERGENCY CLOSE FAILED" in rig.sink.of(EventKind.EXCHANGE_ERROR)[-1].message


def test_open_when_entry_refused_then_no_stop_and_error_event() -> None:
    rig = Rig()
    rig.ex.inject("market_order", -2019)
    result = rig.executor.open_position(decision())
    assert result.status is OpenStatus.ENTRY_FAILED
    assert "place_stop" not in rig.ex.methods()
    [failed] = rig.sink.of(EventKind.ENTRY_FAILED)
    assert failed.code == -2019 and failed.symbol == "ETHUSDT"


def test_open_when_kill_switch_halted_then_refused_and_nothing_sent() -> None:
    rig = Rig()
    rig.allowed = False
    result = rig.executor.open_position(decision())
    assert result.status is OpenStatus.REFUSED
    assert rig.ex.calls == []


@pytest.mark.parametrize("bad", [
    dict(quantity=D("0")), dict(quantity=D("-1")), dict(stop_price=D("0")),
    dict(quantity=D("NaN")), dict(target_price=D("2800")), dict(symbol=""),
])
def test_open_when_decision_invalid_then_refused_and_nothing_sent(bad: dict) -> None:
    rig = Rig()
    result = rig.executor.open_position(decision(**bad))
    assert result.status is OpenStatus.REFUSED and result.reason
    assert rig.ex.calls == [] and rig.sink.events == []


def test_open_when_quantity_below_min_then_refused_before_entry() -> None:
    rig = Rig()
    result = rig.executor.open_position(decision(quantity=D("0.0001")))
    assert result.status is OpenStatus.REFUSED
    assert "market_order" not in rig.ex.methods()


def test_open_when_duplicate_id_answer_then_treated_as_placed() -> None:
    rig = Rig()
    original = rig.ex.place_stop

    def placed_but_lost(*a, **k):
        original(*a, **k)
        raise classify(-4116, "ClientOrderId is duplicated.", 400)

    rig.ex.place_stop = placed_but_lost  # type: ignore[method-assign]
    result = rig.executor.open_position(decision())
    assert result.status is OpenStatus.OPENED
    assert len(rig.ex.open_algos()) == 1


def test_open_second_entry_when_close_position_stop_exists_then_kept_not_duplicated() -> None:
    rig = Rig()
    rig.executor.open_position(decision())
    before = rig.ex.open_algos()
    result = rig.executor.open_position(decision())
    assert result.status is OpenStatus.OPENED
    assert rig.ex.open_algos() == before
    assert rig.ex.positions()[0].quantity == D("1.0")
    assert rig.sink.of(EventKind.STOP_KEPT)[0].details["entry"] is True
    assert len(rig.book.open_trades()) == 2


def test_open_second_entry_when_only_reduce_only_stop_then_new_stop_before_old_cancelled() -> None:
    rig = Rig()
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("0.5"))
    old = rig.ex.add_algo("ETHUSDT", Direction.LONG.closing_side, D("2800"), D("0.5"))
    rig.executor.open_position(decision())
    methods = rig.ex.methods()
    assert methods.index("place_stop") < methods.index("cancel_conditional")
    open_now = rig.ex.open_algos()
    assert old not in open_now and len(open_now) == 1 and open_now[0].close_position
    assert rig.sink.of(EventKind.STOP_CANCELED)[0].details["reason"] == "replaced"


def test_open_with_target_then_take_profit_placed_after_stop() -> None:
    rig = Rig()
    rig.executor.open_position(decision(target_price=D("3300")))
    methods = rig.ex.methods()
    assert methods.index("place_stop") < methods.index("place_take_profit")
    assert EventKind.TAKE_PROFIT_PLACED in rig.sink.kinds()


def test_open_with_trailing_when_exchange_says_2007_then_trailing_off_stop_kept() -> None:
    rig = Rig(config=ProtectionConfig(trailing_enabled=True))
    rig.ex.inject("place_trailing_stop", -2007)
    result = rig.executor.open_position(decision(trailing=True, callback_rate=D("1.0")))
    assert result.status is OpenStatus.OPENED and result.trailing is None
    [ev] = rig.sink.of(EventKind.TRAILING_DISABLED)
    assert ev.code == -2007
    assert len(rig.ex.open_algos()) == 1 and rig.ex.open_algos()[0].close_position


@pytest.mark.parametrize("rate", [D("0"), D("0.05"), D("5.1"), D("100"), D("NaN")])
def test_open_with_trailing_when_rate_invalid_then_never_sent(rate: Decimal) -> None:
    rig = Rig(config=ProtectionConfig(trailing_enabled=True))
    rig.executor.open_position(decision(trailing=True, callback_rate=rate))
    assert "place_trailing_stop" not in rig.ex.methods()
    assert rig.sink.of(EventKind.TRAILING_DISABLED)
    assert rig.ex.open_algos()[0].close_position


def test_open_with_trailing_then_rate_sent_as_percent_never_multiplied() -> None:
    rig = Rig(config=ProtectionConfig(trailing_enabled=True))
    result = rig.executor.open_position(decision(trailing=True, callback_rate=D("1.5")))
    assert result.trailing is not None and result.trailing.callback_rate == D("1.5")
    assert EventKind.TRAILING_PLACED in rig.sink.kinds()


def test_open_records_entry_before_stop_events_after_both_requests() -> None:
    rig = Rig()
    rig.ex.inject("place_stop", -2021)
    rig.executor.open_position(decision())
    kinds = rig.sink.kinds()
    assert kinds.index(EventKind.ENTRY_FILLED) < kinds.index(EventKind.STOP_REJECTED)
    assert kinds.index(EventKind.STOP_REJECTED) < kinds.index(EventKind.STOP_PLACED)
