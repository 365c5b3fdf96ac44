"""The daily summary's lines, over a hand-written store."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.domain import Direction, EventKind, Trade
from bot.notify.daily import summary_lines
from tests.unit.notify.fakes import T0


def trade(pnl: str, closed_hours_ago: float | None) -> Trade:
    closed = None if closed_hours_ago is None else T0 - timedelta(hours=closed_hours_ago)
    return Trade("BTCUSDT", Direction.LONG, Decimal("0.01"), Decimal("60000"), Decimal("59000"),
                 "k", T0 - timedelta(days=3), pnl_usdt=Decimal(pnl), closed_at=closed)


class FakeStore:
    def __init__(self) -> None:
        self.closed = [trade("12.5", 1), trade("-4", 5), trade("100", 30)]  # the last: too old
        self.open = [trade("0", None)]

    def trades(self, limit: int = 100, closed_only: bool = False) -> list[Trade]:
        return self.closed[:limit]

    def open_trades(self) -> list[Trade]:
        return self.open

    def count(self, kind, since=None, code=None, detail=None, until=None) -> int:
        assert until - since == timedelta(hours=24)
        return {EventKind.EMERGENCY_CLOSE: 2}.get(kind, 0)


def test_summary_when_day_had_trades_and_flags_then_counted_over_24_h():
    lines = summary_lines(FakeStore(), T0)
    assert lines == [
        "Trades closed: 2 (1 won, 1 lost or flat), realized PnL +8.50 USDT",
        "Open positions: 1",
        "Red flags: 2 EMERGENCY_CLOSE",
    ]
