"""Red flags grouped into incidents, and what the bot did about each: pure, no Dash.

One failure raises several flags: a stop refused (would trigger), its retry refused, the
emergency close, the loss. Shown one by one they read as four alarms; they are one
incident. Flags of the same symbol belong together while each comes within
``WINDOW`` of the previous one (flags without a symbol group by their kind). The
outcome line says how it ended, from the flags' details and the trade the books
closed then: "retry 2 refused → closed 36,504 at 0.1225, −7.30 USDT".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from bot.domain import EventKind, RedFlagView, Severity, Trade
from dashboard.formatting import fmt_price, fmt_qty, fmt_signed
from dashboard.trades import reason_label

WINDOW = timedelta(minutes=5)
_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
_STOP_TROUBLE = {
    EventKind.STOP_CANCELED_WHILE_OPEN.value: "stop canceled outside the bot",
    EventKind.STOP_LOST.value: "stop rejected or expired at the venue",
    EventKind.STOP_STUCK.value: "stop stuck in TRIGGERING",
    EventKind.STOP_AT_RISK.value: "stop beyond the liquidation price",
    EventKind.NAKED_PAST_GRACE.value: "uncovered past the grace period",
}


@dataclass
class Incident:
    """Flags of one symbol (or one kind) close together in time; oldest flag first."""

    key: str
    flags: list[RedFlagView] = field(default_factory=list)
    outcome: str = ""
    pnl: Decimal | None = None

    @property
    def id(self) -> int:
        """The first flag's id: stable while the incident grows."""
        return self.flags[0].id

    @property
    def symbol(self) -> str | None:
        return self.flags[0].symbol

    @property
    def started(self) -> datetime:
        return self.flags[0].at

    @property
    def ended(self) -> datetime:
        return self.flags[-1].at

    @property
    def severity(self) -> Severity:
        return max((f.severity for f in self.flags), key=lambda s: _SEVERITY_RANK.get(s, 0))

    @property
    def unacknowledged(self) -> list[int]:
        return [f.id for f in self.flags if not f.acknowledged]

    @property
    def acknowledged(self) -> bool:
        return not self.unacknowledged

    @property
    def labels(self) -> list[tuple[str, int]]:
        """Each label once, in order of first appearance, with how often it came."""
        counts: dict[str, int] = {}
        for f in self.flags:
            counts[f.label] = counts.get(f.label, 0) + 1
        return list(counts.items())


def group_incidents(flags: Sequence[RedFlagView], trades: Sequence[Trade] = (),
                    window: timedelta = WINDOW) -> list[Incident]:
    """Incidents, newest first, each with its outcome line."""
    open_by_key: dict[str, Incident] = {}
    incidents: list[Incident] = []
    for flag in sorted(flags, key=lambda f: (f.at, f.id)):
        key = flag.symbol or f"kind:{flag.kind or flag.label}"
        current = open_by_key.get(key)
        if current is None or flag.at - current.ended > window:
            current = Incident(key)
            open_by_key[key] = current
            incidents.append(current)
        current.flags.append(flag)
    for incident in incidents:
        trade = _closing_trade(incident, trades, window)
        incident.outcome, incident.pnl = describe(incident, trade)
    return sorted(incidents, key=lambda i: (i.ended, i.id), reverse=True)


def _closing_trade(incident: Incident, trades: Sequence[Trade],
                   window: timedelta) -> Trade | None:
    """The trade of the incident's symbol the books closed during it (or just after)."""
    if incident.symbol is None:
        return None
    start, end = incident.started - timedelta(seconds=5), incident.ended + window
    found = [t for t in trades if t.symbol == incident.symbol and t.closed_at is not None
             and start <= t.closed_at <= end]
    return min(found, key=lambda t: t.closed_at) if found else None  # type: ignore[arg-type]


def describe(incident: Incident, trade: Trade | None) -> tuple[str, Decimal | None]:
    """What the bot did, in the order it did it, and the PnL it ended with (if known)."""
    steps: list[str] = []
    refused = [f for f in incident.flags if f.kind == EventKind.STOP_REJECTED.value]
    if refused:
        rungs = [_int(_detail(f, "rung")) for f in refused]
        codes = sorted({str(f.code) for f in refused if f.code is not None})
        last_rung = max((r for r in rungs if r is not None), default=None)
        if last_rung:
            steps.append(f"retry {last_rung} refused")
        else:
            steps.append(f"stop refused{' ×' + str(len(refused)) if len(refused) > 1 else ''}"
                         + (f" ({', '.join(codes)})" if codes else ""))
    for f in incident.flags:
        trouble = _STOP_TROUBLE.get(f.kind)
        if trouble and trouble not in steps:
            steps.append(trouble)
    emergency = next((f for f in incident.flags if f.kind == EventKind.EMERGENCY_CLOSE.value),
                     None)
    pnl = trade.pnl_usdt if trade is not None else _dec(_first_detail(incident, "pnl_usdt"))
    if emergency is not None:
        if _detail(emergency, "gone") in ("True", "true"):
            steps.append("emergency close: position already gone")
        else:
            qty = _dec(_detail(emergency, "quantity"))
            price = _dec(_detail(emergency, "avg_price"))
            if price is None and trade is not None:
                price = trade.exit_price
            closed = "closed"
            if qty is not None:
                closed += f" {fmt_qty(qty)}"
            if price is not None:
                closed += f" at {fmt_price(price)}"
            steps.append(closed + (f", {fmt_signed(pnl)} USDT" if pnl is not None else ""))
    elif trade is not None:
        steps.append(f"closed ({reason_label(trade.close_reason)}) at "
                     f"{fmt_price(trade.exit_price)}, {fmt_signed(pnl)} USDT")
    elif pnl is not None:
        steps.append(f"loss {fmt_signed(pnl)} USDT")
    return " → ".join(steps), pnl


def _detail(flag: RedFlagView, key: str) -> str | None:
    return next((v for k, v in flag.details if k == key), None)


def _first_detail(incident: Incident, key: str) -> str | None:
    return next((v for f in incident.flags if (v := _detail(f, key)) is not None), None)


def _dec(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
