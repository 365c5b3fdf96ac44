from __future__ import annotations

import pytest

from bot.decisions.indicators import adx, ema, slope_pct, true_ranges
from tests.unit.decisions.builders import flat_closes, trend_closes


def test_ema_seeds_with_the_mean_then_smooths():
    assert ema([1, 2, 3, 4, 5], 3) == pytest.approx([2.0, 3.0, 4.0])


def test_ema_of_a_constant_is_the_constant_and_short_input_gives_nothing():
    assert ema([7.0] * 10, 4) == pytest.approx([7.0] * 7)
    assert ema([1.0, 2.0], 3) == []


@pytest.mark.parametrize("period", [0, -3])
def test_indicators_refuse_a_period_below_one(period):
    with pytest.raises(ValueError, match="period"):
        ema([1.0, 2.0], period)


def test_true_range_includes_the_gap_from_the_previous_close():
    # bar 2 gaps up: high-low is 1, but |high - prev close| is 11
    assert true_ranges([10, 21], [9, 20], [10, 20.5]) == pytest.approx([11.0])


def test_adx_is_high_in_a_steady_trend_and_low_in_a_zigzag():
    up = trend_closes(120, 0.01, noise=0.001)
    zig = flat_closes(120, amplitude=0.01, period=2)
    strong = adx([c * 1.002 for c in up], [c * 0.998 for c in up], up)
    weak = adx([c * 1.002 for c in zig], [c * 0.998 for c in zig], zig)
    assert strong is not None and strong > 40
    assert weak is not None and weak < 20


def test_adx_needs_two_periods_of_bars():
    closes = trend_closes(28, 0.01)
    assert adx(closes, closes, closes, 14) is None
    closes = trend_closes(29, 0.01)
    assert adx(closes, closes, closes, 14) is not None


def test_slope_sign_follows_the_direction_and_is_scale_free():
    assert slope_pct([1, 2, 3, 4], 4) > 0
    assert slope_pct([4, 3, 2, 1], 4) < 0
    assert slope_pct([5, 5, 5, 5], 4) == 0
    assert slope_pct([100, 200, 300], 3) == pytest.approx(slope_pct([1, 2, 3], 3))
    assert slope_pct([1, 2], 3) is None


def test_mismatched_series_and_bad_lookback_are_refused():
    with pytest.raises(ValueError, match="same length"):
        true_ranges([1.0, 2.0], [1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="lookback"):
        slope_pct([1.0, 2.0], 1)
