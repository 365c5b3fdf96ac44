"""What the venue's own ledger says: how long positions went without a stop, how stops filled.

The ledger is the venue's record, not the bot's: a position is "naked" from the
moment a fill leaves it open without an untriggered stop on its closing side
until a stop is placed or the position is gone. On the virtual clock the entry
and its stop share one instant, so the expected round trip shows as 0 s; any
spell longer than that is a real gap in protection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

STOP_TYPES = frozenset({"STOP", "STOP_MARKET", "TRAILING_STOP_MARKET"})
STOP_ENDS = frozenset({"TRIGGERED", "CANCELED", "EXPIRED", "REJECTED", "FINISHED"})


@dataclass(frozen=True)
class NakedSpell:
    symbol: str
    start_ms: int
    end_ms: int

    @property
    def seconds(self) -> float:
        return (self.end_ms - self.start_ms) / 1000


@dataclass(frozen=True)
class StopFill:
    """A stop that fired: its trigger, the price that fired it, and its child's fill."""

    symbol: str
    client_id: str
    time_ms: int
    side: str
    trigger: Decimal
    price_at_trigger: Decimal
    fill: Decimal | None

    @property
    def gap(self) -> Decimal:
        """How far beyond the trigger the price was when it fired (a gap), >= 0."""
        sign = 1 if self.side == "BUY" else -1
        return max(Decimal(0), sign * (self.price_at_trigger - self.trigger))

    @property
    def slippage(self) -> Decimal:
        """How much worse than that price the child filled, >= 0."""
        if self.fill is None:
            return Decimal(0)
        sign = 1 if self.side == "BUY" else -1
        return max(Decimal(0), sign * (self.fill - self.price_at_trigger))


def _get(entry: Any) -> dict[str, Any]:
    return entry.to_json() if hasattr(entry, "to_json") else dict(entry)


def naked_spells(entries: Iterable[Any], end_ms: int) -> tuple[list[NakedSpell], int]:
    """Every spell of an open position without a stop; also how many were 0 s long."""
    position: dict[str, Decimal] = {}
    stops: dict[str, dict[int, str]] = {}
    since: dict[str, int] = {}
    spells: list[NakedSpell] = []
    instant = 0
    for raw in entries:
        e = _get(raw)
        symbol = e["symbol"]
        if e["book"] == "order" and e["action"] == "FILLED":
            qty = Decimal(str(e["details"].get("lastQty") or e["quantity"] or 0))
            position[symbol] = position.get(symbol, Decimal(0)) + (
                qty if e["side"] == "BUY" else -qty)
        elif e["book"] == "account" and e["action"] == "LIQUIDATED":
            position[symbol] = Decimal(0)
        elif e["book"] == "algo" and e["type"] in STOP_TYPES:
            book = stops.setdefault(symbol, {})
            if e["action"] == "PLACED":
                book[e["algoId"]] = e["side"]
            elif e["action"] in STOP_ENDS:
                book.pop(e["algoId"], None)
        else:
            continue
        amount = position.get(symbol, Decimal(0))
        closing = "SELL" if amount > 0 else "BUY"
        covered = amount == 0 or closing in stops.get(symbol, {}).values()
        if not covered and symbol not in since:
            since[symbol] = e["time"]
        elif covered and symbol in since:
            start = since.pop(symbol)
            if e["time"] > start:
                spells.append(NakedSpell(symbol, start, e["time"]))
            else:
                instant += 1
    spells.extend(NakedSpell(s, start, max(start, end_ms)) for s, start in since.items())
    return spells, instant


def stop_fills(entries: Iterable[Any]) -> list[StopFill]:
    """Each stop that fired, with its child's fill price (same client id)."""
    fired: dict[str, StopFill] = {}
    out: list[StopFill] = []
    for raw in entries:
        e = _get(raw)
        if e["book"] == "algo" and e["action"] == "TRIGGERED" and e["type"] in STOP_TYPES:
            details = e["details"] or {}
            fill = StopFill(e["symbol"], e["clientId"] or "", e["time"], e["side"],
                            Decimal(e["price"]), Decimal(str(details.get("last", e["price"]))),
                            None)
            fired[fill.client_id] = fill
        elif (e["book"] == "order" and e["action"] == "FILLED"
              and e["clientId"] in fired):
            done = fired.pop(e["clientId"])
            out.append(StopFill(done.symbol, done.client_id, done.time_ms, done.side,
                                done.trigger, done.price_at_trigger, Decimal(e["price"])))
    out.extend(fired.values())
    return sorted(out, key=lambda f: f.time_ms)
