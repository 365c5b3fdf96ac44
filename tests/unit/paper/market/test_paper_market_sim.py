"""The simulator's path: determinism, realism (trends, correlation, gaps), ticks and speed."""

from __future__ import annotations

import math
import time
from decimal import Decimal

import pytest

from bot.paper.market import (
    KNOWN_MARKETS,
    MarketSimulator,
    Phase,
    UnknownSymbolError,
    market_spec,
)
from tests.unit.paper.market.helpers import (
    HOUR,
    MINUTE,
    SEVEN,
    START,
    correlation,
    ema,
    log_returns,
)


@pytest.fixture(scope="module")
def sim() -> MarketSimulator:
    """A read-only market advanced by two simulated hours; tests must not move it."""
    market = MarketSimulator(seed=7, start_ms=START)
    market.advance_to(START + 2 * HOUR)
    return market


def test_same_seed_same_calls_give_identical_ticks_and_klines():
    a, b = MarketSimulator(seed=11, start_ms=START), MarketSimulator(seed=11, start_ms=START)
    assert a.advance_to(START + 600_000) == b.advance_to(START + 600_000)
    assert a.klines("SOLUSDT", "1h") == b.klines("SOLUSDT", "1h")
    assert a.klines("BTCUSDT", "1m", limit=1500) == b.klines("BTCUSDT", "1m", limit=1500)


def test_different_seed_gives_a_different_path():
    a, b = MarketSimulator(seed=1, start_ms=START), MarketSimulator(seed=2, start_ms=START)
    assert a.klines("BTCUSDT", "1h") != b.klines("BTCUSDT", "1h")
    assert a.advance_to(START + 60_000) != b.advance_to(START + 60_000)


def test_path_does_not_depend_on_how_often_the_engine_polls():
    one = MarketSimulator(seed=3, start_ms=START)
    many = MarketSimulator(seed=3, start_ms=START)
    whole = one.advance_to(START + 300_000)
    pieces = []
    for t in range(START + 7_300, START + 300_001, 7_300):
        pieces += many.advance_to(t)
    pieces += many.advance_to(START + 300_000)
    assert whole == pieces


def test_advance_to_a_time_not_later_than_the_last_changes_nothing():
    market = MarketSimulator(seed=5, start_ms=START)
    assert market.advance_to(START + 120_000)
    before = {s: (market.last_price(s), market.mark_price(s)) for s in market.symbols()}
    assert market.advance_to(START + 120_000) == []
    assert market.advance_to(START + 1_000) == []
    assert before == {s: (market.last_price(s), market.mark_price(s)) for s in market.symbols()}


def test_ticks_are_ordered_on_tick_size_positive_and_mark_stays_close(sim):
    market = MarketSimulator(seed=9, start_ms=START)
    ticks = market.advance_to(START + HOUR)
    assert [t.time_ms for t in ticks] == sorted(t.time_ms for t in ticks)
    assert {t.symbol for t in ticks} == set(SEVEN)
    for t in ticks:
        tick = KNOWN_MARKETS[t.symbol].tick
        assert t.last > 0 and t.mark > 0
        assert t.last % tick == 0 and t.mark % tick == 0
        assert abs(t.mark - t.last) / t.last < Decimal("0.01")
    assert all((t.time_ms - START) % market.tick_ms == 0 for t in ticks)


def test_history_prices_are_on_tick_and_end_at_the_realistic_start_price(sim):
    for symbol in SEVEN:
        spec = KNOWN_MARKETS[symbol]
        candles = sim.klines(symbol, "1m", end_ms=START - 1, limit=1500)
        assert candles[-1].close == spec.start_price
        for c in candles:
            for price in (c.open, c.high, c.low, c.close):
                assert price > 0 and price % spec.tick == 0
            assert c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high


@pytest.mark.parametrize("symbol", SEVEN[1:])
def test_alts_move_with_btc(sim, symbol):
    btc = log_returns(sim.klines("BTCUSDT", "1h", limit=1500))
    alt = log_returns(sim.klines(symbol, "1h", limit=1500))
    assert correlation(btc, alt) > 0.5


def test_history_has_at_least_300_hourly_candles_before_start(sim):
    hourly = sim.klines("BTCUSDT", "1h", end_ms=START - 1, limit=1500)
    assert len(hourly) >= 300
    assert hourly[-1].open_time == START - HOUR


