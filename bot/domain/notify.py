"""Notification vocabulary: what can be told to the operator, how loudly, and the read models
the dashboard shows.

It lives in the domain because three layers speak it: the settings validate
``QT_NOTIFY_EVENTS`` against it, the notifier routes events to it, and the
dashboard lets the operator change levels through the control port. The table
that maps event kinds to these categories is the notifier's (``bot.notify.catalog``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class NotifyLevel(StrEnum):
    ON = "on"          # sent, with whatever sound the channel makes
    SILENT = "silent"  # sent without a sound where the channel can (Telegram); else like on
    OFF = "off"        # not sent


class NotifyCategory(StrEnum):
    # always on: each one means the operator may have to act now
    NAKED = "naked"
    STOP_FAILED = "stop_failed"
    EMERGENCY_CLOSE = "emergency_close"
    LADDER_EXHAUSTED = "ladder_exhausted"
    KILL_SWITCH = "kill_switch"
    AUTO_TRIP = "auto_trip"
    LEASE_LOST = "lease_lost"
    STREAM_DOWN = "stream_down"
    LIFECYCLE = "lifecycle"
    # on by default
    TRAILING_DISABLED = "trailing_disabled"
    LOSS_OVER_LIMIT = "loss_over_limit"
    STOP_REPAIRED = "stop_repaired"
    ENTRY_FAILED = "entry_failed"
    # off by default
    ENTRY = "entry"
    CLOSE = "close"
    DAILY = "daily"


@dataclass(frozen=True)
class CategorySpec:
    label: str
    default: NotifyLevel
    always_on: bool = False


_ON, _OFF = NotifyLevel.ON, NotifyLevel.OFF

CATEGORY_SPECS: dict[NotifyCategory, CategorySpec] = {
    NotifyCategory.NAKED: CategorySpec("Position naked past grace", _ON, True),
    NotifyCategory.STOP_FAILED: CategorySpec("Stop stuck or rejected at trigger", _ON, True),
    NotifyCategory.EMERGENCY_CLOSE: CategorySpec("Emergency close", _ON, True),
    NotifyCategory.LADDER_EXHAUSTED: CategorySpec("Stop ladder exhausted", _ON, True),
    NotifyCategory.KILL_SWITCH: CategorySpec("HALT / FLATTEN / RESUME", _ON, True),
    NotifyCategory.AUTO_TRIP: CategorySpec("Automatic kill-switch trip", _ON, True),
    NotifyCategory.LEASE_LOST: CategorySpec("Account lease lost", _ON, True),
    NotifyCategory.STREAM_DOWN: CategorySpec("User-data stream down", _ON, True),
    NotifyCategory.LIFECYCLE: CategorySpec("App starting and stopping", _ON, True),
    NotifyCategory.TRAILING_DISABLED: CategorySpec("Trailing stop disabled (callback rate)", _ON),
    NotifyCategory.LOSS_OVER_LIMIT: CategorySpec("Loss over the limit", _ON),
    NotifyCategory.STOP_REPAIRED: CategorySpec("Missing stop found and repaired", _ON),
    NotifyCategory.ENTRY_FAILED: CategorySpec("Entry refused by the venue", _ON),
    NotifyCategory.ENTRY: CategorySpec("Entry filled", _OFF),
    NotifyCategory.CLOSE: CategorySpec("Position closed, with PnL", _OFF),
    NotifyCategory.DAILY: CategorySpec("Daily summary", _OFF),
}


def parse_levels(text: str) -> dict[NotifyCategory, NotifyLevel]:
    """``"entry=on,close=silent"`` (commas or spaces) as a mapping; ValueError names the entry.

    An always-on category may be made silent but never off: a naked position
    the operator does not hear about is the failure this whole feature exists for.
    """
    levels: dict[NotifyCategory, NotifyLevel] = {}
    for item in text.replace(",", " ").split():
        name, sep, raw_level = item.partition("=")
        name, raw_level = name.strip().lower(), raw_level.strip().lower()
        if not sep or not name or not raw_level:
            raise ValueError(f"{item!r} is not name=level")
        try:
            category = NotifyCategory(name)
        except ValueError:
            known = ", ".join(c.value for c in NotifyCategory)
            raise ValueError(f"unknown event {name!r} (known: {known})") from None
        try:
            level = NotifyLevel(raw_level)
        except ValueError:
            raise ValueError(f"{name}: level must be on, silent or off, got {raw_level!r}"
                             ) from None
        if level is NotifyLevel.OFF and CATEGORY_SPECS[category].always_on:
            raise ValueError(f"{name} is always on and cannot be turned off")
        levels[category] = level
    return levels


def format_levels(levels: dict[NotifyCategory, NotifyLevel]) -> str:
    return ",".join(f"{c.value}={lv.value}" for c, lv in levels.items())


# read models --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelStatus:
    """One apprise URL as the operator may see it: scheme and host, never a token."""

    label: str
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    queued: int = 0
    last_attempt_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_error: str = ""


@dataclass(frozen=True)
class DeliveryRecord:
    at: datetime
    channel: str
    title: str
    category: str
    ok: bool
    attempts: int
    error: str = ""


@dataclass(frozen=True)
class NotifierStatus:
    enabled: bool
    channels: tuple[ChannelStatus, ...] = ()
    levels: tuple[tuple[NotifyCategory, NotifyLevel], ...] = ()
    history: tuple[DeliveryRecord, ...] = ()  # newest first
    dropped: int = 0     # events the intake queue had no room for
    coalesced: int = 0   # events folded into a storm summary
    daily_at: str | None = None
