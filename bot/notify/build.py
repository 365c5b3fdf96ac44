"""The notifier as the settings describe it: one channel per ``QT_NOTIFY_URLS`` entry."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import time as day_time
from typing import Protocol

from bot.domain.notify import parse_levels
from bot.notify.channel import Channel, DeliveryPolicy
from bot.notify.daily import SummaryStore, summary_lines
from bot.notify.levels import LevelStore, start_levels
from bot.notify.notifier import Notifier, NotifyConfig
from bot.settings import Settings


class NotifierStore(SummaryStore, LevelStore, Protocol):
    """The store as the notifier reads it: trades and counts for the summary, saved levels."""


def notify_config(settings: Settings) -> NotifyConfig:
    daily = settings.notify_daily_at
    return NotifyConfig(
        public_url=settings.public_url,
        daily_at=day_time.fromisoformat(daily) if daily else None,
    )


def build_notifier(settings: Settings, store: NotifierStore,
                   policy: DeliveryPolicy | None = None,
                   monotonic: Callable[[], float] = time.monotonic) -> Notifier:
    """Always a notifier; with no URL configured it has no channel and ignores everything.
    ``monotonic`` times the storm windows (tests pass a manual clock)."""
    policy = policy or DeliveryPolicy()
    channels = [Channel.for_url(url.get_secret_value(), policy) for url in settings.notify_urls]
    levels = start_levels(parse_levels(settings.notify_events),
                          settings.notify_daily_at is not None, store)
    return Notifier(channels, levels, notify_config(settings),
                    daily=lambda now: summary_lines(store, now), monotonic=monotonic)
