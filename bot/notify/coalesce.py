"""Storm coalescing: a burst of one category becomes a few messages and a count.

The first message of a category goes out at once, and so does the first for
each further symbol, up to ``per_window`` messages; the rest within the window
are only counted. When a window with a count closes, one summary goes out and
the next window starts, so an hour-long storm costs one message per window.
Pure: the caller passes the (monotonic) time in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.notify import NotifyCategory
from bot.notify.message import Notice


@dataclass
class _Window:
    opened: float
    first: Notice
    passed: int = 1
    held: int = 0
    seen: set[str | None] = field(default_factory=set)
    held_symbols: dict[str, None] = field(default_factory=dict)


@dataclass(frozen=True)
class Held:
    """A window that closed with messages held back: enough to write the summary."""

    first: Notice
    count: int
    symbols: tuple[str, ...]


class Coalescer:
    def __init__(self, window_s: float = 60.0, per_window: int = 3) -> None:
        if window_s <= 0 or per_window < 1:
            raise ValueError("window_s must be > 0 and per_window >= 1")
        self.window_s = window_s
        self._per_window = per_window
        self._windows: dict[NotifyCategory | None, _Window] = {}
        self.coalesced = 0

    def offer(self, notice: Notice, now: float) -> bool:
        """True: send ``notice`` now. False: it is counted into its category's storm."""
        window = self._windows.get(notice.category)
        if window is None or (now - window.opened >= self.window_s and window.held == 0):
            self._windows[notice.category] = _Window(now, notice, seen={notice.symbol})
            return True
        if notice.symbol not in window.seen and window.passed < self._per_window:
            window.seen.add(notice.symbol)
            window.passed += 1
            return True
        window.held += 1
        if notice.symbol:
            window.held_symbols[notice.symbol] = None
        self.coalesced += 1
        return False

    def due(self, now: float) -> list[Held]:
        """Windows that have closed: a summary for each that held something back."""
        out: list[Held] = []
        for category, window in list(self._windows.items()):
            if now - window.opened < self.window_s:
                continue
            if window.held == 0:
                del self._windows[category]
                continue
            out.append(Held(window.first, window.held, tuple(window.held_symbols)))
            # the storm may go on: keep holding, one summary per window
            self._windows[category] = _Window(now, window.first, passed=self._per_window,
                                               seen=set(window.seen))
        return out

    def flush(self) -> list[Held]:
        """Everything still held, at shutdown: a count is never silently lost."""
        out = [Held(w.first, w.held, tuple(w.held_symbols))
               for w in self._windows.values() if w.held]
        self._windows.clear()
        return out

    def next_due(self) -> float | None:
        """When the earliest open window closes (to wake up for its summary)."""
        pending = [w.opened + self.window_s for w in self._windows.values() if w.held]
        return min(pending) if pending else None
