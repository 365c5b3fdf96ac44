from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import Direction, Signal
from bot.store import Store
from tests.unit.store.conftest import T0, StepClock


def _signal(**kw) -> Signal:
    base = dict(symbol="BTCUSDT", direction=Direction.SHORT, confidence=0.9, source="webhook",
                created_at=T0, stop_price=Decimal("101000.5"), target_price=Decimal("95000"))
    base.update(kw)
    return Signal(**base)


def test_save_signal_when_no_id_then_uuid_generated(store: Store) -> None:
    first = store.save_signal(_signal())
    second = store.save_signal(_signal())
    assert len(first) == 32 and int(first, 16) >= 0 and first != second
    assert store.save_signal(_signal(id="given-id")) == "given-id"


def test_save_decision_then_recent_decisions_newest_first_with_signal(
    store: Store, clock: StepClock
) -> None:
    sid = store.save_signal(_signal())
    d1 = store.save_decision(sid, False, "uptrend_short_block", "regime UPTREND", None)
    d2 = store.save_decision(sid, True, None, "all rules passed", Decimal("0.012"))
    assert d2 > d1
    recent = store.recent_decisions(10)
    assert [d.id for d in recent] == [d2, d1]
    assert recent[0].allowed is True and recent[0].quantity == Decimal("0.012")
    assert recent[1].allowed is False and recent[1].rule == "uptrend_short_block"
    assert recent[1].reason == "regime UPTREND" and recent[1].quantity is None
    assert recent[0].symbol == "BTCUSDT" and recent[0].direction is Direction.SHORT
    assert recent[0].confidence == 0.9 and recent[0].at == clock.now
    assert len(store.recent_decisions(1)) == 1


def test_record_order_when_same_client_id_then_exchange_columns_updated_intent_kept(
    store: Store,
) -> None:
    assert store.order_by_client_id("qt-sl-1") is None
    store.record_order("ATOMUSDT", "qt-sl-1", "sl", "BUY", "STOP_MARKET", None,
                       Decimal("2.534"), None, "SENT", T0)
    store.record_order("ATOMUSDT", "qt-sl-1", "sl", "BUY", "STOP_MARKET", Decimal("10"),
                       Decimal("9.99"), "123456", "NEW", T0 + timedelta(seconds=1))
    store.record_order("ATOMUSDT", "qt-sl-1", "sl", "BUY", "STOP_MARKET", None, None,
                       None, "CANCELED", T0 + timedelta(seconds=2))
    rec = store.order_by_client_id("qt-sl-1")
    assert rec is not None
    assert rec.price == Decimal("2.534")  # what we asked for is not overwritten
    assert rec.quantity == Decimal("10")  # ... but a missing intent is filled in
    assert rec.exchange_id == "123456"  # kept when a later report lacks it
    assert rec.status == "CANCELED"
    assert rec.created_at == T0 and rec.updated_at == T0 + timedelta(seconds=2)


def test_record_order_when_no_client_id_then_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        store.record_order("BTCUSDT", "", "en", "BUY", "MARKET", Decimal(1), None, None, "NEW", T0)


def test_trade_lifecycle(store: Store) -> None:
    tid = store.open_trade("ETHUSDT", Direction.LONG, Decimal("0.5"), Decimal("3000.12"),
                           Decimal("2940"), T0, position_key="ETHUSDT:LONG:1",
                           take_profit=Decimal("3100"), trailing_rate=Decimal("1.0"))
    other = store.open_trade("ETHUSDT", Direction.LONG, Decimal("0.1"), Decimal("3001"),
                             None, T0 + timedelta(seconds=1), position_key="ETHUSDT:LONG:2")
    assert [t.id for t in store.open_trades()] == [tid, other]
    newest = store.open_trade_for("ETHUSDT")
    assert newest is not None and newest.id == other
    assert store.open_trade_for("BTCUSDT") is None

    store.update_trade(tid, stop_price=Decimal("2990.5"), quantity=Decimal("0.6"))
    got = store.trade(tid)
    assert got is not None and got.is_open
    assert (got.stop_price, got.quantity) == (Decimal("2990.5"), Decimal("0.6"))
    assert (got.take_profit, got.trailing_rate) == (Decimal("3100"), Decimal("1.0"))

    store.close_trade(tid, Decimal("2990.5"), "stop", Decimal("-5.772"), Decimal("-0.0577"),
                      T0 + timedelta(minutes=5))
    closed = store.trade(tid)
    assert closed is not None and not closed.is_open
    assert (closed.exit_price, closed.close_reason, closed.pnl_usdt, closed.pnl_pct_equity) == (
        Decimal("2990.5"), "stop", Decimal("-5.772"), Decimal("-0.0577"))
    assert closed.closed_at == T0 + timedelta(minutes=5)
    assert [t.id for t in store.open_trades()] == [other]
    assert [t.id for t in store.trades()] == [other, tid]
    assert [t.id for t in store.trades(closed_only=True)] == [tid]


