"""Turning an event into a message a person can act on from a phone's lock screen.

Plain text only: a title with the severity and the symbol first (what a lock
screen shows), then what happened, what the bot did about it, when, and the
dashboard's address when ``QT_PUBLIC_URL`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.domain import Event, Severity
from bot.domain.notify import CATEGORY_SPECS, NotifyCategory
from bot.notify.catalog import SEVERITY

C = NotifyCategory


@dataclass(frozen=True)
class Notice:
    """One message to send; ``category`` None is the operator's test message."""

    category: NotifyCategory | None
    severity: Severity
    title: str
    body: str
    at: datetime
    symbol: str | None = None


def _num(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 0.010 -> 0.01, 1E+2 -> 100
    return "?" if value is None else str(value)


def _code(event: Event) -> str:
    return f" ({event.code})" if event.code is not None else ""


_PROTECTING = "Placing a new stop now; if that fails too, the position is closed at market."
_HALTED = "No new entries; stops stay and the monitor keeps protecting."


def _naked(e: Event, _d: dict) -> tuple[str, str, str]:
    return ("NAKED past grace", f"No covering stop on the exchange: {e.message}.",
            "The monitor retries every cycle. Check the exchange now and FLATTEN if it cannot "
            "be protected.")


def _stop_failed(e: Event, d: dict) -> tuple[str, str, str]:
    if d.get("ineffective"):
        return ("stop cannot fire", f"The stop is rejected, expired or stuck at its trigger "
                f"({e.message}).", _PROTECTING)
    return ("stop cancelled while open", f"A stop was cancelled while its position was open"
            f"{_code(e)}: {e.message}.", "Protection is re-checked on the next monitor cycle.")


def _emergency(e: Event, d: dict) -> tuple[str, str, str]:
    if d.get("protect") == "failed":
        return ("EMERGENCY CLOSE FAILED", f"No stop could be placed and the market close was "
                f"refused{_code(e)}: {e.message}.",
                "Nothing more: the position is NAKED. Close it by hand or FLATTEN.")
    if d.get("gone"):
        return ("emergency close", f"No stop could be placed{_code(e)}.",
                "Tried to close at market; the position was already gone.")
    return ("emergency close", f"No stop could be placed{_code(e)}.",
            f"Closed {_num(d.get('quantity'))} at market (avg price {_num(d.get('avg_price'))}).")


def _ladder(e: Event, d: dict) -> tuple[str, str, str]:
    return ("Stop ladder exhausted", f"Every stop was refused as would-trigger-immediately, "
            f"{_num(d.get('rejections'))} times, each further from the mark.",
            f"Closed {_num(d.get('quantity'))} at market (avg price {_num(d.get('avg_price'))}).")


_KILL_DID = {
    "HALTED": _HALTED,
    "FLATTENING": "Closing every position at market, then cancelling their stops.",
    "RUNNING": "Entries are allowed again.",
}


def _kill(e: Event, d: dict) -> tuple[str, str, str]:
    state = str(d.get("state", "?"))
    return (f"kill switch {state}", f"{d.get('previous', '?')} -> {state} by "
            f"{d.get('actor', '?')}: {d.get('reason') or e.message}.",
            _KILL_DID.get(state, "See the dashboard."))


def _auto_trip(e: Event, d: dict) -> tuple[str, str, str]:
    return ("automatic HALT", f"The bot halted itself: {d.get('reason') or e.message}.",
            f"{_HALTED} RESUME from the dashboard once you have looked.")


def _lease(e: Event, _d: dict) -> tuple[str, str, str]:
    return ("lease lost", f"This process lost the account lease ({e.message}).",
            "It stopped trading this account. Check for a second instance.")


def _trailing(e: Event, _d: dict) -> tuple[str, str, str]:
    return ("trailing stop off", f"{e.message}{_code(e)}.", "The fixed stop stays in place.")


def _loss(e: Event, d: dict) -> tuple[str, str, str]:
    return ("loss over limit", f"A trade lost {_num(d.get('pnl_usdt'))} USDT "
            f"({_num(d.get('pnl_pct_equity'))}% of equity).", "Recorded as a red flag.")


def _repaired(e: Event, _d: dict) -> tuple[str, str, str]:
    return ("stop missing, repaired", f"The covering stop was gone ({e.message}), cancelled "
            "outside the bot.", _PROTECTING)


def _entry(e: Event, _d: dict) -> tuple[str, str, str]:
    return ("entry filled", f"{e.message}.", "Its stop went to the exchange right after.")


def _close(e: Event, d: dict) -> tuple[str, str, str]:
    return ("position closed", f"{e.message} ({_num(d.get('pnl_pct_equity'))}% of equity).",
            "Its remaining stops are cleaned up by the monitor.")


_TEXT: dict[NotifyCategory, Callable[[Event, dict], tuple[str, str, str]]] = {
    C.NAKED: _naked, C.STOP_FAILED: _stop_failed, C.EMERGENCY_CLOSE: _emergency,
    C.LADDER_EXHAUSTED: _ladder, C.KILL_SWITCH: _kill, C.AUTO_TRIP: _auto_trip,
    C.LEASE_LOST: _lease, C.TRAILING_DISABLED: _trailing, C.LOSS_OVER_LIMIT: _loss,
    C.STOP_REPAIRED: _repaired, C.ENTRY: _entry, C.CLOSE: _close,
}


def compose(severity: Severity, headline: str, lines: list[str], at: datetime,
            public_url: str | None) -> tuple[str, str]:
    """Title and body in the one layout every message shares."""
    title = f"{severity.value}: {headline}"
    body = [*lines, f"Time: {at:%Y-%m-%d %H:%M:%S} UTC"]
    if public_url:
        body.append(f"Dashboard: {public_url}")
    return title, "\n".join(body)


def notice_for(event: Event, category: NotifyCategory, public_url: str | None) -> Notice:
    severity = SEVERITY[category]
    text = _TEXT.get(category)
    if text is None:
        what, happened, did = CATEGORY_SPECS[category].label, event.message, "See the dashboard."
    else:
        what, happened, did = text(event, dict(event.details or {}))
    headline = f"{event.symbol} {what}" if event.symbol else what
    title, body = compose(severity, headline, [f"What happened: {happened}",
                                               f"What the bot did: {did}"],
                          event.at, public_url)
    return Notice(category, severity, title, body, event.at, event.symbol)


def storm_notice(first: Notice, more: int, symbols: list[str], window_s: float,
                 at: datetime, public_url: str | None) -> Notice:
    """What a storm of one category becomes: one message with a count."""
    label = CATEGORY_SPECS[first.category].label if first.category else "messages"
    where = f" on {', '.join(symbols[:8])}" + (" and more" if len(symbols) > 8 else "")
    headline = f"{more} more: {label}{where if symbols else ''}"
    title, body = compose(first.severity, headline, [
        f"What happened: {more} more '{label}' within {window_s:.0f} s of the first "
        "message, held back so the channel stays readable.",
        "What the bot did: handled each one as usual; every one is in the dashboard's "
        "red flags and event log.",
    ], at, public_url)
    return Notice(first.category, first.severity, title, body, at,
                  symbols[0] if len(symbols) == 1 else None)


def plain_notice(category: NotifyCategory | None, severity: Severity, headline: str,
                 lines: list[str], at: datetime, public_url: str | None) -> Notice:
    """A message that does not come from an event: start, stop, test, daily summary."""
    title, body = compose(severity, headline, lines, at, public_url)
    return Notice(category, severity, title, body, at)
