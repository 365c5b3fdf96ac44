"""Trend indicators on plain float sequences.

Floats are fine here: these numbers only rank and classify, they never price
an order. Anything that leaves the decisions package as a price is Decimal.
Smoothing follows Wilder (ATR, ADX) so values match what traders see on charts.
"""

from __future__ import annotations

from collections.abc import Sequence


def ema(values: Sequence[float], period: int) -> list[float]:
    """Exponential moving average, seeded with the simple mean of the first ``period`` values.

    Returns one value per input from index ``period - 1`` on (shorter than the input).
    """
    _check_period(period)
    if len(values) < period:
        return []
    alpha = 2.0 / (period + 1)
    current = sum(values[:period]) / period
    out = [current]
    for value in values[period:]:
        current = alpha * value + (1 - alpha) * current
        out.append(current)
    return out


def true_ranges(
    highs: Sequence[float], lows: Sequence[float], closes: Sequence[float],
) -> list[float]:
    """True range of each bar after the first (it needs the previous close)."""
    _check_lengths(highs, lows, closes)
    return [
        max(highs[i] - lows[i], abs(highs[i] - closes[i - 1]), abs(lows[i] - closes[i - 1]))
        for i in range(1, len(closes))
    ]


def adx(
    highs: Sequence[float], lows: Sequence[float], closes: Sequence[float], period: int = 14,
) -> float | None:
    """Wilder's average directional index (0-100) of the latest bar; None when too short.

    Needs about ``2 * period + 1`` bars: one smoothing for +DI/-DI, one for DX.
    """
    _check_period(period)
    _check_lengths(highs, lows, closes)
    plus_dm: list[float] = []
    minus_dm: list[float] = []
    for i in range(1, len(closes)):
        up = highs[i] - highs[i - 1]
        down = lows[i - 1] - lows[i]
        plus_dm.append(up if up > down and up > 0 else 0.0)
        minus_dm.append(down if down > up and down > 0 else 0.0)
    ranges = true_ranges(highs, lows, closes)
    if len(ranges) < 2 * period:
        return None
    tr_s = _wilder_sums(ranges, period)
    plus_s = _wilder_sums(plus_dm, period)
    minus_s = _wilder_sums(minus_dm, period)
    dx: list[float] = []
    for tr_v, p_v, m_v in zip(tr_s, plus_s, minus_s, strict=True):
        if tr_v <= 0:
            dx.append(0.0)
            continue
        plus_di = 100 * p_v / tr_v
        minus_di = 100 * m_v / tr_v
        total = plus_di + minus_di
        dx.append(0.0 if total == 0 else 100 * abs(plus_di - minus_di) / total)
    return _wilder(dx, period)[-1]


def slope_pct(values: Sequence[float], lookback: int) -> float | None:
    """Least-squares slope of the last ``lookback`` values, in percent of their mean per bar.

    Normalised so one threshold works for BTC at 90 000 and ICX at 0.2.
    """
    if lookback < 2:
        raise ValueError("slope lookback must be >= 2")
    if len(values) < lookback:
        return None
    window = values[-lookback:]
    n = float(lookback)
    mean_x = (n - 1) / 2
    mean_y = sum(window) / n
    if mean_y == 0:
        return 0.0
    num = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(window))
    den = sum((i - mean_x) ** 2 for i in range(lookback))
    return 100 * (num / den) / mean_y


def _wilder(values: Sequence[float], period: int) -> list[float]:
    current = sum(values[:period]) / period
    out = [current]
    for value in values[period:]:
        current = (current * (period - 1) + value) / period
        out.append(current)
    return out


def _wilder_sums(values: Sequence[float], period: int) -> list[float]:
    current = sum(values[:period])
    out = [current]
    for value in values[period:]:
        current = current - current / period + value
        out.append(current)
    return out


def _check_period(period: int) -> None:
    if period < 1:
        raise ValueError(f"indicator period must be >= 1, got {period}")


def _check_lengths(*series: Sequence[float]) -> None:
    if len({len(s) for s in series}) > 1:
        raise ValueError("highs, lows and closes must have the same length")
