"""The progress line on stderr: simulated date, bars per second, time left."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import TextIO


class Progress:
    """``update`` at every bar; it writes at most every ``every_s`` of wall time."""

    def __init__(self, total_bars: int, label: str = "", stream: TextIO | None = None,
                 every_s: float = 0.5) -> None:
        self.total = max(1, total_bars)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.every_s = every_s
        self._started = time.monotonic()
        self._shown = 0.0

    def update(self, bars: int, now_ms: int, force: bool = False) -> None:
        wall = time.monotonic()
        if not force and wall - self._shown < self.every_s:
            return
        self._shown = wall
        self.stream.write("\r" + self.line(bars, now_ms, wall - self._started))
        self.stream.flush()

    def line(self, bars: int, now_ms: int, elapsed_s: float) -> str:
        rate = bars / elapsed_s if elapsed_s > 0 else 0.0
        left = (self.total - bars) / rate if rate > 0 else None
        when = datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        eta = _duration(left) if left is not None else "?"
        prefix = f"[{self.label}] " if self.label else ""
        return (f"{prefix}{when} UTC  {bars:,}/{self.total:,} bars  {rate:,.0f} bars/s  "
                f"ETA {eta}  {bars / self.total:4.0%}   ")

    def done(self, bars: int, now_ms: int) -> None:
        self.update(bars, now_ms, force=True)
        self.stream.write("\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
