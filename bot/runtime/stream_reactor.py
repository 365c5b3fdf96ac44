"""Turns the user-data stream into targeted repairs, and its absence into a faster poll.

Events are coalesced per symbol: an entry's three events (order, account, algo)
become one targeted check. The check runs on this worker, never on the stream's
thread, so a slow venue read cannot hold up the next event. The poll stays the
net: a (re)connect wakes a full cycle (events may have been missed), and while
the stream is down the monitor polls faster and a STREAM DOWN red flag says so.

A stop that stays stuck in TRIGGERING sends no further event, so the end of its grace
is a deadline on the bot's clock (the venue's in paper mode, however fast it runs),
kept in the shared ``CheckQueue`` with the monitor's own requests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from bot.domain import EventKind, StreamState, StreamStatus, VenueEvent
from bot.domain.ports import Clock
from bot.exchange.user_stream import ListenKeys, StreamConfig, UserStream, down_for
from bot.monitor import PositionMonitor
from bot.protection.coverage import grace_end
from bot.protection.recorder import EventRecorder
from bot.runtime.check_queue import CheckQueue

log = logging.getLogger(__name__)

RETRY_S = 1.0  # wall seconds, like the venue's rate-limit holds a failed check meets
MAX_RETRIES = 3  # then the poll is the net


class StreamReactor:
    def __init__(self, monitor: PositionMonitor, recorder: EventRecorder, clock: Clock,
                 refresh_views: Callable[[], None], wake_monitor: Callable[[], None],
                 fast_poll: Callable[[bool], None], down_after_s: float = 5.0,
                 triggering_grace_s: float = 5.0, checks: CheckQueue | None = None,
                 retry_s: float = RETRY_S) -> None:
        self._monitor = monitor
        self._rec = recorder
        self._clock = clock
        self._refresh = refresh_views
        self._wake = wake_monitor
        self._fast_poll = fast_poll
        self._down_after_s = down_after_s
        self._grace_s = triggering_grace_s
        self._checks = checks or CheckQueue(clock)
        self._retry_s = retry_s
        self._failures: dict[str, int] = {}
        self._stop = threading.Event()
        self._status: Callable[[], StreamStatus] = StreamStatus
        self._flagged_down = False
        self._thread: threading.Thread | None = None
        self.checks = 0

    def attach(self, status: Callable[[], StreamStatus]) -> None:
        self._status = status

    def start(self, name: str = "stream-reactor") -> None:
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._checks.wake()
        if self._thread is not None:
            self._thread.join(timeout)

    # --- called on the stream's thread: O(1), never blocks on the venue ----------------------
    def on_event(self, event: VenueEvent) -> None:
        if not event.touches:
            return
        self._checks.now(event.touched_symbols)
        if event.status == "TRIGGERING" and event.symbol:
            # no event comes if it stays stuck: look again once its grace is over, counted
            # from the trigger time the venue reported
            since = event.at or self._clock()
            self._checks.at(event.symbol, grace_end(since, self._grace_s))

    def on_connect(self, reconnects: int) -> None:
        if reconnects:
            log.info("[STREAM] Reconnected (%d so far) - full reconciliation now", reconnects)
        self._wake()

    # --- the worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            symbols = self._checks.take()
            for symbol in symbols:
                self._check(symbol)
            if symbols:
                self._refresh()
            self._watch()

    def _check(self, symbol: str) -> None:
        try:
            failed = bool(self._monitor.check_symbol(symbol).error)  # a read refused
            self.checks += 1
        except Exception:
            log.exception("[SHIELD] Targeted check of %s failed", symbol)
            failed = True
        if not failed:
            self._failures.pop(symbol, None)
            return
        n = self._failures[symbol] = self._failures.get(symbol, 0) + 1
        if n <= MAX_RETRIES:
            self._checks.retry(symbol, self._retry_s)
        else:
            del self._failures[symbol]
            log.warning("[SHIELD] Targeted check of %s failed %d times - the poll takes over",
                        symbol, n)

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
                 triggering_grace_s: float = 5.0, checks: CheckQueue | None = None,
                 key_seconds: Callable[[], float] | None = None) -> None:
        """``checks``: the queue the monitor asks re-checks of (``ProtectionStack.checks``);
        ``key_seconds``: the clock the venue's listenKeys age on, if not the wall's."""
        self._keys = keys
        self._grace_s = triggering_grace_s
        self._cfg = config
        self._monitor = monitor
        self._rec = recorder
        self._clock = clock
        self._down_after_s = down_after_s
        self._checks = checks or CheckQueue(clock)
        self._key_seconds = key_seconds
        self.reactor: StreamReactor | None = None
        self._stream: UserStream | None = None

    def start(self, bot: BotHooks) -> None:
        self.reactor = StreamReactor(self._monitor, self._rec, self._clock, bot.refresh_views,
                                     bot.wake_monitor, bot.fast_poll, self._down_after_s,
                                     self._grace_s, self._checks)
        self._stream = UserStream(self._keys, self._cfg, self.reactor.on_event,
                                  self.reactor.on_connect, self._clock,
                                  key_seconds=self._key_seconds)
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


class RecheckTimer:
    """Without the stream only the poll looks at a symbol, up to a whole interval after a
    TRIGGERING stop's grace has ended; this worker keeps the monitor's re-check requests
    instead (the reactor's worker, with no stream attached)."""

    def __init__(self, monitor: PositionMonitor, recorder: EventRecorder, clock: Clock,
                 checks: CheckQueue) -> None:
        self._monitor = monitor
        self._rec = recorder
        self._clock = clock
        self._checks = checks
        self.reactor: StreamReactor | None = None

    def start(self, bot: BotHooks) -> None:
        self.reactor = StreamReactor(self._monitor, self._rec, self._clock, bot.refresh_views,
                                     bot.wake_monitor, bot.fast_poll, checks=self._checks)
        self.reactor.start(name="recheck-timer")
        log.info("[SHIELD] No user-data stream: a TRIGGERING stop is re-checked by a timer when "
                 "its grace ends")

    def stop(self) -> None:
        if self.reactor is not None:
            self.reactor.stop()
