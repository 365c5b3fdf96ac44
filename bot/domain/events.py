"""The event vocabulary: one append-only log from which metrics and red flags derive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    # protection
    ENTRY_FILLED = "ENTRY_FILLED"
    ENTRY_FAILED = "ENTRY_FAILED"          # the venue refused the entry: code = its error
    STOP_PLACED = "STOP_PLACED"            # latency_ms = entry response -> stop ack when known
    STOP_REJECTED = "STOP_REJECTED"        # code = the Binance error code
    STOP_RETRY = "STOP_RETRY"              # the ladder moved the stop by a buffer
    STOP_KEPT = "STOP_KEPT"                # monitor found coverage and touched nothing
    STOP_CANCELED = "STOP_CANCELED"        # details.reason: orphan | replaced | flatten
    STOP_CANCELED_WHILE_OPEN = "STOP_CANCELED_WHILE_OPEN"  # cancelled behind the bot's back
    STOP_STUCK = "STOP_STUCK"              # TRIGGERING past its grace: no cover any more
    STOP_LOST = "STOP_LOST"                # REJECTED or EXPIRED at the venue while open
    STOP_AT_RISK = "STOP_AT_RISK"          # the stop lies beyond the liquidation price
    EMERGENCY_CLOSE = "EMERGENCY_CLOSE"
    NAKED_DETECTED = "NAKED_DETECTED"
    NAKED_PAST_GRACE = "NAKED_PAST_GRACE"
    TRAILING_PLACED = "TRAILING_PLACED"
    TRAILING_DISABLED = "TRAILING_DISABLED"  # code INVALID_CALLBACK_RATE or a bad setting
    TAKE_PROFIT_PLACED = "TAKE_PROFIT_PLACED"
    POSITION_CLOSED = "POSITION_CLOSED"    # details: pnl_usdt, pnl_pct_equity, reason
    POSITION_ADOPTED = "POSITION_ADOPTED"
    LOSS_OVER_LIMIT = "LOSS_OVER_LIMIT"
    EXCHANGE_ERROR = "EXCHANGE_ERROR"
    MONITOR_CYCLE = "MONITOR_CYCLE"        # details: positions, covered, requests, ms
    STREAM_DOWN = "STREAM_DOWN"            # the user-data stream is down past its grace
    STREAM_UP = "STREAM_UP"                # back, after a STREAM_DOWN
    # decisions
    SIGNAL_RECEIVED = "SIGNAL_RECEIVED"
    SIGNAL_REJECTED = "SIGNAL_REJECTED"
    DECISION_ALLOWED = "DECISION_ALLOWED"
    DECISION_DENIED = "DECISION_DENIED"    # details.rule, details.reason
    SIZING_REFUSED = "SIZING_REFUSED"
    REGIME_CHANGED = "REGIME_CHANGED"
    REGIME_STALE = "REGIME_STALE"          # no fresh regime: shorts denied; once per stale period
    # control
    RULE_CHANGED = "RULE_CHANGED"
    KILL_SWITCH = "KILL_SWITCH"            # details.state, details.actor, details.reason
    JOB_ERROR = "JOB_ERROR"
    JOB_MISSED = "JOB_MISSED"
    LEASE = "LEASE"


class Severity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: datetime
    symbol: str | None = None
    code: int | None = None
    message: str = ""
    latency_ms: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None  # set by the store


RED_FLAG_KINDS: dict[EventKind, Severity] = {
    EventKind.STOP_REJECTED: Severity.WARNING,
    EventKind.ENTRY_FAILED: Severity.WARNING,
    EventKind.TRAILING_DISABLED: Severity.WARNING,
    EventKind.EMERGENCY_CLOSE: Severity.CRITICAL,
    EventKind.NAKED_PAST_GRACE: Severity.CRITICAL,
    EventKind.STOP_CANCELED_WHILE_OPEN: Severity.CRITICAL,
    EventKind.STOP_STUCK: Severity.CRITICAL,
    EventKind.STOP_LOST: Severity.CRITICAL,
    EventKind.STOP_AT_RISK: Severity.WARNING,
    EventKind.STREAM_DOWN: Severity.CRITICAL,
    EventKind.LOSS_OVER_LIMIT: Severity.WARNING,
    EventKind.POSITION_ADOPTED: Severity.WARNING,
    EventKind.JOB_ERROR: Severity.WARNING,
    EventKind.JOB_MISSED: Severity.WARNING,
    EventKind.REGIME_STALE: Severity.WARNING,
}


def red_flag_label(event: Event) -> str:
    """The short code the dashboard shows: the Binance code, NAKED, EMERGENCY CLOSE, LOSS > 1%."""
    if event.code is not None and event.kind in (
        EventKind.STOP_REJECTED, EventKind.TRAILING_DISABLED, EventKind.ENTRY_FAILED
    ):
        return str(event.code)
    return {
        EventKind.TRAILING_DISABLED: "TRAILING OFF",
        EventKind.EMERGENCY_CLOSE: "EMERGENCY CLOSE",
        EventKind.NAKED_PAST_GRACE: "NAKED",
        EventKind.STOP_CANCELED_WHILE_OPEN: "STOP CANCELED",
        EventKind.STOP_STUCK: "STOP STUCK",
        EventKind.STOP_LOST: "STOP LOST",
        EventKind.STOP_AT_RISK: "AT RISK",
        EventKind.STREAM_DOWN: "STREAM DOWN",
        EventKind.LOSS_OVER_LIMIT: "LOSS > 1%",
        EventKind.POSITION_ADOPTED: "ADOPTED",
        EventKind.JOB_ERROR: "JOB ERROR",
        EventKind.JOB_MISSED: "JOB MISSED",
        EventKind.REGIME_STALE: "REGIME STALE",
    }.get(event.kind, event.kind.value)
