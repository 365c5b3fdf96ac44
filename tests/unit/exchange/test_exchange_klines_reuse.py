"""Klines asked for again: the rows the last answer already had are not parsed again, and what
comes back is what parsing the whole answer gives."""

from __future__ import annotations

import pytest

from bot.domain import errors
from bot.exchange import wire
from bot.exchange.binance_adapter import BinanceAdapter
from tests.unit.exchange.fakes import FakeClient

HOUR = 3_600_000
T0 = 1_767_225_600_000


def _rows(count: int, first: int = 0, last_close: str = "2.5100") -> list[list]:
    rows = []
    for i in range(first, first + count):
        t = T0 + i * HOUR
        close = last_close if i == first + count - 1 else f"2.{5000 + i:04d}"
        rows.append([t, "2.5000", "2.9000", "2.1000", close, "1234.56", t + HOUR - 1,
                     "3100.2", 120, "600.1", "1500.5", "0"])
    return rows


@pytest.fixture()
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture()
def adapter(client: FakeClient) -> BinanceAdapter:
    return BinanceAdapter(client, clock=lambda: 1_767_225_590.0)  # type: ignore[arg-type]


def test_klines_when_asked_again_then_same_as_a_fresh_parse_and_old_rows_reused(adapter, client):
    first, later = _rows(5), _rows(5, first=1, last_close="2.7777")  # moved on one hour
    client.script("futures_klines", first, later)
    before = adapter.klines("ATOMUSDT", "1h", limit=5)
    after = adapter.klines("ATOMUSDT", "1h", limit=5)
    assert before == wire.parse_klines(first) and after == wire.parse_klines(later)
    assert all(a is b for a, b in zip(after[:3], before[1:4], strict=True))  # closed: reused
    assert after[4].close == wire.parse_klines(later)[4].close


def test_klines_when_live_candle_moved_then_it_is_parsed_again(adapter, client):
    client.script("futures_klines", _rows(3), _rows(3, last_close="2.6000"))
    adapter.klines("ATOMUSDT", "1h", limit=3)
    [*_, live] = adapter.klines("ATOMUSDT", "1h", limit=3)
    assert str(live.close) == "2.6000"


def test_klines_when_a_row_is_malformed_then_unreadable_answer(adapter, client):
    good = _rows(3)
    client.script("futures_klines", good, [*good[:2], good[2][:5]])
    adapter.klines("ATOMUSDT", "1h", limit=3)
    with pytest.raises(errors.UnknownStatusError, match="unreadable answer"):
        adapter.klines("ATOMUSDT", "1h", limit=3)
