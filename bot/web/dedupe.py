"""Recently queued webhook bodies, so one alert fired twice opens one entry, not two.

A body is identified by its canonical JSON (keys sorted, no whitespace, the token
already taken out), hashed so the memory holds digests, never alert text. Entries
older than the window are dropped on every look-up, and a hard cap bounds the memory
even under a flood of distinct bodies inside one window.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.domain.ports import Clock

MAX_REMEMBERED = 10_000


def body_key(payload: Any) -> str:
    """The digest of a JSON body in canonical form: key order and spacing do not matter."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


class RecentBodies:
    """Which bodies were queued in the last ``window_s`` seconds, and as which signal id.

    ``queue_once`` holds one lock from the look-up to the record, so two identical
    requests racing on two threads cannot both be queued. ``window_s`` 0 remembers nothing.
    """

    def __init__(self, window_s: float, clock: Clock, max_entries: int = MAX_REMEMBERED):
        if window_s < 0:
            raise ValueError("dedupe window must be >= 0 seconds")
        self._window = timedelta(seconds=window_s)
        self._clock = clock
        self._max = max_entries
        self._seen: OrderedDict[str, tuple[datetime, str]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._window > timedelta(0)

    def __len__(self) -> int:
        return len(self._seen)

    def queue_once(self, key: str, queue: Callable[[], str]) -> tuple[str, bool]:
        """``(id, True)`` after calling ``queue`` for a body not seen within the window;
        ``(first id, False)`` without calling it for one that was. If ``queue`` raises
        (a full queue), nothing is remembered: the sender's retry is not a duplicate."""
        if not self.enabled:
            return queue(), True
        with self._lock:
            now = self._clock()
            self._forget_before(now - self._window)
            seen = self._seen.get(key)
            if seen is not None:
                return seen[1], False
            signal_id = queue()
            self._seen[key] = (now, signal_id)
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
            return signal_id, True

    def _forget_before(self, cutoff: datetime) -> None:
        while self._seen:
            key, (at, _signal_id) = next(iter(self._seen.items()))
            if at > cutoff:
                break
            del self._seen[key]
