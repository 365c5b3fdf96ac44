"""Performance aggregates of the closed trades and the equity history, from the store."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.domain import Direction
from bot.store import Store
from tests.unit.store.conftest import T0

NOW = T0 + timedelta(days=10)  # 2026-01-11 12:00 UTC


def book(store: Store, symbol: str, pnl: str, at, *, reason: str = "stop",
         fees: str = "0.1") -> None:
    trade_id = store.open_trade(symbol, Direction.LONG, Decimal("1"), Decimal("100"),
                                Decimal("98"), at - timedelta(minutes=5), f"{symbol}-{at}")
    store.close_trade(trade_id, Decimal("100"), reason, Decimal(pnl), None, at,
                      fees_usdt=Decimal(fees))


def test_perf_when_trades_closed_then_sums_exact_windows_and_win_rate(store: Store) -> None:
    book(store, "ATOMUSDT", "10.10", NOW - timedelta(days=9))  # outside 7 d
    book(store, "ATOMUSDT", "-4.05", NOW - timedelta(days=2), reason="stop")
    book(store, "DOGEUSDT", "0.1", NOW - timedelta(hours=13), reason="take_profit")  # yesterday
    book(store, "DOGEUSDT", "0.2", NOW - timedelta(hours=1), reason="take_profit")
    book(store, "ETHUSDT", "0", NOW - timedelta(minutes=5), reason="manual")  # break-even
    view = store.performance(NOW)
    assert view.realized_total == Decimal("6.35")  # exact: no float on the way
    assert view.realized_7d == Decimal("-3.75") and view.realized_today == Decimal("0.2")
    assert view.fees_total == Decimal("0.5")
    assert (view.trades, view.wins, view.losses) == (5, 3, 1)
    assert view.win_rate == 0.6
    assert view.profit_factor == float(Decimal("10.4") / Decimal("4.05"))


def test_perf_when_losses_follow_a_peak_then_max_drawdown_from_that_peak(store: Store) -> None:
    for minutes, pnl in enumerate(("5", "-2", "3", "-4", "-3", "1", "8")):
        book(store, "ATOMUSDT", pnl, NOW - timedelta(hours=8) + timedelta(minutes=minutes))
    # cumulative: 5, 3, 6, 2, -1, 0, 8 -> peak 6 then down to -1
    assert store.performance(NOW).max_drawdown == Decimal("7")


def test_perf_groups_when_several_symbols_and_reasons_then_largest_result_first(
    store: Store,
) -> None:
    book(store, "ATOMUSDT", "1", NOW - timedelta(hours=3), reason="take_profit")
    book(store, "DOGEUSDT", "-7.3", NOW - timedelta(hours=2), reason="emergency", fees="2.19")
    book(store, "ATOMUSDT", "-1", NOW - timedelta(hours=1), reason="stop")
    view = store.performance(NOW)
    assert [(g.key, g.trades, g.wins, g.pnl_usdt) for g in view.by_symbol] == [
        ("DOGEUSDT", 1, 0, Decimal("-7.3")), ("ATOMUSDT", 2, 1, Decimal("0"))]
    assert view.by_reason[0].key == "emergency" and view.by_reason[0].fees_usdt == Decimal("2.19")
    assert [(d.day.isoformat(), d.trades) for d in view.daily] == [("2026-01-11", 3)]


def test_perf_books_version_when_a_trade_closes_then_changes(store: Store) -> None:
    before = store.books_version()
    store.open_trade("ATOMUSDT", Direction.LONG, Decimal("1"), Decimal("1"), None, T0, "k")
    assert store.books_version() == before  # opening is not booking
    book(store, "ATOMUSDT", "1", NOW)
    assert store.books_version() != before


def test_perf_equity_history_when_many_points_then_thinned_newest_kept_and_closes_given(
    store: Store,
) -> None:
    for i in range(1000):
        store.record_equity(NOW - timedelta(minutes=1000 - i), Decimal(10000 + i))
    book(store, "ATOMUSDT", "3", NOW - timedelta(minutes=30))
    book(store, "ATOMUSDT", "9", NOW - timedelta(days=3))  # before the range
    history = store.equity_history(NOW - timedelta(minutes=600), NOW, max_points=100)
    assert 90 <= len(history.points) <= 101
    assert history.points[-1].equity == Decimal(10999)
    assert history.points[0].at >= NOW - timedelta(minutes=600)
    assert history.closes == ((NOW - timedelta(minutes=30), Decimal("3")),)
    assert len(store.equity_history(None, NOW, max_points=5000).points) == 1000
