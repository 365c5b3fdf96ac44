"""Turns the user-data stream into targeted repairs, and its absence into a faster poll.

Events are coalesced per symbol: an entry's three events (order, account, algo)
become one targeted check. The check runs on this worker, never on the stream's
thread, so a slow venue read cannot hold up the next event. The poll stays the
net: a (re)connect wakes a full cycle (events may have been missed), and while
the stream is down the monitor polls faster and a STREAM DOWN red flag says so.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from bot.domain import EventKind, StreamState, StreamStatus, VenueEvent
from bot.domain.ports import Clock
from bot.exchange.user_stream import ListenKeys, StreamConfig, UserStream, down_for
from bot.monitor import PositionMonitor
from bot.protection.recorder import EventRecorder

log = logging.getLogger(__name__)


class StreamReactor:
    def __init__(self, monitor: PositionMonitor, recorder: EventRecorder, clock: Clock,
                 refresh_views: Callable[[], None], wake_monitor: Callable[[], None],
                 fast_poll: Callable[[bool], None], down_after_s: float = 5.0,
                 triggering_grace_s: float = 5.0) -> None:
        self._monitor = monitor
        self._rec = recorder
        self._clock = clock
        self._refresh = refresh_views
        self._wake = wake_monitor
        self._fast_poll = fast_poll
        self._down_after_s = down_after_s
        self._pending: set[str] = set()
        self._grace_s = triggering_grace_s
        self._later: list[tuple[float, str]] = []  # (monotonic due, symbol): stuck-trigger checks
        self._cv = threading.Condition()
        self._stop = threading.Event()
        self._status: Callable[[], StreamStatus] = StreamStatus
        self._flagged_down = False
        self._thread: threading.Thread | None = None
        self.checks = 0

    def attach(self, status: Callable[[], StreamStatus]) -> None:
        self._status = status

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stream-reactor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    # --- called on the stream's thread: O(1), never blocks on the venue ----------------------
    def on_event(self, event: VenueEvent) -> None:
        if not event.touches:
            return
        with self._cv:
            self._pending.update(event.touched_symbols)
            if event.status == "TRIGGERING" and event.symbol:
                # no event comes if it stays stuck: look again once its grace is over
                heapq.heappush(self._later, (time.monotonic() + self._grace_s + 0.5,
                                             event.symbol))
            self._cv.notify()

    def on_connect(self, reconnects: int) -> None:
        if reconnects:
            log.info("[STREAM] Reconnected (%d so far) - full reconciliation now", reconnects)
        self._wake()

    # --- the worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cv:
                if not self._pending:
                    self._cv.wait(timeout=self._wait_s())
                while self._later and self._later[0][0] <= time.monotonic():
                    self._pending.add(heapq.heappop(self._later)[1])
                symbols, self._pending = sorted(self._pending), set()
            for symbol in symbols:
                try:
                    self._monitor.check_symbol(symbol)
                    self.checks += 1
                except Exception:  # try again in a second; the poll remains the net
                    log.exception("[STREAM] Targeted check of %s failed", symbol)
                    with self._cv:
                        heapq.heappush(self._later, (time.monotonic() + 1.0, symbol))
            if symbols:
                self._refresh()
            self._watch()

    def _wait_s(self) -> float:
        if not self._later:
            return 1.0
        return max(0.0, min(1.0, self._later[0][0] - time.monotonic()))

    def _watch(self) -> None:
        status = self._status()
        if status.state is StreamState.DISABLED:
            return
        down = down_for(status, self._clock())
        if down >= self._down_after_s and not self._flagged_down:
            self._flagged_down = True
            self._fast_poll(True)
            self._rec.record(EventKind.STREAM_DOWN, None,
                             f"user-data stream down for {down:.0f} s ({status.last_error}): "
                             "repairs wait for the poll, which now runs faster",
                             details={"reconnects": status.reconnects, "error": status.last_error})
            log.error("[STREAM] Down for %.0f s - monitor polls faster until it is back", down)
        elif status.state is StreamState.UP and self._flagged_down:
            self._flagged_down = False
            self._fast_poll(False)
            self._rec.record(EventKind.STREAM_UP, None, "user-data stream back",
                             details={"reconnects": status.reconnects})
            log.info("[STREAM] Back up - monitor at its normal interval")


class BotHooks(Protocol):
    def refresh_views(self) -> None: ...

    def wake_monitor(self) -> None: ...

    def fast_poll(self, on: bool) -> None: ...


class LiveStream:
    """The stream and its reactor as one service the bot starts after its first cycle."""

    def __init__(self, keys: ListenKeys, config: StreamConfig, monitor: PositionMonitor,
                 recorder: EventRecorder, clock: Clock, down_after_s: float,
                 triggering_grace_s: float = 5.0) -> None:
        self._keys = keys
        self._grace_s = triggering_grace_s
        self._cfg = config
        self._monitor = monitor
        self._rec = recorder
        self._clock = clock
        self._down_after_s = down_after_s
        self.reactor: StreamReactor | None = None
        self._stream: UserStream | None = None

    def start(self, bot: BotHooks) -> None:
        self.reactor = StreamReactor(self._monitor, self._rec, self._clock, bot.refresh_views,
                                     bot.wake_monitor, bot.fast_poll, self._down_after_s,
                                     self._grace_s)
        self._stream = UserStream(self._keys, self._cfg, self.reactor.on_event,
                                  self.reactor.on_connect, self._clock)
        self.reactor.attach(self._stream.status)
        self.reactor.start()
        self._stream.start()

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
        if self.reactor is not None:
            self.reactor.stop()

    def status(self) -> StreamStatus:
        return self._stream.status() if self._stream is not None else StreamStatus()
