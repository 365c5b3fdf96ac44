from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.decisions.strategy import TrendFollowingStrategy, TrendParams, scan_symbols
from bot.domain import Direction
from tests.unit.decisions.builders import (
    FakeClock,
    flat_closes,
    klines_from_closes,
    trend_closes,
)

M15 = timedelta(minutes=15)


def _v_shape():
    down = trend_closes(80, -0.004, seed=3)
    up = trend_closes(60, 0.006, seed=4, start=down[-1])
    return klines_from_closes(down + up, interval=M15)


def _walk(strategy, clock, klines, start=40):
    """Scan as the live job would: one call per newly closed candle."""
    out = []
    for i in range(start, len(klines)):
        clock.now = klines[i].close_time + timedelta(seconds=1)
        signal = strategy.scan("ATOMUSDT", klines[: i + 1])
        if signal:
            out.append((i, signal))
    return out


def test_a_reversal_produces_a_long_with_atr_stop_and_r_target():
    clock = FakeClock()
    klines = _v_shape()
    signals = _walk(TrendFollowingStrategy(clock=clock), clock, klines)
    after = [(i, s) for i, s in signals if i > 85]
    assert after and after[0][1].direction is Direction.LONG
    i, s = after[0]
    entry = klines[i].close
    assert s.stop_price < entry < s.target_price
    assert s.target_price - entry == pytest.approx(2 * (entry - s.stop_price), rel=Decimal("1e-6"))
    assert 0.0 <= s.confidence <= 1.0 and s.source == "trend"
    assert s.id == f"trend-ATOMUSDT-{int(klines[i].close_time.timestamp() * 1000)}"
    assert all(sig.direction is Direction.SHORT for j, sig in signals if 45 < j < 78)


def test_the_same_candles_give_the_same_signals():
    klines = _v_shape()
    runs = []
    for _ in range(2):
        clock = FakeClock()
        runs.append(_walk(TrendFollowingStrategy(clock=clock), clock, klines))
    assert runs[0] == runs[1] and runs[0]


def test_a_candle_signals_only_once():
    clock = FakeClock()
    klines = _v_shape()
    strategy = TrendFollowingStrategy(clock=clock)
    i, _ = _walk(TrendFollowingStrategy(clock=clock), clock, klines)[-1]
    clock.now = klines[i].close_time + timedelta(seconds=1)
    assert strategy.scan("ATOMUSDT", klines[: i + 1]) is not None
    assert strategy.scan("ATOMUSDT", klines[: i + 1]) is None


def test_the_forming_candle_is_ignored():
    clock = FakeClock()
    klines = _v_shape()
    i, signal = _walk(TrendFollowingStrategy(clock=clock), clock, klines)[-1]
    clock.now = klines[i].close_time - timedelta(minutes=1)  # candle i still forming
    fresh = TrendFollowingStrategy(clock=clock)
    assert fresh.scan("ATOMUSDT", klines[: i + 1]) != signal


def test_chop_below_adx_min_gives_nothing():
    chop = klines_from_closes(flat_closes(150, amplitude=0.01, period=12), interval=M15)
    clock = FakeClock()
    assert _walk(TrendFollowingStrategy(clock=clock), clock, chop) == []
    clock = FakeClock()
    assert _walk(TrendFollowingStrategy(TrendParams(adx_min=0), clock=clock), clock, chop)


def test_too_few_candles_give_nothing():
    clock = FakeClock()
    klines = _v_shape()[:20]
    clock.now = klines[-1].close_time + timedelta(seconds=1)
    assert TrendFollowingStrategy(clock=clock).scan("ATOMUSDT", klines) is None


@pytest.mark.parametrize("kw", [{"fast": 21, "slow": 9}, {"atr_mult": 0}, {"breakout": -1},
                                {"r_multiple": Decimal("-1")}])
def test_params_refuse_nonsense(kw):
    with pytest.raises(ValueError):
        TrendParams(**kw)


def test_scan_symbols_queues_signals_and_skips_a_failing_symbol():
    clock = FakeClock()
    klines = _v_shape()
    i, _ = _walk(TrendFollowingStrategy(clock=clock), clock, klines)[-1]
    clock.now = klines[i].close_time + timedelta(seconds=1)

    def provider(symbol, interval, limit):
        if symbol == "BROKEN":
            raise ConnectionError("read failed")
        return klines[: i + 1]

    queued = []
    ids = scan_symbols(TrendFollowingStrategy(clock=clock), ["BROKEN", "ATOMUSDT", "ICXUSDT"],
                       provider, lambda s: queued.append(s) or s.id, "15m", 100)
    assert [s.symbol for s in queued] == ["ATOMUSDT", "ICXUSDT"] and ids == [s.id for s in queued]