@pytest.mark.parametrize("seed", [1, 2, 3, 7, 42])
def test_history_shows_up_and_down_trends_to_an_ema_reader(seed):
    market = MarketSimulator(seed=seed, start_ms=START)
    closes = [float(c.close) for c in market.klines("BTCUSDT", "1h", limit=1500)]
    slow, fast = ema(closes, 200), ema(closes, 50)
    up = sum(1 for i in range(200, len(closes))
             if closes[i] > slow[i] * 1.01 and closes[i] > fast[i])
    down = sum(1 for i in range(200, len(closes))
               if closes[i] < slow[i] * 0.99 and closes[i] < fast[i])
    assert up >= 5 and down >= 5
    phases = {p for t, p in market.phases() if t < START}
    assert {Phase.UP, Phase.DOWN} <= phases


def test_gaps_happen_at_the_configured_rate():
    rate = 12.0
    market = MarketSimulator(["ETHUSDT"], seed=4, start_ms=START, gaps_per_day=rate)
    days = (START - market.history_start_ms) / 86_400_000
    gaps = [g for g in market.gaps("ETHUSDT") if not g.forced]
    assert 0.7 * rate * days < len(gaps) < 1.3 * rate * days
    candles = {c.open_time: c for c in market.klines("ETHUSDT", "1m", limit=1500)}
    seen = [g for g in gaps if g.time_ms in candles]
    assert seen
    for g in seen:
        c = candles[g.time_ms]
        assert abs(math.log(c.close / c.open)) > 0.5 * abs(g.log_return)


def test_no_gaps_when_the_rate_is_zero():
    market = MarketSimulator(["XRPUSDT"], seed=4, start_ms=START, gaps_per_day=0)
    market.advance_to(START + 2 * HOUR)
    assert market.gaps("XRPUSDT") == []
    moves = log_returns(market.klines("XRPUSDT", "1m", limit=1500))
    assert max(abs(m) for m in moves) < 0.01


def test_live_gap_is_a_jump_between_two_consecutive_ticks():
    market = MarketSimulator(["BTCUSDT"], seed=8, start_ms=START, gaps_per_day=48)
    ticks = market.advance_to(START + 6 * HOUR)
    live = [g for g in market.gaps("BTCUSDT") if g.time_ms >= START]
    assert live
    by_time = {t.time_ms: t for t in ticks}
    for g in live:
        after = by_time[g.time_ms].last
        before = max((t for t in ticks if t.time_ms < g.time_ms), key=lambda t: t.time_ms,
                     default=None)
        base = before.last if before else KNOWN_MARKETS["BTCUSDT"].start_price
        assert abs(math.log(after / base)) > 0.5 * abs(g.log_return)


def test_set_price_jumps_records_into_the_candle_and_the_path_continues_from_there():
    market = MarketSimulator(["BTCUSDT", "ETHUSDT"], seed=7, start_ms=START)
    market.advance_to(START + 90_000)
    tick = market.set_price("BTCUSDT", Decimal("90000"), START + 95_500)
    assert (tick.last, tick.mark, tick.time_ms) == (Decimal("90000"), Decimal("90000"),
                                                     START + 95_500)
    assert market.last_price("BTCUSDT") == market.mark_price("BTCUSDT") == Decimal("90000")
    candle = market.klines("BTCUSDT", "1m", limit=1)[0]
    assert candle.open_time == START + 60_000
    assert candle.low <= Decimal("90000") == candle.close
    assert candle.high >= Decimal("94000")
    nxt = market.advance_to(START + 200_000)
    # The path up to the jump (stepped by set_price), then the jump, then what follows.
    at = nxt.index(tick)
    assert all(t.time_ms <= tick.time_ms for t in nxt[:at])
    assert nxt[-1].time_ms <= START + 200_000
    assert [t.time_ms for t in nxt] == sorted(t.time_ms for t in nxt)
    after = [t for t in nxt if t.symbol == "BTCUSDT" and t.time_ms > tick.time_ms]
    assert after and all(abs(t.last / Decimal("90000") - 1) < Decimal("0.01") for t in after)
    assert any(g.forced for g in market.gaps("BTCUSDT"))


