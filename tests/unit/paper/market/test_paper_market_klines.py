"""Klines like Binance's: 1m bars aggregated into UTC-aligned intervals, limit and time filters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.paper.market import INTERVAL_MS, Candle, MarketSimulator
from tests.unit.paper.market.helpers import HOUR, MINUTE, START

DAY = 86_400_000


@pytest.fixture(scope="module")
def sim() -> MarketSimulator:
    market = MarketSimulator(["BTCUSDT", "SOLUSDT"], seed=7, start_ms=START + 12 * MINUTE + 345)
    market.advance_to(START + 3 * HOUR + 25 * MINUTE + 10_000)
    return market


@pytest.mark.parametrize("interval", ["3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h",
                                      "12h", "1d"])
def test_each_candle_aggregates_its_minutes(sim, interval):
    step = INTERVAL_MS[interval]
    candles = sim.klines("BTCUSDT", interval, limit=6)
    for c in candles:
        minutes: list[Candle] = []
        t = c.open_time
        while t <= c.close_time:
            end = min(c.close_time, t + 1499 * MINUTE)
            part = sim.klines("BTCUSDT", "1m", start_ms=t, end_ms=end, limit=1500)
            minutes += part
            t += 1500 * MINUTE
        assert minutes and minutes[0].open_time == c.open_time
        assert c.open == minutes[0].open and c.close == minutes[-1].close
        assert c.high == max(m.high for m in minutes) and c.low == min(m.low for m in minutes)
        assert c.volume == sum(m.volume for m in minutes)
        assert c.quote_volume == sum(m.quote_volume for m in minutes)
        assert c.taker_buy_volume == sum(m.taker_buy_volume for m in minutes)
        assert c.trades == sum(m.trades for m in minutes)
        assert c.close_time == c.open_time + step - 1


@pytest.mark.parametrize("interval", list(INTERVAL_MS))
def test_candles_are_utc_aligned_and_contiguous_up_to_the_live_one(sim, interval):
    step = INTERVAL_MS[interval]
    candles = sim.klines("SOLUSDT", interval, limit=1500)
    assert all(c.open_time % step == 0 for c in candles)
    pairs = zip(candles, candles[1:], strict=False)
    assert all(b.open_time - a.open_time == step for a, b in pairs)
    now = sim.now_ms
    assert candles[-1].open_time == now - now % step
    assert candles[-1].close == sim.last_price("SOLUSDT")


def test_the_live_candle_holds_every_tick_of_its_minute():
    market = MarketSimulator(["ETHUSDT"], seed=2, start_ms=START)
    ticks = market.advance_to(START + 59_000)
    live = market.klines("ETHUSDT", "1m", limit=1)[0]
    assert live.open_time == START
    assert live.high == max(t.last for t in ticks) and live.low == min(t.last for t in ticks)
    assert live.close == ticks[-1].last and live.volume > 0


def test_default_limit_is_500_and_limits_are_checked(sim):
    assert len(sim.klines("BTCUSDT", "1m")) == 500
    assert len(sim.klines("BTCUSDT", "1m", limit=1500)) == 1500
    for bad in (0, -1, 1501, True, 2.5):
        with pytest.raises(ValueError, match="limit"):
            sim.klines("BTCUSDT", "1m", limit=bad)
    with pytest.raises(ValueError, match="interval"):
        sim.klines("BTCUSDT", "7m")


def test_start_and_end_filter_open_times_like_binance(sim):
    start = START - 5 * HOUR + 1  # mid-candle: the first candle opens after it
    from_start = sim.klines("BTCUSDT", "1h", start_ms=start, limit=3)
    assert [c.open_time for c in from_start] == [START - 4 * HOUR + i * HOUR for i in range(3)]
    to_end = sim.klines("BTCUSDT", "1h", end_ms=START - 1, limit=2)
    assert [c.open_time for c in to_end] == [START - 2 * HOUR, START - HOUR]
    both = sim.klines("BTCUSDT", "1h", start_ms=START - 10 * HOUR, end_ms=START - 8 * HOUR)
    assert [c.open_time for c in both] == [START - 10 * HOUR, START - 9 * HOUR, START - 8 * HOUR]
    assert sim.klines("BTCUSDT", "1h", start_ms=START + DAY) == []
    assert sim.klines("BTCUSDT", "1d", end_ms=0) == []
    with pytest.raises(ValueError):
        sim.klines("BTCUSDT", "1h", start_ms=START, end_ms=START - 1)


def test_wire_format_matches_binance_kline_arrays(sim):
    sol = sim.klines("SOLUSDT", "1h", end_ms=START - 1, limit=1)[0].to_wire()
    assert len(sol) == 12 and sol[-1] == "0"
    assert isinstance(sol[0], int) and isinstance(sol[6], int) and isinstance(sol[8], int)
    assert sol[6] == sol[0] + HOUR - 1
    assert all(len(sol[i].split(".")[1]) == 4 for i in (1, 2, 3, 4))
    last_history_minute = START + 11 * MINUTE
    sol_1m = sim.klines("SOLUSDT", "1m", end_ms=last_history_minute, limit=1)[0].to_wire()
    assert sol_1m[4] == "180.0000"
    btc = sim.klines("BTCUSDT", "1m", end_ms=last_history_minute, limit=1)[0].to_wire()
    assert btc[4] == "95000.00"
    assert Decimal(btc[7]) > Decimal(btc[5]) * 90_000  # quote volume ~ volume * price


def test_candle_to_wire_honours_an_explicit_precision():
    c = Candle(0, Decimal("1.5"), Decimal("2"), Decimal("1"), Decimal("1.25"), Decimal("3"),
               59_999, 4, price_precision=3)
    assert c.to_wire()[1:5] == ["1.500", "2.000", "1.000", "1.250"]
