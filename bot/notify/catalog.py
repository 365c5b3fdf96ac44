"""The one table from event kind to notification category, and each category's severity.

A few kinds say different things depending on their details (an emergency
close after the would-trigger ladder, a kill-switch change made by the bot itself), so
a row is a small function of the event; kinds without a row are never sent.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain import Event, EventKind, Severity
from bot.domain.notify import NotifyCategory as C

SYSTEM_ACTOR = "system"  # who the kill switch names when it trips by itself


def _always(category: C) -> Callable[[Event], C | None]:
    return lambda _event: category


def _emergency(event: Event) -> C:
    """More than one rejection before the close means the whole would-trigger ladder was climbed."""
    rejections = event.details.get("rejections")
    ladder = isinstance(rejections, int) and rejections > 1
    return C.LADDER_EXHAUSTED if ladder else C.EMERGENCY_CLOSE


def _naked_detected(event: Event) -> C:
    """A stop that exists but cannot fire (rejected, expired, stuck triggering) versus one that
    is simply gone, cancelled behind the bot's back; the monitor repairs both at once."""
    return C.STOP_FAILED if event.details.get("ineffective") else C.STOP_REPAIRED


def _exchange_error(event: Event) -> C | None:
    return C.EMERGENCY_CLOSE if event.details.get("protect") == "failed" else None


def _kill(event: Event) -> C:
    return C.AUTO_TRIP if event.details.get("actor") == SYSTEM_ACTOR and event.details.get(
        "trigger") not in (None, "flat", "manual") else C.KILL_SWITCH


def _lease(event: Event) -> C | None:
    return C.LEASE_LOST if event.details.get("action") == "lost" else None


ROUTES: dict[EventKind, Callable[[Event], C | None]] = {
    EventKind.NAKED_PAST_GRACE: _always(C.NAKED),
    EventKind.NAKED_DETECTED: _naked_detected,
    EventKind.STOP_CANCELED_WHILE_OPEN: _always(C.STOP_REPAIRED),
    EventKind.STOP_STUCK: _always(C.STOP_FAILED),
    EventKind.STOP_LOST: _always(C.STOP_FAILED),
    EventKind.STOP_AT_RISK: _always(C.STOP_FAILED),
    EventKind.STREAM_DOWN: _always(C.STREAM_DOWN),
    EventKind.EMERGENCY_CLOSE: _emergency,
    EventKind.EXCHANGE_ERROR: _exchange_error,
    EventKind.KILL_SWITCH: _kill,
    EventKind.LEASE: _lease,
    EventKind.TRAILING_DISABLED: _always(C.TRAILING_DISABLED),
    EventKind.ENTRY_FAILED: _always(C.ENTRY_FAILED),
    EventKind.LOSS_OVER_LIMIT: _always(C.LOSS_OVER_LIMIT),
    EventKind.ENTRY_FILLED: _always(C.ENTRY),
    EventKind.POSITION_CLOSED: _always(C.CLOSE),
}

SEVERITY: dict[C, Severity] = {
    C.NAKED: Severity.CRITICAL,
    C.STOP_FAILED: Severity.CRITICAL,
    C.EMERGENCY_CLOSE: Severity.CRITICAL,
    C.LADDER_EXHAUSTED: Severity.CRITICAL,
    C.AUTO_TRIP: Severity.CRITICAL,
    C.LEASE_LOST: Severity.CRITICAL,
    C.STREAM_DOWN: Severity.CRITICAL,
    C.KILL_SWITCH: Severity.WARNING,
    C.TRAILING_DISABLED: Severity.WARNING,
    C.LOSS_OVER_LIMIT: Severity.WARNING,
    C.STOP_REPAIRED: Severity.WARNING,
    C.ENTRY_FAILED: Severity.WARNING,
    C.LIFECYCLE: Severity.INFO,
    C.ENTRY: Severity.INFO,
    C.CLOSE: Severity.INFO,
    C.DAILY: Severity.INFO,
}


# Each one is a distinct decision a person needs to read (HALT then RESUME a minute later,
# start then stop): never folded into a storm count.
NEVER_COALESCED = frozenset({C.KILL_SWITCH, C.LIFECYCLE, C.DAILY})


def route(event: Event) -> C | None:
    """The category ``event`` is told under, or None when it is not worth a message."""
    rule = ROUTES.get(event.kind)
    return rule(event) if rule is not None else None
