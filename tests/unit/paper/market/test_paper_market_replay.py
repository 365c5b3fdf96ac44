"""Replaying Binance monthly 1m kline files: history, tick order, set_price, clear errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.paper.market import MarketDataError, ReplayMarket, UnknownSymbolError
from tests.unit.paper.market.helpers import FEB_1, HOUR, MINUTE, kline_rows, write_csv

DAYS = 2
ROWS = DAYS * 1440


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    write_csv(tmp_path / "ETHUSDT-1m-2026-02.csv", kline_rows(FEB_1, ROWS, "3300.00", 1), True)
    write_csv(tmp_path / "XYZUSDT-1m-2026-02.csv", kline_rows(FEB_1, ROWS, "12.50", 2), False)
    (tmp_path / "notes.txt").write_text("not a kline file", encoding="utf-8")
    return tmp_path


def test_history_before_start_is_the_files_minutes_with_and_without_header(data_dir):
    market = ReplayMarket(data_dir)
    assert market.symbols() == ["ETHUSDT", "XYZUSDT"]
    assert market.start_ms == FEB_1 + DAYS * 1440 * MINUTE // 2 - MINUTE // 2
    for symbol, price, seed in (("ETHUSDT", "3300.00", 1), ("XYZUSDT", "12.50", 2)):
        rows = kline_rows(FEB_1, ROWS, price, seed)
        history = market.klines(symbol, "1m", end_ms=market.start_ms - MINUTE, limit=1500)
        assert len(history) == 1439
        row = rows[history[-1].open_time // MINUTE - FEB_1 // MINUTE]
        assert history[-1].to_wire() == [int(row[0])] + row[1:6] + [int(row[6]), row[7],
                                                                    int(row[8])] + row[9:]


def test_explicit_start_and_hourly_aggregation(data_dir):
    market = ReplayMarket(data_dir, symbols=["ETHUSDT"], start_ms=FEB_1 + 30 * HOUR)
    assert market.symbols() == ["ETHUSDT"]
    hours = market.klines("ETHUSDT", "1h", limit=1500)
    assert [h.open_time for h in hours] == [FEB_1 + i * HOUR for i in range(31)]
    minutes = market.klines("ETHUSDT", "1m", start_ms=FEB_1 + 5 * HOUR, end_ms=FEB_1 + 6 * HOUR - 1)
    h = hours[5]
    assert (h.open, h.close) == (minutes[0].open, minutes[-1].close)
    assert h.high == max(m.high for m in minutes) and h.low == min(m.low for m in minutes)
    assert h.volume == sum(m.volume for m in minutes) and h.trades == sum(m.trades for m in minutes)


def test_each_minute_plays_open_extremes_close_in_order(data_dir):
    start = FEB_1 + 10 * HOUR
    market = ReplayMarket(data_dir, symbols=["ETHUSDT"], start_ms=start)
    rows = kline_rows(FEB_1, ROWS, "3300.00", 1)
    assert market.last_price("ETHUSDT") == Decimal(rows[600][1])
    ticks = market.advance_to(start + 2 * MINUTE - 1)
    expected, last = [], Decimal(rows[600][1])
    for index in (600, 601):
        o, h, low, c = (Decimal(x) for x in rows[index][1:5])
        minute = FEB_1 + index * MINUTE
        path = [o, low, h, c] if c >= o else [o, h, low, c]
        for offset, price in zip((0, 15_000, 30_000, 45_000), path, strict=True):
            if price != last:  # an unchanged price is no update
                expected.append((minute + offset, price))
            last = price
    assert [(t.time_ms, t.last) for t in ticks] == expected
    assert all(t.mark == t.last for t in ticks)
    live = market.klines("ETHUSDT", "1m", limit=1)[0]
    assert live.open_time == start + MINUTE and live.close == Decimal(rows[601][4])


def test_replay_stops_at_the_end_of_the_data_and_keeps_the_last_price(data_dir):
    last_minute = FEB_1 + (ROWS - 1) * MINUTE
    market = ReplayMarket(data_dir, symbols=["XYZUSDT"], start_ms=last_minute)
    market.advance_to(last_minute + MINUTE)
    final = market.last_price("XYZUSDT")
    assert final == Decimal(kline_rows(FEB_1, ROWS, "12.50", 2)[-1][4])
    assert market.advance_to(last_minute + HOUR) == []
    assert market.last_price("XYZUSDT") == final


def test_set_price_shifts_the_rest_of_the_replay(data_dir):
    start = FEB_1 + 10 * HOUR
    market = ReplayMarket(data_dir, symbols=["ETHUSDT"], start_ms=start)
    raw = market.last_price("ETHUSDT")
    target = (raw * Decimal("0.9")).quantize(Decimal("0.01"))
    tick = market.set_price("ETHUSDT", target, start + 1_000)
    assert market.last_price("ETHUSDT") == target == tick.last
    assert market.klines("ETHUSDT", "1m", limit=1)[0].low <= target
    after = market.advance_to(start + 3 * MINUTE)
    assert after[0] == tick
    rows = kline_rows(FEB_1, ROWS, "3300.00", 1)
    close_602 = [t for t in after if t.time_ms == start + 2 * MINUTE + 45_000]
    expected = Decimal(rows[602][4]) * target / raw
    assert close_602 and abs(close_602[0].last - expected) <= Decimal("0.01")


def test_microsecond_timestamps_are_read_as_milliseconds(tmp_path):
    write_csv(tmp_path / "ABCUSDT-1m-2026-02.csv", kline_rows(FEB_1, 120, "5.00", 3, True), True)
    market = ReplayMarket(tmp_path, start_ms=FEB_1 + HOUR)
    assert market.klines("ABCUSDT", "1m", limit=1500)[0].open_time == FEB_1


def test_far_catch_up_copies_minutes_without_a_tick_storm(data_dir):
    market = ReplayMarket(data_dir, start_ms=FEB_1 + HOUR)
    ticks = market.advance_to(FEB_1 + 40 * HOUR)
    assert len(ticks) < 2 * 6 * 60 * 4 + 10
    minutes = market.klines("ETHUSDT", "1m", limit=1500)
    assert all(b.open_time - a.open_time == MINUTE for a, b in zip(minutes, minutes[1:],
                                                                   strict=False))
    assert minutes[-1].open_time == FEB_1 + 40 * HOUR


def test_missing_directory_and_no_files_are_clear_errors(tmp_path):
    with pytest.raises(MarketDataError, match="does not exist"):
        ReplayMarket(tmp_path / "nope")
    with pytest.raises(MarketDataError, match="no SYMBOL-1m-YYYY-MM.csv files"):
        ReplayMarket(tmp_path)


def test_missing_symbol_is_named(data_dir):
    with pytest.raises(MarketDataError, match="SOLUSDT"):
        ReplayMarket(data_dir, symbols=["ETHUSDT", "SOLUSDT"])
    with pytest.raises(UnknownSymbolError):
        ReplayMarket(data_dir).last_price("SOLUSDT")


def _break(rows: list[list[str]], index: int, column: int, value: str) -> list[list[str]]:
    rows = [list(r) for r in rows]
    rows[index][column] = value
    return rows


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: _break(r, 4, 1, "abc"), "open 'abc' is not a number"),
        (lambda r: _break(r, 4, 0, "x"), "must be integers"),
        (lambda r: _break(r, 4, 0, str(FEB_1 + 4 * MINUTE + 7)), "not the start of a minute"),
        (lambda r: _break(r, 4, 0, str(FEB_1 + 2 * MINUTE)), "not after the previous"),
        (lambda r: _break(r, 4, 2, "0.01"), "high/low"),
        (lambda r: _break(r, 4, 5, "-1"), "non-negative"),
        (lambda r: r[:4] + [r[4][:6]] + r[5:], "expected 12 columns"),
    ],
)
def test_malformed_rows_name_the_file_and_line(tmp_path, mutate, message):
    rows = mutate(kline_rows(FEB_1, 10, "100.00", 4))
    write_csv(tmp_path / "BADUSDT-1m-2026-02.csv", rows, header=True)
    with pytest.raises(MarketDataError, match="BADUSDT-1m-2026-02.csv line 6") as err:
        ReplayMarket(tmp_path)
    assert message in str(err.value)


def test_bad_set_price_changes_nothing(data_dir):
    market = ReplayMarket(data_dir, symbols=["ETHUSDT"])
    before = market.last_price("ETHUSDT")
    for bad in (Decimal(0), Decimal(-1), "x"):
        with pytest.raises(ValueError):
            market.set_price("ETHUSDT", bad, market.start_ms + 1)
    assert market.last_price("ETHUSDT") == before
