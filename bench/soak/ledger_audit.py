"""Exact replay of the venue's ledger: when was each position naked, and why.

The paper exchange writes every change of its books to an append-only ledger,
in the order it happened, under its lock. Replaying it gives the true
sequence (a cancel before or after a placement, a fill before its stop)
rather than what a poller happened to sample. Times are the venue's clock;
the audit converts them to wall seconds with the run's speed factor.

Naked spans are classified by what opened them:
- ``entry``: a fill that left the position (or its added part) without a stop;
  it ends with the executor's immediate stop (seq 0 of the same position key,
  the "first round trip"), a later ladder rung, the monitor, or a close.
- ``silent_cancel``: the venue dropped a stop on its own (control actor).
- ``bot_cancel``: the bot cancelled a stop and that left the position
  uncovered; the invariant says this must never happen.
- ``closing``: a stop or take-profit fired; the market close it became follows
  (DESIGN.md's "moment the position is being closed at market" when it ends
  with the position closed).
- ``outside``: a position opened (or grown) by someone else at the venue; the
  monitor must adopt and protect it within a cycle, like a silent cancel.
- ``other``: anything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from bench.soak.coverage import RestingStop, covered, full_covers

ENTRY, EMERGENCY, CLOSE, STOP, TAKE_PROFIT = "en", "ex", "cl", "sl", "tp"
STOP_FAMILY = frozenset({"STOP", "STOP_MARKET", "TRAILING_STOP_MARKET"})


@dataclass(frozen=True)
class AlgoFlags:
    close_position: bool
    reduce_only: bool
    activate_price: Decimal | None = None


@dataclass(frozen=True)
class FaultWindow:
    """Ledger ids between which the driver had a fault armed for ``symbol``."""

    symbol: str
    kind: str
    from_id: int
    to_id: int


@dataclass(frozen=True)
class NakedSpan:
    symbol: str
    cause: str  # entry | silent_cancel | bot_cancel | other
    start_ms: int
    end_ms: int
    ended_by: str  # immediate | ladder | monitor | emergency | closed | open_at_end
    start_id: int
    fault: str = ""  # the injected fault kind this span overlaps, if any

    @property
    def ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class CancelBreach:
    """A bot cancel that left an open position uncovered (the seed system's bug)."""

    ledger_id: int
    symbol: str
    algo_id: int
    client_id: str


@dataclass
class LedgerAudit:
    entries: int = 0
    emergency_closes: int = 0
    liquidations: int = 0
    trades: dict[str, int] = field(default_factory=dict)  # closed positions by closer
    spans: list[NakedSpan] = field(default_factory=list)
    cancel_breaches: list[CancelBreach] = field(default_factory=list)
    duplicate_spans_ms: list[tuple[str, int]] = field(default_factory=list)
    orphan_ms: list[tuple[str, int]] = field(default_factory=list)
    orphans_open_at_end: int = 0
    silent_cancels: int = 0
    stops_placed: int = 0
    stop_cancels_by_bot: int = 0
    last_id: int = 0


def _purpose(client_id: str | None) -> str:
    parts = (client_id or "").split("-")
    return parts[1] if len(parts) == 5 and parts[0] == "qs" else ""


def _key_seq(client_id: str | None) -> tuple[str, int]:
    parts = (client_id or "").split("-")
    if len(parts) == 5 and parts[0] == "qs":
        try:
            return parts[3], int(parts[4])
        except ValueError:
            return parts[3], -1
    return "", -1


def _dec(text: str | None) -> Decimal:
    return Decimal(text) if text not in (None, "") else Decimal(0)


@dataclass
class _Symbol:
    amount: Decimal = Decimal(0)
    stops: dict[int, RestingStop] = field(default_factory=dict)
    naked_since: tuple[int, str, int, str] | None = None  # ms, cause, ledger id, entry key
    dup_since: int | None = None
    orphan_since: dict[int, int] = field(default_factory=dict)  # algo id -> ms


class _Replay:
    def __init__(self, flags: Mapping[int, AlgoFlags], faults: Iterable[FaultWindow]) -> None:
        self.flags = flags
        self.faults: dict[str, list[FaultWindow]] = {}
        for window in faults:
            self.faults.setdefault(window.symbol, []).append(window)
        self.books: dict[str, _Symbol] = {}
        self.order_actor: dict[int, str] = {}
        self.audit = LedgerAudit()

    def book(self, symbol: str) -> _Symbol:
        return self.books.setdefault(symbol, _Symbol())

    def fault_at(self, symbol: str, ledger_id: int) -> str:
        """The fault armed when ``ledger_id`` happened. A fault hits the next matching
        request whoever sends it (the entry it was armed for, the executor job, a monitor
        cycle), so a window covers every symbol, not only the one the driver was opening."""
        for window in (*self.faults.get(symbol, ()), *self.faults.get("*", ())):
            if window.from_id < ledger_id <= window.to_id:
                return window.kind
        return ""

    def feed(self, e: Mapping) -> None:
        a = self.audit
        a.last_id = e["id"]
        if e["book"] == "account":
            if e["action"] == "LIQUIDATED":
                a.liquidations += 1
            return
        symbol = e["symbol"]
        st = self.book(symbol)
        was_covered = covered(st.amount, st.stops.values())
        cause = ""
        if e["book"] == "order":
            cause = self._order(e, st)
        else:
            cause = self._algo(e, st, was_covered)
        self._transition(e, st, symbol, was_covered, cause)

    def _order(self, e: Mapping, st: _Symbol) -> str:
        if e["action"] == "PLACED":
            self.order_actor[e["orderId"]] = e["actor"]
            if e["actor"] == "client" and _purpose(e["clientId"]) == EMERGENCY:
                self.audit.emergency_closes += 1
            return ""
        if e["action"] != "FILLED":
            return ""
        qty = _dec(e["details"].get("lastQty") or e["quantity"])
        before = st.amount
        st.amount += qty if e["side"] == "BUY" else -qty
        purpose = _purpose(e["clientId"])
        if purpose == ENTRY:
            self.audit.entries += 1
        if st.amount == 0 and before != 0:
            self._closed(e, st, purpose)
            return ""
        if abs(st.amount) > abs(before) or (before != 0 and (st.amount > 0) != (before > 0)):
            if purpose == ENTRY:
                return "entry"
            return "outside" if self.order_actor.get(e["orderId"]) == "control" else "other"
        return "other"

    def _closed(self, e: Mapping, st: _Symbol, purpose: str) -> None:
        if e["details"].get("liquidation") or (e["clientId"] or "").startswith("autoclose-"):
            closer = "liquidation"
        elif self.order_actor.get(e["orderId"]) == "control":
            closer = "manual"
        else:
            closer = {STOP: "stop", TAKE_PROFIT: "take_profit", EMERGENCY: "emergency",
                      CLOSE: "flatten", ENTRY: "entry_flip"}.get(purpose, "other")
        self.audit.trades[closer] = self.audit.trades.get(closer, 0) + 1
        for algo_id, stop in st.stops.items():
            if stop.type in STOP_FAMILY and not stop.close_position:
                st.orphan_since.setdefault(algo_id, e["time"])

    def _algo(self, e: Mapping, st: _Symbol, was_covered: bool) -> str:
        algo_id = e["algoId"]
        if e["action"] == "PLACED":
            f = self.flags.get(algo_id) or AlgoFlags(_dec(e["quantity"]) == 0, True)
            st.stops[algo_id] = RestingStop(
                algo_id=algo_id, client_id=e["clientId"] or "", symbol=e["symbol"],
                side=e["side"], type=e["type"], quantity=_dec(e["quantity"]),
                trigger=_dec(e["price"]) if e["price"] else None,
                close_position=f.close_position, reduce_only=f.reduce_only,
                activate_price=f.activate_price)
            if e["actor"] == "client" and e["type"] in STOP_FAMILY:
                self.audit.stops_placed += 1
            if st.amount == 0 and e["type"] in STOP_FAMILY and not f.close_position:
                st.orphan_since.setdefault(algo_id, e["time"])
            return ""
        if e["action"] == "TRIGGERING":
            return ""  # fired, its market order on the way: still the position's cover
        gone = st.stops.pop(algo_id, None)
        if gone is None:
            return ""
        since = st.orphan_since.pop(algo_id, None)
        if since is not None:
            self.audit.orphan_ms.append((e["symbol"], e["time"] - since))
        if e["action"] == "TRIGGERED":
            return "closing"  # the stop (or take-profit) fired: the market close follows
        if e["action"] == "CANCELED":
            if e["actor"] == "control":
                self.audit.silent_cancels += 1
                return "silent_cancel"
            if gone.type in STOP_FAMILY:
                self.audit.stop_cancels_by_bot += 1
                if st.amount != 0 and was_covered and not covered(st.amount, st.stops.values()):
                    self.audit.cancel_breaches.append(
                        CancelBreach(e["id"], e["symbol"], algo_id, gone.client_id))
                return "bot_cancel"
        return "other"

    def _transition(self, e: Mapping, st: _Symbol, symbol: str, was_covered: bool,
                    cause: str) -> None:
        now = e["time"]
        is_covered = covered(st.amount, st.stops.values())
        if st.naked_since is None and not is_covered:
            key = _key_seq(e.get("clientId"))[0] if cause == "entry" else ""
            st.naked_since = (now, cause or "other", e["id"], key)
        elif st.naked_since is not None and is_covered:
            self._end_span(e, st, symbol)
        dups = len(full_covers(st.amount, st.stops.values()))
        if dups >= 2 and st.dup_since is None:
            st.dup_since = now
        elif dups < 2 and st.dup_since is not None:
            self.audit.duplicate_spans_ms.append((symbol, now - st.dup_since))
            st.dup_since = None

    def _end_span(self, e: Mapping, st: _Symbol, symbol: str) -> None:
        assert st.naked_since is not None
        start, cause, start_id, key = st.naked_since
        if st.amount == 0:
            ended = "emergency" if _purpose(e.get("clientId")) == EMERGENCY else "closed"
        else:
            stop_key, seq = _key_seq(e.get("clientId"))
            if cause == "entry" and stop_key == key and seq == 0:
                ended = "immediate"
            elif cause == "entry" and stop_key == key:
                ended = "ladder"
            else:
                ended = "monitor"
        fault = self.fault_at(symbol, start_id) or self.fault_at(symbol, e["id"])
        self.audit.spans.append(NakedSpan(symbol, cause, start, e["time"], ended, start_id,
                                          fault))
        st.naked_since = None

    def finish(self, end_ms: int) -> LedgerAudit:
        for symbol, st in sorted(self.books.items()):
            if st.naked_since is not None:
                start, cause, start_id, _ = st.naked_since
                self.audit.spans.append(NakedSpan(symbol, cause, start, end_ms, "open_at_end",
                                                  start_id, self.fault_at(symbol, start_id)))
            if st.dup_since is not None:
                self.audit.duplicate_spans_ms.append((symbol, end_ms - st.dup_since))
            self.audit.orphans_open_at_end += len(st.orphan_since)
        return self.audit


def audit_ledger(entries: Iterable[Mapping], flags: Mapping[int, AlgoFlags],
                 faults: Iterable[FaultWindow] = (), end_ms: int | None = None) -> LedgerAudit:
    """Replay ``entries`` (``LedgerEntry.to_json()`` dicts, oldest first)."""
    replay = _Replay(flags, faults)
    last_ms = 0
    for entry in entries:
        replay.feed(entry)
        last_ms = entry["time"]
    return replay.finish(end_ms if end_ms is not None else last_ms)
