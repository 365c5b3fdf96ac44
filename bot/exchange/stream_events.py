"""Binance user-data stream payloads, read into the one shape the bot acts on.

The bot does not mirror the venue's state from the stream (the poll and the
targeted check read the truth); it only needs to know *that* something that can
touch protection changed, where, and when. Wire dicts stop here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.domain import VenueEvent, VenueEventKind

# statuses that can leave a position without its stop, or mean a fill is coming
_ALGO_TOUCHES = frozenset({"CANCELED", "EXPIRED", "REJECTED", "TRIGGERING", "TRIGGERED",
                           "FINISHED"})


def parse_stream_message(msg: Mapping[str, Any]) -> VenueEvent | None:
    """One payload → a VenueEvent, or None for what cannot change protection."""
    kind = msg.get("e")
    at = _time(msg.get("E"))
    if kind == "listenKeyExpired":
        return VenueEvent(VenueEventKind.LISTEN_KEY_EXPIRED, None, at)
    if kind == "ALGO_UPDATE":
        o = msg.get("o") or {}
        status = str(o.get("X", ""))
        if status == "TRIGGERING":  # its grace runs from the trigger, not from the push
            at = _time(o.get("tt")) or _time(msg.get("T")) or at
        return VenueEvent(VenueEventKind.ALGO, _symbol(o), at, status=status,
                          client_id=str(o.get("caid", "")),
                          touches=status in _ALGO_TOUCHES, reason=str(o.get("rm") or ""))
    if kind == "ORDER_TRADE_UPDATE":
        o = msg.get("o") or {}
        execution = str(o.get("x", ""))
        return VenueEvent(VenueEventKind.ORDER, _symbol(o), at, status=str(o.get("X", "")),
                          client_id=str(o.get("c", "")),
                          touches=execution in ("TRADE", "CALCULATED", "EXPIRED"))
    if kind == "ACCOUNT_UPDATE":
        a = msg.get("a") or {}
        symbols = tuple(sorted({str(p.get("s")) for p in a.get("P") or () if p.get("s")}))
        return VenueEvent(VenueEventKind.ACCOUNT, None, at, symbols=symbols,
                          touches=bool(symbols), reason=str(a.get("m") or ""))
    return None


def _symbol(o: Mapping[str, Any]) -> str | None:
    symbol = o.get("s")
    return str(symbol) if symbol else None


def _time(ms: Any) -> datetime | None:
    try:
        value = int(ms)
    except (TypeError, ValueError):
        return None
    if value <= 0:  # Binance sends 0 for a time that has not happened ("tt" before a trigger)
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