def test_closed_trades_since_when_closed_in_and_before_the_window_then_newest_first(
    store: Store,
) -> None:
    def trade(opened_s: int, closed_s: int | None) -> int:
        tid = store.open_trade("ETHUSDT", Direction.LONG, Decimal("1"), Decimal("3000"), None,
                               T0 + timedelta(seconds=opened_s), f"k{opened_s}")
        if closed_s is not None:
            store.close_trade(tid, Decimal("3001"), "stop", Decimal(opened_s), None,
                              T0 + timedelta(seconds=closed_s))
        return tid

    held_long = trade(0, 500)  # opened first, closed in the window: whatever opened after it
    before = trade(1, 99)
    edge = trade(2, 100)
    still_open = trade(3, None)
    late = trade(4, 300)
    since = T0 + timedelta(seconds=100)
    assert [t.id for t in store.closed_trades_since(since)] == [late, edge, held_long]
    assert before not in {t.id for t in store.closed_trades_since(since)}
    assert still_open not in {t.id for t in store.closed_trades_since(T0)}
    assert store.closed_trades_since(T0 + timedelta(seconds=501)) == []


def test_close_trade_when_already_closed_or_unknown_then_refused(store: Store) -> None:
    tid = store.open_trade("BTCUSDT", Direction.SHORT, Decimal("0.01"), Decimal("90000"),
                           Decimal("91000"), T0, "k")
    store.close_trade(tid, Decimal("91000"), "stop", Decimal("-10"), Decimal("-0.1"), T0)
    with pytest.raises(ValueError, match="already closed"):
        store.close_trade(tid, Decimal("1"), "manual", Decimal("0"), Decimal("0"), T0)
    with pytest.raises(KeyError):
        store.close_trade(999, Decimal("1"), "manual", Decimal("0"), Decimal("0"), T0)
    closed = store.trade(tid)
    assert closed is not None and closed.exit_price == Decimal("91000")


def test_close_trade_when_equity_unknown_then_pct_left_empty(store: Store) -> None:
    tid = store.open_trade("BTCUSDT", Direction.LONG, Decimal("1"), Decimal("2"), None, T0, "k")
    store.close_trade(tid, Decimal("1.9"), "stop", Decimal("-0.1"), None, T0)
    closed = store.trade(tid)
    assert closed is not None and closed.pnl_pct_equity is None
    assert closed.pnl_usdt == Decimal("-0.1")
    with pytest.raises(TypeError, match="pnl_usdt"):
        store.close_trade(tid, Decimal("1.9"), "stop", -0.1, None, T0)  # type: ignore[arg-type]


def test_update_trade_when_bad_field_or_id_then_refused_and_unchanged(store: Store) -> None:
    tid = store.open_trade("BTCUSDT", Direction.LONG, Decimal("1"), Decimal("2"), None, T0, "k")
    with pytest.raises(ValueError, match="pnl_usdt"):
        store.update_trade(tid, stop_price=Decimal("1"), pnl_usdt=Decimal("5"))
    with pytest.raises(KeyError):
        store.update_trade(12345, stop_price=Decimal("1"))
    with pytest.raises(TypeError, match="Decimal"):
        store.update_trade(tid, stop_price=1.5)
    got = store.trade(tid)
    assert got is not None and got.stop_price is None


def test_open_trade_when_quantity_not_positive_then_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="quantity"):
        store.open_trade("BTCUSDT", Direction.LONG, Decimal("0"), Decimal("2"), None, T0, "k")
    assert store.open_trades() == []


def test_trades_survive_a_new_store(db_url: str) -> None:
    first = Store(db_url)
    tid = first.open_trade("BTCUSDT", Direction.LONG, Decimal("0.001"), Decimal("90000.1"),
                           Decimal("89000"), T0, "k")
    first.close()
    second = Store(db_url)
    try:
        t = second.open_trade_for("BTCUSDT")
        assert t is not None and t.id == tid and t.entry_price == Decimal("90000.1")
    finally:
        second.close()


_decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e12"),
                        max_value=Decimal("1e12"), places=None).filter(lambda d: d != 0)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(price=_decimals, qty=_decimals)
def test_decimal_round_trip_is_exact(store: Store, price: Decimal, qty: Decimal) -> None:
    qty = abs(qty)
    tid = store.open_trade("BTCUSDT", Direction.LONG, qty, price, price, T0, "k")
    got = store.trade(tid)
    assert got is not None
    assert str(got.entry_price) == str(price) and str(got.quantity) == str(qty)
    store.record_equity(T0, price)
    assert str(store.equity_curve(limit=1)[-1].equity) == str(price)
