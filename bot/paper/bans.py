"""HTTP 418: the automated IP ban for clients that keep sending requests after 429s.

Binance (USDⓈ-M general info, "IP Limits"): "Repeatedly violating rate limits
and/or failing to back off after receiving 429s will result in an automated IP
ban (HTTP status 418)"; bans "scale in duration for repeat offenders, from 2
minutes to 3 days". How many 429s make a ban is not published: here ``after``
429 answers within ``window_s`` seconds (wall clock) ban the client for
``ban_s`` seconds, doubled for each later ban up to 3 days. While banned every
request is answered 418 with -1003 "Way too many requests; IP banned until …"
and a ``Retry-After`` header, and counts no weight.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from bot.paper import errors

MAX_BAN_S = 3 * 24 * 3600
DEFAULT_AFTER = 10
DEFAULT_WINDOW_S = 60
DEFAULT_BAN_S = 120


def retry_after_s(until_ms: int, now_ms: int) -> int:
    """Whole seconds until ``until_ms``, at least 1 (the header's unit)."""
    return max(1, math.ceil((until_ms - now_ms) / 1000))


class IpBans:
    def __init__(self, after: int | None = DEFAULT_AFTER, window_s: int = DEFAULT_WINDOW_S,
                 ban_s: int = DEFAULT_BAN_S, wall_ms: Callable[[], int] | None = None) -> None:
        self._wall_ms = wall_ms or (lambda: int(time.time() * 1000))
        self._lock = threading.Lock()
        self.configure(after, window_s, ban_s)
        self.reset()

    def configure(self, after: int | None, window_s: int = DEFAULT_WINDOW_S,
                  ban_s: int = DEFAULT_BAN_S) -> None:
        """``after=None`` switches automatic bans off (an explicit ``ban`` still works)."""
        if after is not None and (not isinstance(after, int) or after < 1):
            raise ValueError("after must be None or an integer >= 1")
        if window_s < 1 or not 1 <= ban_s <= MAX_BAN_S:
            raise ValueError(f"window_s must be >= 1 and ban_s in 1..{MAX_BAN_S}")
        with self._lock:
            self.after, self.window_s, self.ban_s = after, window_s, ban_s

    def reset(self) -> None:
        with self._lock:
            self._recent: deque[int] = deque()
            self._until_ms = 0
            self._bans = 0

    def check(self) -> None:
        """Raise the 418 answer while a ban lasts."""
        now = self._wall_ms()
        with self._lock:
            until = self._until_ms
        if now < until:
            raise errors.ip_banned(until, retry_after_s(until, now))

    def record_429(self) -> None:
        """Count one 429 answer; past ``after`` within the window the ban starts."""
        now = self._wall_ms()
        with self._lock:
            if self.after is None:
                return
            self._recent.append(now)
            while self._recent and self._recent[0] <= now - self.window_s * 1000:
                self._recent.popleft()
            if len(self._recent) >= self.after:
                seconds = min(self.ban_s * 2 ** self._bans, MAX_BAN_S)
                self._bans += 1
                self._until_ms = now + seconds * 1000
                self._recent.clear()

    def ban(self, seconds: int) -> int:
        """Ban now for ``seconds`` (the control surface's shortcut); returns the end in ms."""
        if not 1 <= seconds <= MAX_BAN_S:
            raise ValueError(f"seconds must be in 1..{MAX_BAN_S}")
        with self._lock:
            self._until_ms = self._wall_ms() + seconds * 1000
            return self._until_ms

    def banned_until(self) -> int:
        with self._lock:
            return self._until_ms if self._until_ms > self._wall_ms() else 0
