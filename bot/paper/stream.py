"""``UserStream``: the venue's user-data stream (listenKeys, events, faults, the server).

Binance pushes order, algo-order and account changes over a WebSocket opened
with a listenKey; a bot that watches its stops through it must also survive
the stream's failures. This object joins the parts: the listenKey book (which
the REST front's ``/fapi/v1/listenKey`` handlers use), the ledger listener that
turns every engine change into Binance's events, the injected faults, and the
WebSocket server. The engine knows nothing of it: it only writes its ledger.

The engine replaces its ledger on ``reset()``; ``attach()`` follows it (called
by the control surface's reset and, as a safety net, by the server's timer).
Event times: ``E`` is the venue clock when the event is produced, never lower
than the previous event's ``E`` (so non-decreasing on every connection); ``T``
is the venue time of the change itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from bot.paper.listen_keys import ListenKeys
from bot.paper.model import LedgerEntry
from bot.paper.stream_faults import StreamFaultKind, StreamFaults
from bot.paper.stream_feed import EventFeed
from bot.paper.ws_server import StreamServer

log = logging.getLogger(__name__)


class UserStream:
    def __init__(self, engine: Any, clock: Any) -> None:
        self.engine = engine
        self.clock = clock
        self.keys = ListenKeys(clock)
        self.faults = StreamFaults()
        self.feed = EventFeed(engine)
        self.server = StreamServer(self.keys, clock, self.faults, stamp=self.stamp,
                                   on_tick=self.attach)
        self.url = ""
        self._stamp_lock = threading.Lock()
        self._last_ms = 0
        self._ledger: Any = None
        self._unsubscribe: Callable[[], None] | None = None
        self.attach()

    # ------------------------------------------------------------------ lifecycle
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0: a free port); returns ``ws://host:port``."""
        bound = self.server.start(host, port)
        self.url = f"ws://{host}:{bound}"
        log.info("[PAPER] User-data stream serving on %s/private/ws", self.url)
        return self.url

    def stop(self) -> None:
        self.server.stop()

    def attach(self) -> None:
        """Listen to the engine's current ledger (a reset gives the engine a new one)."""
        ledger = self.engine.ledger
        if ledger is self._ledger:
            return
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.feed.reset()
        self._ledger = ledger
        self._unsubscribe = ledger.subscribe(self._on_entry)

    def stamp(self) -> int:
        """The venue time for a new event's ``E``: now, but never before the last one."""
        with self._stamp_lock:
            self._last_ms = max(self._last_ms, self.clock.now_ms())
            return self._last_ms

    def _on_entry(self, entry: LedgerEntry) -> None:
        if not self.server.connection_count():
            return  # nobody listens: build nothing (the engine holds its lock meanwhile)
        events = self.feed.events(entry, self.stamp())
        if events:
            self.server.publish(events)

    # ------------------------------------------------------------------ control
    def fault(self, kind: StreamFaultKind | str, count: int = 1, delay_ms: int = 0) -> dict:
        """drop | stall | lose | delay | clear (see ``stream_faults``); returns the state."""
        kind = StreamFaultKind(kind)
        if kind is StreamFaultKind.DROP:
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError("count must be a positive integer")
            self.server.drop_all()
        else:
            self.faults.arm(kind, count, delay_ms)
        log.info("[PAPER] Stream fault %s (count %s, delay %s ms)", kind.value, count, delay_ms)
        return self.state()

    def expire_listen_key(self, listen_key: str | None = None) -> list[str]:
        """Expire the key now (default: the live one): listenKeyExpired, then close."""
        return self.keys.expire(listen_key)

    def reset(self) -> None:
        self.faults.clear()
        self.attach()

    def state(self) -> dict:
        return {"wsUrl": self.url, "connections": self.server.connection_count(),
                "listenKeys": len(self.keys), "faults": self.faults.to_json()}
