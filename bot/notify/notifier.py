"""The notifier: events in, a few readable messages out, never in the way of protection.

``publish`` runs on the protection path (the store calls it for every event it
appends), so it only looks the kind up and drops the event into a bounded
queue: O(1), no I/O, no lock held for long, never raises. A dispatcher thread
does the rest: category and level, storm coalescing, wording, and handing each
message to every channel's own queue. The daily summary is timed by the same
thread. When a queue is full the message is counted as dropped, not waited for.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as day_time

from bot.domain import Event, Severity
from bot.domain.notify import (
    CATEGORY_SPECS,
    DeliveryRecord,
    NotifierStatus,
    NotifyCategory,
    NotifyLevel,
)
from bot.domain.ports import Clock
from bot.notify.catalog import NEVER_COALESCED, ROUTES, route
from bot.notify.channel import Channel
from bot.notify.coalesce import Coalescer, Held
from bot.notify.message import Notice, notice_for, plain_notice, storm_notice

log = logging.getLogger(__name__)

_STOP = object()


@dataclass(frozen=True)
class NotifyConfig:
    public_url: str | None = None
    daily_at: day_time | None = None  # UTC
    window_s: float = 60.0            # storm window per category
    per_window: int = 3               # messages of one category let through per window
    intake_size: int = 1000
    tick_s: float = 0.25              # how often the dispatcher looks at windows and the clock


def default_levels() -> dict[NotifyCategory, NotifyLevel]:
    return {c: spec.default for c, spec in CATEGORY_SPECS.items()}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Notifier:
    def __init__(
        self,
        channels: Sequence[Channel],
        levels: dict[NotifyCategory, NotifyLevel] | None = None,
        config: NotifyConfig | None = None,
        *,
        daily: Callable[[datetime], list[str]] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        now: Clock = _utc_now,
    ) -> None:
        self.config = config or NotifyConfig()
        self._channels = tuple(channels)
        self._levels = default_levels()
        for category, level in (levels or {}).items():
            self._check(category, level)
            self._levels[category] = level
        self._daily = daily
        self._mono = monotonic
        self._now = now
        self._intake: queue.Queue = queue.Queue(maxsize=self.config.intake_size)
        self._coalescer = Coalescer(self.config.window_s, self.config.per_window)
        self._lock = threading.Lock()
        self._dropped = 0
        self._last_daily: date | None = None
        self._thread: threading.Thread | None = None

    # --- the producer side: any thread, never blocks --------------------------------------
    def publish(self, event: Event) -> None:
        """Queue ``event`` if some category may want it; O(1), never blocks, never raises."""
        if not self._channels or getattr(event, "kind", None) not in ROUTES:
            return
        self._put(event)

    def announce(self, category: NotifyCategory | None, severity: Severity, headline: str,
                 lines: list[str]) -> None:
        """A message that is no event: start, stop, a test (``category`` None)."""
        self._put(plain_notice(category, severity, headline, lines, self._now(),
                               self.config.public_url))

    def announce_start(self, mode: str, symbols: int) -> None:
        self.announce(NotifyCategory.LIFECYCLE, Severity.INFO, f"QuantShield started ({mode})",
                      [f"What happened: the bot started in {mode} mode on {symbols} symbols.",
                       "What the bot did: reconciled every open position with the exchange "
                       "and protected it."])

    def announce_stop(self) -> None:
        self.announce(NotifyCategory.LIFECYCLE, Severity.WARNING, "QuantShield stopping",
                      ["What happened: the bot is shutting down.",
                       "What the bot did: stops stay on the exchange; nothing watches them "
                       "until it is back."])

    def send_test(self, actor: str) -> None:
        self.announce(None, Severity.INFO, "test notification",
                      [f"What happened: {actor} asked for a test message from the dashboard.",
                       "What the bot did: nothing; if you read this, the channel works."])

    def _put(self, item: object) -> None:
        if not self._channels:
            return
        try:
            self._intake.put_nowait(item)
        except queue.Full:
            with self._lock:
                self._dropped += 1

    # --- levels ----------------------------------------------------------------------------
    def set_level(self, category: NotifyCategory, level: NotifyLevel) -> None:
        self._check(category, level)
        with self._lock:
            self._levels = {**self._levels, category: level}

    def level(self, category: NotifyCategory) -> NotifyLevel:
        return self._levels[category]

    @staticmethod
    def _check(category: NotifyCategory, level: NotifyLevel) -> None:
        if level is NotifyLevel.OFF and CATEGORY_SPECS[category].always_on:
            raise ValueError(f"{category.value} is always on and cannot be turned off")

    # --- what the dashboard reads ----------------------------------------------------------
    def status(self) -> NotifierStatus:
        with self._lock:
            dropped = self._dropped
        daily = self.config.daily_at
        return NotifierStatus(
            enabled=bool(self._channels),
            channels=tuple(c.status() for c in self._channels),
            levels=tuple(self._levels.items()),
            history=self._history(),
            dropped=dropped,
            coalesced=self._coalescer.coalesced,
            daily_at=daily.strftime("%H:%M") if daily else None,
        )

    def _history(self, size: int = 100) -> tuple[DeliveryRecord, ...]:
        """Every channel's deliveries, newest first."""
        merged = [r for c in self._channels for r in c.history()]
        return tuple(sorted(merged, key=lambda r: r.at, reverse=True)[:size])

    # --- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None or not self._channels:
            return
        now = self._now()
        if self.config.daily_at is not None and now >= self._daily_due(now):
            self._last_daily = now.date()  # today's is past: the next one is tomorrow's
        for channel in self._channels:
            channel.start()
        self._thread = threading.Thread(target=self._run, name="notify dispatcher",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (held storm counts included) within about ``timeout``."""
        if self._thread is None:
            return
        deadline = time.monotonic() + timeout
        try:
            self._intake.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self._thread = None
        for channel in self._channels:  # all drain at once, within the one deadline
            channel.close()
        for channel in self._channels:
            channel.join(max(0.1, deadline - time.monotonic()))

    # --- the dispatcher thread -------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                item = self._intake.get(timeout=self.config.tick_s)
            except queue.Empty:
                item = None
            if item is _STOP:
                break
            self._safely(self._handle, item)
            self._safely(self._tick)
        for held in self._coalescer.flush():
            self._safely(self._summary, held)

    def _safely(self, step: Callable[..., None], *args: object) -> None:
        try:
            step(*args)
        except Exception:  # one odd event must not end the notifications
            log.exception("[NOTIFY] Dispatcher step failed")

    def _handle(self, item: object) -> None:
        if isinstance(item, Event):
            category = route(item)
            if category is None or self._levels[category] is NotifyLevel.OFF:
                return
            self._send(notice_for(item, category, self.config.public_url))
        elif isinstance(item, Notice):
            if item.category is None:  # the test message: straight through
                self._fan_out(item, silent=False)
            elif self._levels[item.category] is not NotifyLevel.OFF:
                self._send(item)

    def _send(self, notice: Notice) -> None:
        if notice.category in NEVER_COALESCED or self._coalescer.offer(notice, self._mono()):
            self._fan_out(notice, silent=self._is_silent(notice))

    def _is_silent(self, notice: Notice) -> bool:
        return notice.category is not None and (
            self._levels[notice.category] is NotifyLevel.SILENT)

    def _fan_out(self, notice: Notice, silent: bool) -> None:
        for channel in self._channels:
            channel.offer(notice, silent)

    def _tick(self) -> None:
        for held in self._coalescer.due(self._mono()):
            self._summary(held)
        self._maybe_daily()

    def _summary(self, held: Held) -> None:
        notice = storm_notice(held.first, held.count, list(held.symbols),
                              self._coalescer.window_s, self._now(), self.config.public_url)
        self._fan_out(notice, silent=self._is_silent(held.first))

    def _daily_due(self, now: datetime) -> datetime:
        assert self.config.daily_at is not None
        return datetime.combine(now.date(), self.config.daily_at, UTC)

    def _maybe_daily(self) -> None:
        if self.config.daily_at is None or self._daily is None:
            return
        now = self._now()
        if now < self._daily_due(now) or self._last_daily == now.date():
            return
        self._last_daily = now.date()
        if self._levels[NotifyCategory.DAILY] is NotifyLevel.OFF:
            return
        lines = self._daily(now)
        notice = plain_notice(NotifyCategory.DAILY, Severity.INFO, "daily summary", lines, now,
                              self.config.public_url)
        self._fan_out(notice, silent=self._is_silent(notice))
