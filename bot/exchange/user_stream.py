"""The user-data stream client: one connection per process, kept alive, never trusted alone.

Written on ``websockets``' sync client rather than python-binance's socket manager:
that one gives up after five reconnects and ignores ``listenKeyExpired``, and a
bot that stops listening must at least know it. Here the thread reconnects with
backoff forever, re-creates the key when the venue forgets it, reconnects before
the 24 h limit, and reports every (re)connect so the caller can reconcile (events
may have been missed while down). Liveness is the WebSocket ping: no pong within
the timeout closes the connection and counts as down.

The key's 60 minutes and the connection's 24 hours are counted by the venue, on its
clock: a paper venue's may run ten times the wall's, so the keepalive and the reconnect
before the limit are timed on ``key_seconds`` (the venue's clock in paper mode; the
wall's monotonic clock for a real venue, where both agree).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from bot.domain import StreamState, StreamStatus, VenueEvent, VenueEventKind
from bot.domain.errors import ExchangeError
from bot.domain.ports import Clock
from bot.exchange.stream_events import parse_stream_message

log = logging.getLogger(__name__)


class ListenKeys(Protocol):
    """The REST half (POST/PUT /fapi/v1/listenKey); the adapter provides it."""

    def create_listen_key(self) -> str: ...

    def keepalive_listen_key(self, key: str) -> None: ...


@dataclass(frozen=True)
class StreamConfig:
    url: str  # the venue's stream base, e.g. ws://127.0.0.1:8766 or the exchange's wss host
    keepalive_s: float = 30 * 60  # a key lives 60 min unless extended
    max_connection_s: float = 23 * 3600  # the venue closes at 24 h: leave before
    backoff_s: tuple[float, ...] = (0.2, 0.5, 1, 2, 5, 10, 30)
    ping_interval_s: float = 10.0
    ping_timeout_s: float = 10.0
    open_timeout_s: float = 5.0
    recv_timeout_s: float = 1.0  # how often, at most, the key's timers are looked at


class UserStream:
    def __init__(self, keys: ListenKeys, config: StreamConfig,
                 on_event: Callable[[VenueEvent], None],
                 on_connect: Callable[[int], None], clock: Clock,
                 key_seconds: Callable[[], float] | None = None) -> None:
        """``on_connect(reconnects)`` runs after every (re)connect: reconcile there."""
        self._keys = keys
        self._key_s = key_seconds or time.monotonic
        self._cfg = config
        self._on_event = on_event
        self._on_connect = on_connect
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._status = StreamStatus(StreamState.DOWN)
        self._ws: ClientConnection | None = None
        self._was_up = False

    # --- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="user-stream", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        ws = self._ws
        if ws is not None:
            ws.close()
        if self._thread is not None:
            self._thread.join(timeout)
        self._set(state=StreamState.DISABLED)

    def status(self) -> StreamStatus:
        with self._lock:
            return self._status

    # --- the thread --------------------------------------------------------------------------
    def _run(self) -> None:
        attempt = 0
        key: str | None = None
        while not self._stop.is_set():
            self._set(state=StreamState.CONNECTING)
            self._was_up = False
            try:
                key = key or self._keys.create_listen_key()
                key = self._session(key)  # returns None when the key must be re-created
                attempt = 0
            except (OSError, InvalidHandshake, InvalidURI, ConnectionClosed, TimeoutError,
                    ExchangeError) as exc:
                if self._stop.is_set():
                    break
                if isinstance(exc, ExchangeError):
                    key = None  # the key may be gone (INVALID_LISTEN_KEY): ask anew
                if self._was_up:
                    attempt = 0  # it was up: a dropped connection starts the backoff anew
                self._down(f"{type(exc).__name__}: {exc}")
            if self._stop.is_set():
                break
            delay = self._cfg.backoff_s[min(attempt, len(self._cfg.backoff_s) - 1)]
            attempt += 1
            self._stop.wait(delay)

    def _session(self, key: str) -> str | None:
        url = f"{self._cfg.url.rstrip('/')}/private/ws?listenKey={key}"
        with connect(url, open_timeout=self._cfg.open_timeout_s,
                     ping_interval=self._cfg.ping_interval_s,
                     ping_timeout=self._cfg.ping_timeout_s) as ws:
            self._ws = ws
            opened = self._key_s()
            kept = opened
            reconnects = self.status().reconnects
            self._set(state=StreamState.UP, since=self._clock(), last_error="")
            self._was_up = True
            log.info("[STREAM] User-data stream connected (%s)", _host(self._cfg.url))
            self._on_connect(reconnects)
            try:
                while not self._stop.is_set():
                    now = self._key_s()
                    if now - opened > self._cfg.max_connection_s:
                        log.info("[STREAM] Reconnecting before the venue's 24 h limit")
                        return key
                    if now - kept > self._cfg.keepalive_s:
                        self._keys.keepalive_listen_key(key)
                        kept = now
                        log.debug("[STREAM] listenKey kept alive")
                    try:
                        raw = ws.recv(timeout=self._cfg.recv_timeout_s)
                    except TimeoutError:
                        continue
                    if self._dispatch(raw) is VenueEventKind.LISTEN_KEY_EXPIRED:
                        log.warning("[STREAM] listenKey expired - creating a new one")
                        return None
            finally:
                self._ws = None
                if not self._stop.is_set():
                    self._down("connection closed", reconnect=True)
        return key

    def _dispatch(self, raw: str | bytes) -> VenueEventKind | None:
        try:
            msg = json.loads(raw)
        except ValueError:
            log.warning("[STREAM] Unreadable message dropped")
            return None
        event = parse_stream_message(msg) if isinstance(msg, dict) else None
        if event is None:
            return None
        with self._lock:
            self._status = replace(self._status, last_event_at=self._clock(),
                                   events=self._status.events + 1)
        try:
            self._on_event(event)
        except Exception:  # a handler's bug must not end the stream
            log.exception("[STREAM] Handler failed for %s", event.kind.value)
        return event.kind

    def _down(self, why: str, reconnect: bool = False) -> None:
        with self._lock:
            was_up = self._status.state is StreamState.UP
            self._status = replace(
                self._status, state=StreamState.DOWN, since=self._clock() if was_up or (
                    self._status.since is None) else self._status.since,
                last_error=why, reconnects=self._status.reconnects + (1 if was_up else 0))
        if was_up:
            log.warning("[STREAM] User-data stream down (%s) - reconnecting; the poll covers",
                        why)
        elif not reconnect:
            log.debug("[STREAM] Connect failed: %s", why)

    def _set(self, **changes: object) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]


def _host(url: str) -> str:
    """The venue's host for the log: never the listen key (it grants the account's events)."""
    return url.split("://", 1)[-1].split("/", 1)[0]


def down_for(status: StreamStatus, now: datetime) -> float:
    """Seconds the stream has been down (0 while up or disabled)."""
    if status.state not in (StreamState.DOWN, StreamState.CONNECTING) or status.since is None:
        return 0.0
    return max(0.0, (now - status.since).total_seconds())
