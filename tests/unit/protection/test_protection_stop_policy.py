"""The one stop policy: distance, cap, snapping and Wilder's ATR, for entries and strangers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.domain import Direction, Kline, SymbolFilters
from bot.protection.stop_policy import (
    MAX_STOP_FRACTION,
    StopMode,
    StopPolicy,
    atr_of,
    farther_stop,
    round_stop,
    round_target,
)

D = Decimal
F = SymbolFilters("X", D("0.01"), D("0.001"), D("0.001"), D("1000"), D("5"))
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _bars(ranges: list[str], close: str = "100") -> list[Kline]:
    c = D(close)
    return [Kline(T0 + timedelta(minutes=i), c, c + D(r) / 2, c - D(r) / 2, c, D(1),
                  T0 + timedelta(minutes=i + 1)) for i, r in enumerate(ranges)]


def test_atr_of_when_constant_ranges_then_the_range_and_none_when_too_short() -> None:
    assert atr_of(_bars(["2"] * 20), 14) == D("2")
    assert atr_of(_bars(["2"] * 10), 14) is None


def test_atr_of_when_ranges_grow_then_wilder_smoothing_not_a_plain_mean() -> None:
    bars = _bars(["1"] * 15 + ["15"])  # 14 ranges of 1 seed the average, then one of 15
    assert atr_of(bars, 14) == (D(1) * 13 + D(15)) / 14


@pytest.mark.parametrize(("mode", "atr", "expected"), [
    (StopMode.ATR, D("3"), D("6")),  # 2 x ATR
    (StopMode.ATR, None, D("2")),  # no ATR: the percent
    (StopMode.PERCENT, D("3"), D("2")),  # percent mode ignores the ATR
    (StopMode.ATR, D("40"), D("25")),  # capped at 25 % of the price
])
def test_distance_when_mode_and_atr_then_expected(mode: StopMode, atr: Decimal | None,
                                                  expected: Decimal) -> None:
    assert StopPolicy(mode, D("2"), D("0.02")).distance(D("100"), atr) == expected
    assert MAX_STOP_FRACTION == D("0.25")


def test_stop_for_when_short_then_above_and_long_below() -> None:
    policy = StopPolicy(StopMode.PERCENT, pct=D("0.05"))
    assert policy.stop_for(Direction.LONG, D("100"), None) == D("95")
    assert policy.stop_for(Direction.SHORT, D("100"), None) == D("105")


def test_round_stop_and_target_when_off_tick_then_away_from_the_position() -> None:
    assert round_stop(Direction.LONG, D("9.4567"), F) == D("9.45")
    assert round_stop(Direction.SHORT, D("10.5412"), F) == D("10.55")
    assert round_target(Direction.LONG, D("12.001"), F) == D("12.01")
    assert round_target(Direction.SHORT, D("7.999"), F) == D("7.99")


def test_farther_stop_when_two_triggers_then_the_one_farther_on_the_losing_side() -> None:
    assert farther_stop(Direction.LONG, D("95"), D("99.9")) == D("95")
    assert farther_stop(Direction.SHORT, D("105"), D("100.1")) == D("105")
