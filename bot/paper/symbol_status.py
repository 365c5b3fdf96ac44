"""A symbol's contract status and what it allows: new orders, reduce-only closes, matching.

Statuses are Binance's USDⓈ-M enum (Common Definition, "Contract status"). What
each allows follows Binance Support, "Delisting of Futures Contracts": from 30
minutes before trading stops only reduce-only orders are accepted (here
PRE_SETTLE / PRE_DELIVERING: opening orders get -4140 "Invalid symbol status for
opening position"); once trading is suspended nothing new is accepted (-1122
"Invalid symbol status.", -4141 "Symbol is closed" for CLOSE) and nothing
matches: stops do not fire, TRIGGERING orders wait, resting limits do not fill.
Cancels are always accepted.
"""

from __future__ import annotations

from bot.paper import errors

STATUSES = ("PENDING_TRADING", "TRADING", "PRE_DELIVERING", "DELIVERING", "DELIVERED",
            "PRE_SETTLE", "SETTLING", "CLOSE")
REDUCE_ONLY = ("PRE_DELIVERING", "PRE_SETTLE")
MATCHING = ("TRADING", *REDUCE_ONLY)


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise ValueError(f"unknown contract status {status!r}: use one of {', '.join(STATUSES)}")
    return status


def check_new_order(status: str, reducing: bool) -> None:
    """Raise Binance's refusal of a new order (ordinary or algo) in this status."""
    if status == "TRADING" or (reducing and status in REDUCE_ONLY):
        return
    if status in REDUCE_ONLY:
        raise errors.opening_not_allowed()
    if status == "CLOSE":
        raise errors.symbol_closed()
    raise errors.invalid_symbol_status()


def matches(status: str) -> bool:
    """Whether prices move orders on this symbol (triggers, TRIGGERING hand-overs, fills)."""
    return status in MATCHING
