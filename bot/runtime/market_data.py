"""Candles the bot already paid for, shared by the strategy, the regime and the dashboard.

The dashboard's chart reads only this cache, so a browser refresh never
costs an exchange request; the scheduled jobs are the only ones that fetch. Its age
is counted on the bot's clock (the venue's in paper mode), so an accelerated or
replayed venue never serves candles from its past.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.domain import Kline
from bot.protection.ports import Exchange


class KlineCache:
    def __init__(self, exchange: Exchange, ttl_s: float = 20.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ex = exchange
        self._ttl = ttl_s
        self._now = monotonic
        self._data: dict[tuple[str, str], tuple[float, int, list[Kline]]] = {}
        self._lock = threading.Lock()

    def klines(self, symbol: str, interval: str, limit: int = 500) -> list[Kline]:
        """Fetch when stale or too short; otherwise the cached candles (the last ``limit``)."""
        key = (symbol, interval)
        with self._lock:
            hit = self._data.get(key)
        if hit is not None and self._now() - hit[0] < self._ttl and hit[1] >= limit:
            return hit[2][-limit:]
        candles = self._ex.klines(symbol, interval, limit)
        with self._lock:
            self._data[key] = (self._now(), limit, candles)
        return candles

    def cached(self, symbol: str, interval: str | None = None) -> list[Kline]:
        """Whatever is in memory for the symbol (the finest interval cached); never fetches."""
        with self._lock:
            hits = [(k[1], v[2]) for k, v in self._data.items()
                    if k[0] == symbol and (interval is None or k[1] == interval)]
        if not hits:
            return []
        hits.sort(key=lambda h: _interval_seconds(h[0]))
        return list(hits[0][1])


def _interval_seconds(interval: str) -> int:
    unit = {"m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000}
    try:
        return int(interval[:-1]) * unit[interval[-1]]
    except (KeyError, ValueError):
        return 10**9
