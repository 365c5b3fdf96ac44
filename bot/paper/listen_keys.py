"""listenKeys: the user-data stream's credentials, with Binance's lifetime rules.

Binance USD-M "User Data Streams" (Start / Keepalive / Close User Data Stream):
a key is valid for 60 minutes; POST on an account that has a live key returns
that key and extends it; PUT extends it (an unknown or expired key is -1125
"This listenKey does not exist.", and the client must POST a new one); DELETE
closes the stream and invalidates the key. The venue has one account, so at
most one key is live at a time. Lifetimes run on the VENUE clock, like every
other time the venue reports: at ``speed=60`` a key lives one wall minute.

Keys end three ways (``EXPIRED`` when their time runs out or the control
surface says so, ``CLOSED`` by DELETE); listeners (the stream server) are told
outside the lock, so they may close connections at leisure.
"""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any

from bot.paper import errors
from bot.paper.endpoints import Params, Route

LISTEN_KEY_TTL_MS = 60 * 60_000
_ALPHABET = string.ascii_letters + string.digits  # Binance keys are 64 alphanumerics


class KeyEnd(StrEnum):
    EXPIRED = "EXPIRED"  # time ran out (or expire_listen_key): listenKeyExpired, then close
    CLOSED = "CLOSED"  # DELETE /fapi/v1/listenKey: the stream closes, no event


KeyListener = Callable[[str, KeyEnd], None]


class ListenKeys:
    """The account's live listenKey and its expiry time (venue ms)."""

    def __init__(self, clock: Any, ttl_ms: int = LISTEN_KEY_TTL_MS) -> None:
        self._clock = clock
        self.ttl_ms = ttl_ms
        self._lock = threading.Lock()
        self._live: dict[str, int] = {}  # key -> expiry (venue ms)
        self._listeners: list[KeyListener] = []

    def on_end(self, listener: KeyListener) -> None:
        self._listeners.append(listener)

    def _tell(self, ended: list[tuple[str, KeyEnd]]) -> None:
        for key, how in ended:
            for listener in tuple(self._listeners):
                listener(key, how)

    def _due_locked(self, now: int) -> list[tuple[str, KeyEnd]]:
        due = [k for k, expiry in self._live.items() if expiry <= now]
        for key in due:
            del self._live[key]
        return [(k, KeyEnd.EXPIRED) for k in due]

    def create(self) -> str:
        """POST: the live key, extended by 60 minutes, or a new one."""
        with self._lock:
            now = self._clock.now_ms()
            ended = self._due_locked(now)
            key = next(iter(self._live), None)
            if key is None:
                key = "".join(secrets.choice(_ALPHABET) for _ in range(64))
            self._live[key] = now + self.ttl_ms
        self._tell(ended)
        return key

    def keepalive(self, key: str | None) -> str:
        """PUT: extend the named (or the live) key by 60 minutes; -1125 if it is not live."""
        with self._lock:
            now = self._clock.now_ms()
            ended = self._due_locked(now)
            found = key if key is not None else next(iter(self._live), None)
            live = found is not None and found in self._live
            if live:
                self._live[found] = now + self.ttl_ms
        self._tell(ended)
        if not live:
            raise errors.invalid_listen_key()
        assert found is not None
        return found

    def close(self, key: str | None) -> None:
        """DELETE: invalidate the named (or the live) key; -1125 if it is not live."""
        with self._lock:
            ended = self._due_locked(self._clock.now_ms())
            found = key if key is not None else next(iter(self._live), None)
            live = found is not None and self._live.pop(found, None) is not None
        self._tell(ended)
        if not live:
            raise errors.invalid_listen_key()
        assert found is not None
        self._tell([(found, KeyEnd.CLOSED)])

    def expire(self, key: str | None = None) -> list[str]:
        """Expire the named key (default: every live key) now, as if its 60 minutes were up."""
        with self._lock:
            chosen = [key] if key is not None else list(self._live)
            gone = [k for k in chosen if self._live.pop(k, None) is not None]
        if key is not None and not gone:
            raise ValueError(f"listenKey {key!r} is not live")
        self._tell([(k, KeyEnd.EXPIRED) for k in gone])
        return gone

    def expire_due(self) -> list[str]:
        """End every key whose time is up (the stream server calls this on its timer)."""
        with self._lock:
            ended = self._due_locked(self._clock.now_ms())
        self._tell(ended)
        return [k for k, _ in ended]

    def is_live(self, key: str) -> bool:
        with self._lock:
            expiry = self._live.get(key)
            return expiry is not None and expiry > self._clock.now_ms()

    def expiry_ms(self, key: str) -> int | None:
        with self._lock:
            return self._live.get(key)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._live))

    def __len__(self) -> int:
        with self._lock:
            return len(self._live)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.is_live(key)


# ---------------------------------------------------------------------- REST handlers
def listen_key_new(ctx: Any, p: Params) -> dict:
    return {"listenKey": ctx.listen_keys.create()}


def listen_key_keepalive(ctx: Any, p: Params) -> dict:
    return {"listenKey": ctx.listen_keys.keepalive(p.get("listenKey") or None)}


def listen_key_close(ctx: Any, p: Params) -> dict:
    ctx.listen_keys.close(p.get("listenKey") or None)
    return {}


LISTEN_KEY_ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/fapi/v1/listenKey"): Route(listen_key_new, key_only=True),
    ("PUT", "/fapi/v1/listenKey"): Route(listen_key_keepalive, key_only=True),
    ("DELETE", "/fapi/v1/listenKey"): Route(listen_key_close, key_only=True),
}
