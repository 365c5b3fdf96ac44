"""What every card's callbacks share: the control API, one cached snapshot, the clock, the actor.

Several cards poll on the same interval tick; the short-lived cache lets them
share one ``snapshot()`` instead of asking the bot once per card. Any control
action invalidates it, so its effect shows on the very next render.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.control.api import ControlApi
from bot.domain import Snapshot
from dashboard.security import current_actor


def utc_now() -> datetime:
    return datetime.now(UTC)


class SnapshotSource:
    """``control.snapshot()`` memoised for ``ttl`` seconds of the injected monotonic clock."""

    def __init__(
        self, control: ControlApi, *, ttl: float = 0.5, clock: Callable[[], float] = time.monotonic
    ):
        self._control = control
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: Snapshot | None = None
        self._taken = 0.0

    def get(self) -> Snapshot:
        with self._lock:
            now = self._clock()
            if self._cached is None or now - self._taken >= self._ttl:
                self._cached = self._control.snapshot()
                self._taken = now
            return self._cached

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None


@dataclass
class DashContext:
    control: ControlApi
    source: SnapshotSource
    now: Callable[[], datetime] = utc_now
    actor: Callable[[], str] = current_actor
    version_clock: Callable[[], int] = field(default=time.monotonic_ns)

    def after_control(self) -> int:
        """Drop the cached snapshot and return a fresh control-version stamp for the page."""
        self.source.invalidate()
        return self.version_clock()
