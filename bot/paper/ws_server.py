"""The user-data stream's WebSocket server: Binance's private routes, on their own port.

Routes, as on fstream.binance.com since the 2026 WebSocket split:
``/private/ws?listenKey=K`` (what python-binance 1.0.37's ``futures_user_socket``
opens: ``FSTREAM_URL + "private/ws?listenKey=K"``) and ``/private/ws/K``. The old
routes (``/ws/K``, ``/stream?streams=K``) are accepted and then stay silent, as
Binance's retired URLs do; any other path is refused at the handshake (404).
A key that is not live gets the handshake and then close 1008.

Runs an asyncio loop in its own thread (``websockets.asyncio.server``). The
engine side calls ``publish`` from any thread; events are queued per connection
and sent in publish order (a delayed event holds back the ones behind it).
Keys that end and connections older than 24 hours of venue time are closed by
a timer that also runs the owner's ``on_tick``. Pings are answered by the
websockets protocol; the server pings every 3 minutes like Binance.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from bot.paper.listen_keys import KeyEnd, ListenKeys
from bot.paper.stream_events import listen_key_expired
from bot.paper.stream_faults import StreamFaults

log = logging.getLogger(__name__)

MAX_CONNECTION_MS = 24 * 3_600_000  # Binance: a connection is only valid for 24 hours
TIMER_S = 0.05
PING_INTERVAL_S = 180.0  # Binance pings every 3 minutes and waits up to 10 for the pong
PING_TIMEOUT_S = 600.0
CLOSE_TIMEOUT_S = 1.0  # a client that never answers a close must not hold up stop()
UNKNOWN_KEY = (1008, "This listenKey does not exist.")


def parse_route(target: str) -> tuple[str | None, str]:
    """Request target → ("private" | "legacy" | None, listenKey)."""
    parts = urlsplit(target)
    path = parts.path.rstrip("/")
    if path == "/private/ws":
        return "private", parse_qs(parts.query).get("listenKey", [""])[0]
    if path.startswith("/private/ws/"):
        return "private", path.removeprefix("/private/ws/")
    if path.startswith("/ws/"):
        return "legacy", path.removeprefix("/ws/")
    if path == "/stream":
        return "legacy", parse_qs(parts.query).get("streams", [""])[0]
    return None, ""


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


@dataclass(eq=False)
class _Connection:
    ws: ServerConnection
    key: str
    opened_ms: int
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    closing: bool = False


class StreamServer:
    def __init__(self, keys: ListenKeys, clock: Any, faults: StreamFaults,
                 stamp: Callable[[], int], on_tick: Callable[[], None] | None = None) -> None:
        self._keys = keys
        self._clock = clock
        self._faults = faults
        self._stamp = stamp
        self._on_tick = on_tick
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._conns: set[_Connection] = set()  # touched in the loop thread only
        self.port = 0
        keys.on_end(self._key_ended)

    # ------------------------------------------------------------------ lifecycle
    def start(self, host: str, port: int) -> int:
        """Bind and serve in a thread; returns the bound port (``0`` picks a free one)."""
        if self._thread is not None:
            raise RuntimeError("already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(host, port, ready, failure),
                                        name="paper-ws", daemon=True)
        self._thread.start()
        if not ready.wait(10) or failure:
            self._thread.join(timeout=5)
            self._thread = None
            raise failure[0] if failure else OSError("stream server did not start")
        return self.port

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended on its own
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._loop is not None

    def connection_count(self) -> int:
        return len(self._conns)

    def _run(self, host: str, port: int, ready: threading.Event,
             failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main(host, port, ready, failure))
        except Exception as exc:  # reported to start(), or logged if it came later
            failure.append(exc)
            log.exception("[PAPER] Stream server failed")
        finally:
            self._loop = None
            loop.close()
            ready.set()

    async def _main(self, host: str, port: int, ready: threading.Event,
                    failure: list[BaseException]) -> None:
        self._stop = asyncio.Event()
        try:
            server: Server = await serve(self._handle, host, port,
                                         process_request=self._check_path,
                                         ping_interval=PING_INTERVAL_S,
                                         ping_timeout=PING_TIMEOUT_S,
                                         close_timeout=CLOSE_TIMEOUT_S)
        except OSError as exc:
            failure.append(exc)
            ready.set()
            return
        self.port = server.sockets[0].getsockname()[1]
        self._loop = asyncio.get_running_loop()
        ready.set()
        timer = asyncio.create_task(self._timer())
        await self._stop.wait()
        timer.cancel()
        server.close()
        await server.wait_closed()

    # ------------------------------------------------------------------ publishing
    def publish(self, events: list[dict]) -> None:
        """Queue events for every open connection (thread-safe; order kept)."""
        loop = self._loop
        if loop is None or not events:
            return
        with contextlib.suppress(RuntimeError):  # loop closing: the events go nowhere
            loop.call_soon_threadsafe(self._fan_out, events)

    def _fan_out(self, events: list[dict]) -> None:
        loop = asyncio.get_running_loop()
        for event in events:
            live = [c for c in self._conns if not c.closing]
            if not live:
                return
            fate = self._faults.next_event()
            if not fate.send:
                continue
            text = json.dumps(event, separators=(",", ":"))
            due = loop.time() + fate.delay_ms / 1000
            for conn in live:
                conn.queue.put_nowait((due, text))

    def drop_all(self) -> None:
        """Cut every connection at once, without a close frame (a network drop)."""
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._drop_all)

    def _drop_all(self) -> None:
        for conn in list(self._conns):
            conn.closing = True
            conn.ws.transport.abort()

    # ------------------------------------------------------------------ keys and time
    def _key_ended(self, key: str, how: KeyEnd) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._end_key, key, how)

    def _end_key(self, key: str, how: KeyEnd) -> None:
        mine = [c for c in self._conns if c.key == key and not c.closing]
        if how is KeyEnd.EXPIRED and mine:
            self._fan_out_to(mine, listen_key_expired(key, self._stamp()))
        for conn in mine:
            self._close(conn, 1000, f"listenKey {how.value.lower()}")

    def _fan_out_to(self, conns: list[_Connection], event: dict) -> None:
        fate = self._faults.next_event()
        if not fate.send:
            return
        due = asyncio.get_running_loop().time() + fate.delay_ms / 1000
        text = json.dumps(event, separators=(",", ":"))
        for conn in conns:
            conn.queue.put_nowait((due, text))

    def _close(self, conn: _Connection, code: int, reason: str) -> None:
        conn.closing = True
        conn.queue.put_nowait(_Close(code, reason))

    async def _timer(self) -> None:
        while True:
            await asyncio.sleep(TIMER_S)
            try:
                self._keys.expire_due()
                if self._on_tick is not None:
                    self._on_tick()
                now = self._clock.now_ms()
                for conn in list(self._conns):
                    if not conn.closing and now - conn.opened_ms >= MAX_CONNECTION_MS:
                        self._close(conn, 1000, "connection reached 24 hours")
            except Exception:  # the timer must outlive one bad round
                log.exception("[PAPER] Stream timer failed")

    # ------------------------------------------------------------------ connections
    @staticmethod
    def _check_path(connection: ServerConnection, request: Request) -> Response | None:
        kind, _ = parse_route(request.path)
        if kind is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "Unknown stream path.\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        kind, key = parse_route(ws.request.path if ws.request else "")
        if kind == "legacy":  # acknowledged, then nothing: Binance's retired routes
            await self._drain(ws)
            return
        if not key or not self._keys.is_live(key):
            await ws.close(*UNKNOWN_KEY)
            return
        conn = _Connection(ws, key, self._clock.now_ms())
        self._conns.add(conn)
        sender = asyncio.create_task(self._send(conn))
        try:
            await self._drain(ws)
        finally:
            self._conns.discard(conn)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    @staticmethod
    async def _drain(ws: ServerConnection) -> None:
        """Read (and ignore) what the client sends, so its frames never back up."""
        with contextlib.suppress(ConnectionClosed):
            async for _ in ws:
                pass

    async def _send(self, conn: _Connection) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                item = await conn.queue.get()
                if isinstance(item, _Close):
                    await conn.ws.close(item.code, item.reason)
                    return
                due, text = item
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                await conn.ws.send(text)
        except ConnectionClosed:
            return
