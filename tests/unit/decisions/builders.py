"""Builders shared by the decisions tests: candles, filters, a settable clock."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.domain import Kline, SymbolFilters

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **kwargs: float) -> datetime:
        with self._lock:
            self.now += timedelta(**kwargs)
            return self.now


def klines_from_closes(
    closes: Sequence[float], start: datetime = T0, interval: timedelta = timedelta(hours=1),
    wick: float = 0.002,
) -> list[Kline]:
    """Candles opening at the previous close, with wicks of ``wick`` x price either side."""
    out = []
    prev = closes[0]
    for i, close in enumerate(closes):
        o = prev
        high = max(o, close) * (1 + wick)
        low = min(o, close) * (1 - wick)
        opened = start + i * interval
        out.append(Kline(opened, _d(o), _d(high), _d(low), _d(close), Decimal("10"),
                         opened + interval - timedelta(milliseconds=1)))
        prev = close
    return out


def trend_closes(n: int, drift: float, noise: float = 0.002, seed: int = 1,
                 start: float = 100.0) -> list[float]:
    """Geometric walk: ``drift`` per bar (0.003 = +0.3%) plus seeded noise."""
    rng = random.Random(seed)
    price, out = start, []
    for _ in range(n):
        price *= 1 + drift + rng.gauss(0, noise)
        out.append(price)
    return out


def flat_closes(n: int, amplitude: float = 0.01, period: int = 8, start: float = 100.0
                ) -> list[float]:
    """A mean-reverting zig-zag: no trend, no direction for ADX to find."""
    return [start * (1 + amplitude * math.sin(2 * math.pi * i / period)) for i in range(n)]


def filters(symbol: str = "ATOMUSDT", tick: str = "0.001", step: str = "0.01",
            min_qty: str = "0.01", min_notional: str = "5", max_qty: str = "100000",
            market_max_qty: str | None = None) -> SymbolFilters:
    return SymbolFilters(symbol=symbol, tick_size=Decimal(tick), step_size=Decimal(step),
                         min_qty=Decimal(min_qty), max_qty=Decimal(max_qty),
                         min_notional=Decimal(min_notional),
                         market_max_qty=Decimal(market_max_qty) if market_max_qty else None)


def eventually(condition: Callable[[], bool], timeout: float = 5.0, interval: float = 0.01
               ) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError("condition not met within timeout")


def _d(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")
