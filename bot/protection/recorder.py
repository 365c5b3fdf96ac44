"""Events with the bot's clock, and a store that may fail without taking a stop with it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from bot.domain import Event, EventKind
from bot.domain.ports import Clock, EventSink

log = logging.getLogger(__name__)


class EventRecorder:
    """The one way protection, the executor and the monitor write to the event log.

    A failing event store (a full disk) is logged and swallowed: recording what
    happened must never undo or block the protection that happened.
    """

    def __init__(self, sink: EventSink, clock: Clock) -> None:
        self._sink = sink
        self.now = clock

    def make(self, kind: EventKind, symbol: str | None, message: str, code: int | None = None,
             details: dict[str, Any] | None = None, latency_ms: float | None = None) -> Event:
        """An event stamped now, not yet stored (the ladder collects them until it is safe)."""
        return Event(kind=kind, at=self.now(), symbol=symbol, code=code, message=message,
                     latency_ms=latency_ms, details=dict(details or {}))

    def record(self, kind: EventKind, symbol: str | None, message: str, code: int | None = None,
               details: dict[str, Any] | None = None, latency_ms: float | None = None) -> Event:
        return self.store(self.make(kind, symbol, message, code, details, latency_ms))

    def store(self, event: Event) -> Event:
        try:
            return self._sink.append(event)
        except Exception:  # the event log must never undo a placed stop
            log.exception("[SHIELD] could not record %s for %s", event.kind.value, event.symbol)
            return event

    def store_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.store(event)
