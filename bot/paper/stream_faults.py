"""Injected misbehaviour of the user-data stream, for tests of a bot's stream handling.

What a live stream does to a client, and what the bot must survive without
losing track of its stops: the connection dropping (``drop``), a connection
that stays open but goes quiet (``stall``: the events of the stall are never
sent, as when the venue's stream silently stops), events missing (``lose``)
and events arriving late (``delay``, in wall-clock ms, order kept).
``clear`` ends all of them. Faults apply to every connection alike.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum


class StreamFaultKind(StrEnum):
    DROP = "drop"  # close every connection now (no close frame, as a network drop)
    STALL = "stall"  # connections stay open, nothing is sent until cleared
    LOSE = "lose"  # the next `count` events are silently dropped
    DELAY = "delay"  # the next `count` events go out `delay_ms` late
    CLEAR = "clear"  # end stall, lose and delay


@dataclass(frozen=True)
class Disposition:
    """What to do with one event: send it (after ``delay_ms``), or not at all."""

    send: bool
    delay_ms: int = 0


SEND_NOW = Disposition(True)
SWALLOW = Disposition(False)


class StreamFaults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stalled = False
        self.lose = 0
        self.delay_count = 0
        self.delay_ms = 0

    def arm(self, kind: StreamFaultKind | str, count: int = 1, delay_ms: int = 0) -> None:
        """Arm a fault (``drop`` is not state: the server acts on it at once)."""
        kind = StreamFaultKind(kind)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        if isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or delay_ms < 0:
            raise ValueError("delay_ms must be a non-negative integer")
        if kind is StreamFaultKind.DELAY and delay_ms == 0:
            raise ValueError("a delay fault needs delay_ms > 0")
        with self._lock:
            if kind is StreamFaultKind.STALL:
                self.stalled = True
            elif kind is StreamFaultKind.LOSE:
                self.lose += count
            elif kind is StreamFaultKind.DELAY:
                self.delay_count, self.delay_ms = count, delay_ms
            elif kind is StreamFaultKind.CLEAR:
                self.stalled, self.lose, self.delay_count, self.delay_ms = False, 0, 0, 0

    def clear(self) -> None:
        self.arm(StreamFaultKind.CLEAR)

    def next_event(self) -> Disposition:
        """Decide the fate of the next event (consumes ``lose`` / ``delay`` counts)."""
        with self._lock:
            if self.stalled:
                return SWALLOW
            if self.lose:
                self.lose -= 1
                return SWALLOW
            if self.delay_count:
                self.delay_count -= 1
                return Disposition(True, self.delay_ms)
            return SEND_NOW

    def to_json(self) -> dict:
        with self._lock:
            return {"stalled": self.stalled, "lose": self.lose,
                    "delayCount": self.delay_count, "delayMs": self.delay_ms}
