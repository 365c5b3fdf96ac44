"""The port the dashboard's notifications panel calls; the runtime implements it
(``bot.runtime.notify_control``), so the dashboard never touches the notifier itself."""

from __future__ import annotations

from typing import Protocol

from bot.domain import ControlResult
from bot.domain.notify import NotifierStatus


class NotificationsApi(Protocol):
    def notifications(self) -> NotifierStatus:
        """Channels (scheme and host only), levels, delivery history: memory only."""

    def set_notify_level(self, category: str, level: str, actor: str) -> ControlResult:
        """Validate, save with the actor, effective for the next event; unchanged on error."""

    def send_test_notification(self, actor: str) -> ControlResult:
        """Queue a test message to every channel; the outcome shows in the history."""
