"""Clocks for the paper exchange: injected so the engine and market are deterministic."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class ManualClock:
    """Moves only when told: for unit tests."""

    runs_by_itself = False  # venue delays on this clock elapse only when the caller advances it

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:  # 2026-01-01T00:00Z
        self._now = start_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._now

    def advance(self, ms: int) -> int:
        with self._lock:
            self._now += ms
            return self._now

    def set(self, now_ms: int) -> None:
        with self._lock:
            self._now = now_ms


class SpeedClock:
    """Simulated time running ``speed`` times faster than the wall clock, from ``start_ms``."""

    runs_by_itself = True

    def __init__(self, speed: float = 1.0, start_ms: int | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._wall0 = time.monotonic()
        self._sim0 = start_ms if start_ms is not None else int(time.time() * 1000)

    def now_ms(self) -> int:
        return self._sim0 + int((time.monotonic() - self._wall0) * 1000 * self.speed)
