"""The one persistence object the bot, the monitor and the dashboard share."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.domain.ports import Clock
from bot.settings import mask_url
from bot.store.books import BooksMixin
from bot.store.control import ControlMixin
from bot.store.engine import make_engine
from bot.store.event_log import EventLogMixin
from bot.store.history import HistoryMixin
from bot.store.performance import PerformanceMixin
from bot.store.review import ReviewMixin
from bot.store.schema import create_schema
from bot.store.trading import TradingMixin

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Store(EventLogMixin, ControlMixin, TradingMixin, HistoryMixin, BooksMixin,
            PerformanceMixin, ReviewMixin):
    """Thread-safe: every call takes its own pooled connection and transaction.

    ``clock`` stamps rows whose time the caller does not give (audit, acks,
    decisions), so tests can pin it.
    """

    def __init__(self, url: str, clock: Clock | None = None) -> None:
        self._clock = clock or _utc_now
        self._engine = make_engine(url)
        self.url = url
        create_schema(self._engine)
        log.info("[STORE] Database ready: %s", mask_url(url))

    @property
    def engine(self) -> Engine:
        """For benches and inspection; the bot itself goes through the methods."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({mask_url(self.url)!r})"
