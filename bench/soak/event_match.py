"""Lost events: every action the bot took on the venue must be in the bot's event log.

The venue's ledger says what the bot did (the ``client`` actor): entries filled,
stops and take-profits placed, stops cancelled, emergency closes. Each must
have its event in the database, matched by client id (or algo id for a cancel),
because the dashboard, the metrics and the red flags all read that log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain import Event, EventKind


@dataclass(frozen=True)
class LostEvent:
    ledger_id: int
    action: str  # entry | stop_placed | take_profit_placed | stop_canceled | emergency_close
    symbol: str
    client_id: str


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _purpose(client_id: str) -> str:
    parts = client_id.split("-")
    return parts[1] if len(parts) == 5 and parts[0] == "qs" else ""


def expected_actions(ledger: Iterable[Mapping]) -> list[tuple[int, str, str, str, str]]:
    """(ledger id, action, symbol, client id, algo id) for every bot action in the ledger."""
    out: list[tuple[int, str, str, str, str]] = []
    for e in ledger:
        cid = _text(e.get("clientId"))
        purpose = _purpose(cid)
        if e["book"] == "order" and e["action"] == "FILLED":
            if purpose == "en":
                out.append((e["id"], "entry", e["symbol"], cid, ""))
            elif purpose == "ex":
                out.append((e["id"], "emergency_close", e["symbol"], cid, ""))
        elif e["book"] == "algo" and e["actor"] == "client":
            if e["action"] == "PLACED" and purpose in ("sl", "ts"):
                out.append((e["id"], "stop_placed", e["symbol"], cid, _text(e["algoId"])))
            elif e["action"] == "PLACED" and purpose == "tp":
                out.append((e["id"], "take_profit_placed", e["symbol"], cid,
                            _text(e["algoId"])))
            elif e["action"] == "CANCELED":
                out.append((e["id"], "stop_canceled", e["symbol"], cid, _text(e["algoId"])))
    return out


def lost_events(ledger: Iterable[Mapping], events: Iterable[Event]) -> list[LostEvent]:
    seen: dict[str, set[str]] = {k: set() for k in (
        "entry", "emergency_close", "stop_placed", "take_profit_placed", "stop_canceled")}
    for ev in events:
        d = ev.details or {}
        if ev.kind is EventKind.ENTRY_FILLED:
            seen["entry"].add(_text(d.get("client_order_id")))
        elif ev.kind is EventKind.EMERGENCY_CLOSE:
            seen["emergency_close"].add(_text(d.get("client_order_id")))
        elif ev.kind in (EventKind.STOP_PLACED, EventKind.TRAILING_PLACED):
            seen["stop_placed"].add(_text(d.get("client_algo_id")))
            seen["stop_placed"].add(_text(d.get("algo_id")))
        elif ev.kind is EventKind.TAKE_PROFIT_PLACED:
            seen["take_profit_placed"].add(_text(d.get("algo_id")))
            seen["take_profit_placed"].add(_text(d.get("client_algo_id")))
        elif ev.kind is EventKind.STOP_CANCELED:
            seen["stop_canceled"].add(_text(d.get("algo_id")))
            seen["stop_canceled"].add(_text(d.get("client_algo_id")))
    lost: list[LostEvent] = []
    for ledger_id, action, symbol, cid, algo_id in expected_actions(ledger):
        keys = {cid, algo_id} - {""}
        if not keys & seen[action]:
            lost.append(LostEvent(ledger_id, action, symbol, cid))
    return lost
