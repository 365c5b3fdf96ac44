"""NotificationsApi over the running notifier: level changes are saved with who made them."""

from __future__ import annotations

import logging

from bot.domain import ControlResult
from bot.domain.notify import NotifierStatus, NotifyCategory, NotifyLevel
from bot.notify import Notifier, save_level
from bot.notify.levels import LevelStore

log = logging.getLogger(__name__)


class NotificationControl:
    def __init__(self, notifier: Notifier, store: LevelStore) -> None:
        self._notifier = notifier
        self._store = store

    def notifications(self) -> NotifierStatus:
        return self._notifier.status()

    def set_notify_level(self, category: str, level: str, actor: str) -> ControlResult:
        try:
            cat, lvl = NotifyCategory(category), NotifyLevel(level)
        except ValueError:
            return ControlResult(False, "not saved", (f"unknown event or level: {category}",))
        previous = self._notifier.level(cat)
        if previous is lvl:
            return ControlResult(True, f"{cat.value} already {lvl.value}")
        try:
            self._notifier.set_level(cat, lvl)
        except ValueError as exc:
            return ControlResult(False, "not saved", (str(exc),))
        try:
            save_level(self._store, cat, lvl, actor)
        except Exception:  # nothing changes on error
            self._notifier.set_level(cat, previous)
            raise
        log.info("[NOTIFY] %s set %s to %s", actor, cat.value, lvl.value)
        return ControlResult(True, f"{cat.value} {lvl.value}")

    def send_test_notification(self, actor: str) -> ControlResult:
        if not self._notifier.status().enabled:
            return ControlResult(False, "no channel", ("set QT_NOTIFY_URLS to add one",))
        self._notifier.send_test(actor)
        log.info("[NOTIFY] Test notification queued by %s", actor)
        return ControlResult(True, "test queued: see the delivery history")
