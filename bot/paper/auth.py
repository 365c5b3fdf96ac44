"""Request authentication and rate accounting, as Binance applies them before any handler.

Signatures, timestamps and weight windows run on the wall clock (not the
simulated market clock): python-binance stamps requests with real time, and a
paper exchange running at 60x speed must still accept them.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from urllib.parse import unquote_plus

from bot.paper import errors
from bot.paper.bans import IpBans, retry_after_s

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class Authenticator:
    def __init__(self, api_key: str, api_secret: str,
                 wall_ms: Callable[[], int] | None = None) -> None:
        self._key = api_key
        self._secret = api_secret
        self._wall_ms = wall_ms or (lambda: int(time.time() * 1000))
        self.time_offset_ms = 0  # control surface: skew the server clock to provoke -1021

    def __repr__(self) -> str:
        return "Authenticator(api_key=***, api_secret=***)"

    def server_time(self) -> int:
        return self._wall_ms() + self.time_offset_ms

    def check_key(self, header_key: str | None) -> None:
        if not header_key or not hmac.compare_digest(header_key, self._key):
            raise errors.bad_api_key()

    def check_signed(self, query: str, body: str, params: dict[str, str]) -> None:
        """HMAC over the parameters exactly as sent, ``signature`` last; then the timestamp."""
        total = query + body if query and body else (query or body)
        head, sep, signature = total.rpartition("signature=")
        if not sep:
            raise errors.mandatory("signature")
        if head and not head.endswith("&"):
            raise errors.bad_signature()
        if "&" in signature or "=" in signature:
            raise errors.bad_signature()
        payload = head[:-1] if head else ""
        candidates = {payload, unquote_plus(payload)}
        if not any(hmac.compare_digest(sign(self._secret, c), signature) for c in candidates):
            raise errors.bad_signature()
        self.check_timestamp(params)

    def check_timestamp(self, params: dict[str, str]) -> None:
        raw = params.get("timestamp")
        if not raw:
            raise errors.mandatory("timestamp")
        if not raw.isdigit():
            raise errors.mandatory("timestamp")
        window_raw = params.get("recvWindow") or str(DEFAULT_RECV_WINDOW)
        if not window_raw.isdigit():
            raise errors.mandatory("recvWindow")
        window = min(int(window_raw), MAX_RECV_WINDOW)
        stamp = int(raw)
        now = self.server_time()
        if stamp >= now + 1000:
            raise errors.bad_timestamp(ahead=True)
        if now - stamp > window:
            raise errors.bad_timestamp(ahead=False)


class RateLimiter:
    """Fixed one-minute IP weight window and 10 s / 1 min order counters (wall clock)."""

    def __init__(self, weight_limit: int | None = 2400, orders_10s: int | None = 300,
                 orders_1m: int | None = 1200,
                 wall_ms: Callable[[], int] | None = None) -> None:
        self.weight_limit = weight_limit
        self.orders_10s = orders_10s
        self.orders_1m = orders_1m
        self._wall_ms = wall_ms or (lambda: int(time.time() * 1000))
        self._lock = threading.Lock()
        self._weight: tuple[int, int] = (0, 0)
        self._o10: tuple[int, int] = (0, 0)
        self._o1m: tuple[int, int] = (0, 0)
        self.bans = IpBans(wall_ms=self._wall_ms)  # 418 after repeated 429s (see bans.py)

    def retry_after(self, window_ms: int = 60000) -> int:
        """Seconds until the current ``window_ms`` window ends: the 429's Retry-After."""
        now = self._wall_ms()
        return retry_after_s((now // window_ms + 1) * window_ms, now)

    def add_weight(self, weight: int) -> int:
        """Count the request's weight; -1003 (HTTP 429) once the minute's budget is spent."""
        with self._lock:
            minute = self._wall_ms() // 60000
            window, used = self._weight
            used = used + weight if window == minute else weight
            self._weight = (minute, used)
        if self.weight_limit is not None and used > self.weight_limit:
            raise errors.too_many_requests(self.weight_limit, self.retry_after())
        return used

    def used_weight(self) -> int:
        with self._lock:
            window, used = self._weight
            return used if window == self._wall_ms() // 60000 else 0

    def add_order(self) -> tuple[int, int]:
        with self._lock:
            now = self._wall_ms()
            w10, n10 = self._o10
            w1, n1 = self._o1m
            n10 = n10 + 1 if w10 == now // 10000 else 1
            n1 = n1 + 1 if w1 == now // 60000 else 1
            self._o10 = (now // 10000, n10)
            self._o1m = (now // 60000, n1)
        if self.orders_10s is not None and n10 > self.orders_10s:
            raise errors.too_many_orders(self.orders_10s, "10s", self.retry_after(10000))
        if self.orders_1m is not None and n1 > self.orders_1m:
            raise errors.too_many_orders(self.orders_1m, "1m", self.retry_after())
        return n10, n1

    def reset(self) -> None:
        with self._lock:
            self._weight = (0, 0)
            self._o10 = (0, 0)
            self._o1m = (0, 0)
        self.bans.reset()
