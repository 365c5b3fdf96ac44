"""Where each category's level comes from: defaults, then ``QT_NOTIFY_EVENTS``, then what an
operator chose on the dashboard (saved with who chose it, so it survives a restart)."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.domain.notify import CATEGORY_SPECS, NotifyCategory, NotifyLevel

log = logging.getLogger(__name__)

PREFIX = "notify.level."


class LevelStore(Protocol):
    def settings_with_prefix(self, prefix: str) -> dict[str, str]: ...

    def set_setting(self, key: str, value: str, actor: str) -> None: ...


def start_levels(configured: dict[NotifyCategory, NotifyLevel], daily_at_set: bool,
                 store: LevelStore | None) -> dict[NotifyCategory, NotifyLevel]:
    """Setting ``QT_NOTIFY_DAILY_AT`` asks for the summary, so it turns ``daily`` on unless
    ``QT_NOTIFY_EVENTS`` or the dashboard says otherwise."""
    levels: dict[NotifyCategory, NotifyLevel] = {}
    if daily_at_set:
        levels[NotifyCategory.DAILY] = NotifyLevel.ON
    levels.update(configured)
    saved = store.settings_with_prefix(PREFIX) if store is not None else {}
    for key, value in sorted(saved.items()):
        try:
            category, level = NotifyCategory(key[len(PREFIX):]), NotifyLevel(value)
        except ValueError:
            log.warning("[NOTIFY] Ignoring saved level %s=%s", key, value)
            continue
        if level is NotifyLevel.OFF and CATEGORY_SPECS[category].always_on:
            continue
        levels[category] = level
    return levels


def save_level(store: LevelStore, category: NotifyCategory, level: NotifyLevel,
               actor: str) -> None:
    store.set_setting(PREFIX + category.value, level.value, actor)
