"""The two shapes every layer shares: a clock and somewhere to append events.

Richer ports (the exchange, the books, the decision store) belong to the policy
that needs them; these two are the vocabulary all of them speak.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.domain.events import Event

Clock = Callable[[], datetime]
"""Returns an aware UTC datetime: the venue's in paper mode, the wall's otherwise."""


class EventSink(Protocol):
    def append(self, event: Event) -> Event: ...
