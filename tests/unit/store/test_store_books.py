"""Closed trades for the dashboard's books: paged and filtered in SQL, newest close first."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.domain import Direction
from bot.domain.books import TradeQuery
from bot.store import Store
from tests.unit.store.conftest import T0


def close(store: Store, symbol: str, minute: int, *, direction: Direction = Direction.LONG,
          reason: str = "stop", pnl: str = "-1.5", fees: str = "0.1",
          still_open: bool = False) -> int:
    trade_id = store.open_trade(symbol, direction, Decimal("2"), Decimal("100"), Decimal("98"),
                                T0 + timedelta(minutes=minute - 30), f"{symbol}-{minute}")
    if not still_open:
        store.close_trade(trade_id, Decimal("99.25"), reason, Decimal(pnl), None,
                          T0 + timedelta(minutes=minute), fees_usdt=Decimal(fees))
    return trade_id


def test_books_page_when_more_than_a_page_then_newest_close_first_and_total_counted(
    store: Store,
) -> None:
    ids = [close(store, "ATOMUSDT", m) for m in (5, 1, 3, 4, 2)]  # closed out of id order
    close(store, "ATOMUSDT", 9, still_open=True)
    first = store.closed_trades(TradeQuery(page=0, page_size=2))
    second = store.closed_trades(TradeQuery(page=1, page_size=2))
    last = store.closed_trades(TradeQuery(page=2, page_size=2))
    by_minute = dict(zip((5, 1, 3, 4, 2), ids, strict=True))
    assert [t.id for t in first.trades] == [by_minute[5], by_minute[4]]
    assert [t.id for t in second.trades] == [by_minute[3], by_minute[2]]
    assert [t.id for t in last.trades] == [by_minute[1]]
    assert (first.total, first.pages) == (5, 3)
    trade = first.trades[0]
    assert trade.pnl_usdt == Decimal("-1.5") and trade.fees_usdt == Decimal("0.1")
    assert trade.close_reason == "stop" and trade.stop_price == Decimal("98")


def test_books_page_when_filtered_then_only_matches_counted_and_symbols_still_all(
    store: Store,
) -> None:
    close(store, "ATOMUSDT", 1, reason="stop")
    close(store, "ATOMUSDT", 2, reason="take_profit", pnl="3")
    close(store, "DOGEUSDT", 3, reason="emergency", direction=Direction.SHORT, pnl="-7.3")
    close(store, "DOGEUSDT", 4, reason="stop", direction=Direction.SHORT)
    page = store.closed_trades(TradeQuery(symbol="DOGEUSDT", reason="stop"))
    assert [(t.symbol, t.close_reason) for t in page.trades] == [("DOGEUSDT", "stop")]
    assert page.total == 1 and page.symbols == ("ATOMUSDT", "DOGEUSDT")
    shorts = store.closed_trades(TradeQuery(direction=Direction.SHORT))
    assert {t.direction for t in shorts.trades} == {Direction.SHORT} and shorts.total == 2
    assert store.closed_trades(TradeQuery(symbol="NOPEUSDT")).total == 0


def test_books_page_when_past_the_end_then_clamped_to_the_last_page(store: Store) -> None:
    for m in range(3):
        close(store, "ATOMUSDT", m)
    page = store.closed_trades(TradeQuery(page=99, page_size=2))
    assert page.page == 1 and len(page.trades) == 1
    empty = store.closed_trades(TradeQuery(symbol="NOPEUSDT", page=4))
    assert empty.page == 0 and empty.trades == () and empty.pages == 1


def test_books_recent_closed_when_closed_out_of_order_then_by_close_time(store: Store) -> None:
    early = close(store, "ATOMUSDT", 10)
    late = close(store, "DOGEUSDT", 1)  # opened later (higher id), closed earlier
    close(store, "ETHUSDT", 20, still_open=True)
    assert [t.id for t in store.recent_closed_trades(limit=5)] == [early, late]
