"""Which symbols to check next: now (a stream event), once the bot's clock reaches a moment
(a TRIGGERING stop's grace end), or after a pause on the wall (a failed check's retry).

Protection deadlines count on the bot's clock, and in paper mode that is the venue's: it
may run ten times the wall's (the soak) or stand still until a test moves it. A worker can
only sleep in wall time, so while a deadline is pending it never sleeps longer than
``max_wait_s``, and near one it converts what is left with the pace at which the bot's clock
was last seen to run: the check comes within milliseconds of its due time at any speed,
without spinning, and a clock that jumps is noticed within ``max_wait_s``. A retry after a
failure waits on the wall, as the venue's rate-limit holds do.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from bot.domain.ports import Clock

_MIN_WAIT_S = 0.001


class CheckQueue:
    def __init__(self, clock: Clock, max_wait_s: float = 0.1, idle_s: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        """``idle_s``: how long ``take`` waits when nothing at all is pending."""
        self._clock = clock
        self._mono = monotonic
        self._max_wait_s = max_wait_s
        self._idle_s = idle_s
        self._cv = threading.Condition()
        self._ready: set[str] = set()
        self._due: list[tuple[datetime, str]] = []  # on the bot's clock
        self._queued: set[tuple[datetime, str]] = set()
        self._retry: list[tuple[float, str]] = []  # on the wall's monotonic clock
        self._pace = _Pace()

    def now(self, symbols: Iterable[str]) -> None:
        with self._cv:
            self._ready.update(symbols)
            self._cv.notify_all()

    def at(self, symbol: str, due: datetime) -> None:
        """Check ``symbol`` once the bot's clock reaches ``due``; asking twice is one check."""
        with self._cv:
            if (due, symbol) in self._queued:
                return
            self._queued.add((due, symbol))
            heapq.heappush(self._due, (due, symbol))
            self._cv.notify_all()

    def retry(self, symbol: str, wall_s: float) -> None:
        with self._cv:
            heapq.heappush(self._retry, (self._mono() + wall_s, symbol))
            self._cv.notify_all()

    def wake(self) -> None:
        """Let a waiting ``take`` return now (its worker is stopping)."""
        with self._cv:
            self._cv.notify_all()

    def scheduled(self) -> tuple[tuple[datetime, str], ...]:
        """The pending deadlines on the bot's clock, earliest first."""
        with self._cv:
            return tuple(sorted(self._due))

    def take(self) -> list[str]:
        """The symbols due now, sorted, after at most one bounded wait ([] if none came)."""
        with self._cv:
            if not self._collect():
                self._cv.wait(self._wait_s())
                self._collect()
            ready, self._ready = sorted(self._ready), set()
            return ready

    def _collect(self) -> bool:
        now, wall = self._clock(), self._mono()
        self._pace.see(wall, now)
        while self._due and self._due[0][0] <= now:
            entry = heapq.heappop(self._due)
            self._queued.discard(entry)
            self._ready.add(entry[1])
        while self._retry and self._retry[0][0] <= wall:
            self._ready.add(heapq.heappop(self._retry)[1])
        return bool(self._ready)

    def _wait_s(self) -> float:
        waits = [self._idle_s]
        if self._retry:
            waits.append(self._retry[0][0] - self._mono())
        if self._due:
            left = (self._due[0][0] - self._clock()).total_seconds()
            rate = self._pace.rate
            waits.append(min(self._max_wait_s, left / rate) if rate else self._max_wait_s)
        return max(_MIN_WAIT_S, min(waits))


class _Pace:
    """Bot-clock seconds per wall second, as last measured over at least ``window_s``:
    1 on the wall's clock, the speed of a paper venue's, 0 for a clock standing still."""

    def __init__(self, window_s: float = 0.05) -> None:
        self.rate: float | None = None
        self._window_s = window_s
        self._anchor: tuple[float, datetime] | None = None

    def see(self, wall: float, now: datetime) -> None:
        if self._anchor is None:
            self._anchor = (wall, now)
            return
        wall0, now0 = self._anchor
        if wall - wall0 >= self._window_s:
            self.rate = max(0.0, (now - now0).total_seconds() / (wall - wall0))
            self._anchor = (wall, now)