def test_set_price_with_a_separate_mark():
    market = MarketSimulator(["ETHUSDT"], seed=7, start_ms=START)
    tick = market.set_price("ETHUSDT", Decimal("3000.004"), START + 1_000, mark=Decimal("3001"))
    assert (tick.last, tick.mark) == (Decimal("3000.00"), Decimal("3001.00"))


@pytest.mark.parametrize("bad", [Decimal("0"), Decimal("-5"), Decimal("0.001"), "abc",
                                 Decimal("NaN")])
def test_set_price_refuses_bad_prices_and_changes_nothing(bad):
    market = MarketSimulator(["ETHUSDT"], seed=7, start_ms=START)
    market.advance_to(START + 5_000)
    before = (market.last_price("ETHUSDT"), market.klines("ETHUSDT", "1m", limit=3))
    with pytest.raises(ValueError):
        market.set_price("ETHUSDT", bad, START + 6_000)
    assert before == (market.last_price("ETHUSDT"), market.klines("ETHUSDT", "1m", limit=3))
    assert market.advance_to(START + 5_000) == []


def test_unknown_symbol_is_a_clear_error():
    market = MarketSimulator(["ETHUSDT"], seed=7, start_ms=START)
    for call in (lambda: market.last_price("NOPEUSDT"), lambda: market.mark_price("BTCUSDT"),
                 lambda: market.klines("NOPEUSDT", "1m"),
                 lambda: market.set_price("NOPEUSDT", Decimal(1), START)):
        with pytest.raises(UnknownSymbolError, match="unknown symbol"):
            call()


def test_generic_symbols_get_seeded_parameters_from_their_name():
    a, b = market_spec("S001USDT", 7), market_spec("S002USDT", 7)
    assert a == market_spec("S001USDT", 7) and a != b and a != market_spec("S001USDT", 8)
    assert a.tick == Decimal("0.001") and Decimal(5) < a.start_price < Decimal(20)
    market = MarketSimulator(["S001USDT", "S002USDT"], seed=7, start_ms=START)
    assert market.last_price("S001USDT") == a.start_price
    with pytest.raises(ValueError):
        market_spec("bad-name", 7)


@pytest.mark.parametrize("kwargs", [{"symbols": []}, {"symbols": ["ETHUSDT", "ETHUSDT"]},
                                    {"tick_ms": 0}, {"history_hours": 0},
                                    {"gaps_per_day": -1}])
def test_bad_configuration_is_refused(kwargs):
    with pytest.raises(ValueError):
        MarketSimulator(**kwargs)


def test_far_behind_caller_is_caught_up_quickly_with_contiguous_candles():
    market = MarketSimulator(["BTCUSDT", "ETHUSDT"], seed=7, start_ms=START)
    began = time.perf_counter()
    market.advance_to(START + 3 * 86_400_000)
    assert time.perf_counter() - began < 10
    candles = market.klines("ETHUSDT", "1m", start_ms=START, limit=1500)
    assert [c.open_time for c in candles] == [START + i * MINUTE for i in range(1500)]
    assert market.klines("ETHUSDT", "1m", limit=1)[0].open_time == START + 3 * 86_400_000


def test_advancing_one_hour_for_seven_symbols_is_fast(capsys):
    market = MarketSimulator(seed=7, start_ms=START)
    began = time.perf_counter()
    ticks = market.advance_to(START + HOUR)
    elapsed = time.perf_counter() - began
    with capsys.disabled():
        print(f"\n[market] 1 simulated hour, 7 symbols, tick 1 s: {elapsed * 1000:.0f} ms, "
              f"{len(ticks)} ticks")
    assert elapsed < 1.0


def test_200_symbols_start_at_once_and_build_history_per_symbol(capsys):
    names = [f"S{i:03d}USDT" for i in range(1, 201)]
    began = time.perf_counter()
    market = MarketSimulator(names, seed=7, start_ms=START)
    created = time.perf_counter() - began
    began = time.perf_counter()
    for name in names[:10]:
        assert len(market.klines(name, "1h", end_ms=START - 1)) >= 300
    per_symbol = (time.perf_counter() - began) / 10
    with capsys.disabled():
        print(f"\n[market] 200 symbols: created in {created * 1000:.0f} ms, history "
              f"{per_symbol * 1000:.0f} ms per symbol on first klines")
    assert created < 1.0 and per_symbol < 0.5
