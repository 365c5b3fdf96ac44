"""The replay's market: Binance's monthly and daily files, zipped or not, with or without the
header; streamed with a bounded window, and playing exactly what ``ReplayMarket`` plays."""

from __future__ import annotations

from datetime import date

import pytest

from bot.paper.market import MarketDataError, ReplayMarket, WindowedReplayMarket
from bot.paper.market.csv_files import list_files
from bot.replay.synthetic import write_symbol

T0 = 1_767_225_600_000  # 2026-01-01T00:00Z
MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000


def _ticks(market, start, minutes):
    out = []
    for m in range(1, minutes + 1):
        out += [(t.symbol, t.time_ms, t.last) for t in market.advance_to(start + m * MIN)]
    return out


@pytest.mark.parametrize("layout", [
    {"daily": True, "zipped": True, "header": False},
    {"daily": True, "zipped": False, "header": True},
    {"daily": False, "zipped": True, "header": True},
])
def test_market_when_files_are_daily_or_zipped_then_the_replay_is_the_monthly_csv_one(
        tmp_path, layout):
    plain, other = tmp_path / "plain", tmp_path / "other"
    for folder, options in ((plain, {}), (other, layout)):
        write_symbol(folder, "BTCUSDT", date(2026, 1, 1), 3, seed=4, **options)
    start = T0 + DAY + 7 * HOUR
    reference = ReplayMarket(plain, start_ms=start)
    windowed = WindowedReplayMarket(other, start)
    assert _ticks(windowed, start, 600) == _ticks(reference, start, 600)
    assert (windowed.klines("BTCUSDT", "1h", limit=30)
            == reference.klines("BTCUSDT", "1h", limit=30))


def test_market_when_a_daily_file_lies_in_a_month_file_then_the_month_wins(tmp_path):
    write_symbol(tmp_path, "BTCUSDT", date(2026, 1, 1), 2, seed=1)
    write_symbol(tmp_path, "BTCUSDT", date(2026, 1, 31), 2, seed=9, daily=True)
    write_symbol(tmp_path, "BTCUSDT", date(2026, 1, 31), 1, seed=9, daily=True, zipped=True)
    names = [f.path.name for f in list_files(tmp_path)["BTCUSDT"]]
    assert names == ["BTCUSDT-1m-2026-01.csv", "BTCUSDT-1m-2026-02-01.csv"]


def test_market_when_the_replay_runs_long_then_only_the_window_is_kept(tmp_path):
    write_symbol(tmp_path, "BTCUSDT", date(2026, 1, 1), 6, seed=2, daily=True)
    market = WindowedReplayMarket(tmp_path, T0 + DAY, keep_ms=6 * HOUR)
    state = market._states["BTCUSDT"]
    for m in range(1, 4 * 1440 + 1):
        market.advance_to(T0 + DAY + m * MIN)
    # played history: the window plus at most the day it is trimmed by; rows ahead: a day
    assert len(state.bars) <= (6 * HOUR + DAY) // MIN + 2
    assert len(state.src) <= 2 * DAY // MIN + 2
    [last] = market.klines("BTCUSDT", "1m", limit=1)
    assert last.open_time == T0 + 5 * DAY


def test_market_when_two_files_overlap_then_it_names_the_later_one(tmp_path):
    write_symbol(tmp_path, "BTCUSDT", date(2026, 1, 1), 1, seed=1, daily=True)
    late = write_symbol(tmp_path, "BTCUSDT", date(2026, 1, 2), 1, seed=1, daily=True)[0]
    text = late.read_text().splitlines()
    first_row = text[1].split(",")
    first_row[0] = str(T0 + DAY - MIN)  # the first row of day 2 says 23:59 of day 1
    late.write_text("\n".join([text[0], ",".join(first_row), *text[2:]]) + "\n")
    with pytest.raises(MarketDataError, match="BTCUSDT-1m-2026-01-02.csv line 1: overlaps"):
        WindowedReplayMarket(tmp_path, T0 + DAY)
