"""Final candles kept by ``MinuteBars`` answer exactly what aggregating the minutes again would.

A bars object that has answered klines (and so kept its final candles) is compared with a
copy of the same minutes that never answered before, after the changes bars go through:
new minutes, trades into the live one, a gap, a window dropped at the front, history put
in front, and answers over other ranges in between; what is kept is one answer's worth.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from bot.paper.market import INTERVAL_MS
from bot.paper.market.bars import MinuteBars
from tests.unit.paper.market.helpers import MINUTE, START

INTERVALS = ["1m", "5m", "15m", "1h", "4h"]


def _bars(base_ms: int, minutes: int, seed: int) -> MinuteBars:
    bars = MinuteBars(base_ms, Decimal("0.01"), Decimal("0.001"))
    rng = random.Random(seed)
    price = 10_000
    for i in range(minutes):
        bars.open_minute(base_ms + i * MINUTE, price)
        for _ in range(3):
            price = max(1, price + rng.randint(-40, 40))
            bars.trade(price, rng.randint(0, 50), rng.randint(0, 3), rng.random() < 0.5)
    return bars


def _fresh(bars: MinuteBars) -> MinuteBars:
    """The same minutes in a bars object that has kept nothing."""
    copy = MinuteBars(bars.base_ms, bars.tick, bars.vol_unit, bars.quote_unit)
    for name in ("o", "h", "l", "c", "v", "q", "n", "tb", "tq"):
        setattr(copy, name, list(getattr(bars, name)))
    return copy


def _wire(candles):
    return [c.to_wire() for c in candles]


def _same(bars: MinuteBars, **query) -> None:
    for interval in INTERVALS:
        kept = bars.klines(interval, query.get("start"), query.get("end"), query.get("limit", 500))
        again = _fresh(bars).klines(interval, query.get("start"), query.get("end"),
                                    query.get("limit", 500))
        assert kept == again and _wire(kept) == _wire(again), interval


def test_final_candles_when_the_market_moves_on_then_answers_are_unchanged():
    bars = _bars(START + 7 * MINUTE, 600, seed=1)
    rng = random.Random(5)
    for _ in range(150):
        _same(bars, limit=100)
        minute = bars.last_open_ms + MINUTE * (3 if rng.random() < 0.05 else 1)  # some gaps
        bars.open_minute(minute, bars.c[-1])
        bars.trade(bars.c[-1] + rng.randint(-30, 30), 5, 1)
    _same(bars, limit=1500)
    _same(bars, start=START + 40 * MINUTE, limit=50)
    _same(bars, start=START, end=START + 5 * 60 * MINUTE, limit=1500)


def test_final_candles_when_the_front_is_dropped_then_the_cut_candle_is_partial_again():
    bars = _bars(START, 3000, seed=2)
    _same(bars, limit=1500)
    bars.drop_before(START + 97 * MINUTE)  # inside a 5m, 15m, 1h and 4h candle
    _same(bars, limit=1500)
    assert bars.klines("1h", None, None, 1500)[0].open_time == START + 60 * MINUTE


def test_final_candles_when_history_is_put_in_front_then_the_first_candle_is_whole():
    live = _bars(START + 3 * 60 * MINUTE + 20 * MINUTE, 200, seed=3)
    _same(live, limit=1500)
    older = _bars(START, 3 * 60 + 20, seed=4)
    live.prepend(older)
    _same(live, limit=1500)


@pytest.mark.parametrize("interval", ["1m", "5m"])
def test_final_candles_when_ranges_alternate_then_one_answer_kept_and_answers_unchanged(interval):
    step = INTERVAL_MS[interval]
    bars = _bars(START, 3000 * step // MINUTE, seed=6)
    for start in (START, START + 1000 * step, None, START + 10 * step, None):
        kept = bars.klines(interval, start, None, 1500)
        again = _fresh(bars).klines(interval, start, None, 1500)
        assert kept == again and _wire(kept) == _wire(again)
        assert len(bars._final[step]) <= 1500
