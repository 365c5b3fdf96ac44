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
- ``venue_lost``: the venue lost a stop at trigger: the algo order was REJECTED or
  EXPIRED (after TRIGGERING), or its child market order EXPIRED unfilled (then the
  ``closing`` span from the trigger to the expiry ends ``child_expired`` and this one
  starts at the expiry, when the loss became visible).
- ``stuck``: a stop stayed TRIGGERING past ``grace_ms`` (the bot's
  ``triggering_grace_s``). A TRIGGERING stop is still cover while the grace lasts (the
  bot is allowed the grace by design), so the span starts when the grace ends.
- ``other``: anything else.

Repairs of ``silent_cancel``, ``outside``, ``venue_lost`` and ``stuck`` spans are
judged per cause (within one monitor cycle + 1 s). The audit also counts doubled
entries (one entry client id filled by more than one order) and emergency closes of a
position that was covered when the bot sent them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from bench.soak.coverage import RestingStop, covered, full_covers

ENTRY, EMERGENCY, CLOSE, STOP, TAKE_PROFIT = "en", "ex", "cl", "sl", "tp"
STOP_FAMILY = frozenset({"STOP", "STOP_MARKET", "TRAILING_STOP_MARKET"})
STOP_PURPOSES = frozenset({STOP, "ts"})
DEFAULT_GRACE_MS = 5000  # ProtectionConfig.triggering_grace_s, in venue milliseconds


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
    cause: str  # entry | silent_cancel | bot_cancel | closing | outside | venue_lost | stuck
    # | other
    start_ms: int
    end_ms: int
    # immediate | ladder | monitor | emergency | closed | child_expired | open_at_end
    ended_by: str
    start_id: int
    fault: str = ""  # the injected fault kind this span overlaps, if any
    # a stuck stop (TRIGGERING past its grace) of the closing side was on the book when the
    # span began: it protects nothing, but a bot that trusts it may not place a new one
    stuck_on_book: bool = False

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
    outside_fills: int = 0  # fills of another client that grew an open position
    stops_lost_at_trigger: int = 0  # REJECTED / EXPIRED stops, expired children, position open
    stuck_triggers: int = 0  # stops still TRIGGERING when their grace ended
    doubled_entries: list[tuple[str, int]] = field(default_factory=list)  # client id, orders
    # emergency closes sent while the position was covered: (ledger id, symbol, client id)
    emergency_closes_covered: list[tuple[int, str, str]] = field(default_factory=list)
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
    # ms, cause, ledger id, entry key, a stuck stop of the closing side on the book
    naked_since: tuple[int, str, int, str, bool] | None = None
    dup_since: int | None = None
    orphan_since: dict[int, int] = field(default_factory=dict)  # algo id -> ms
    triggering: dict[int, tuple[int, int]] = field(default_factory=dict)  # algo -> ms, id
    stuck: set[int] = field(default_factory=set)  # TRIGGERING past the grace: no cover

    def live(self) -> list[RestingStop]:
        """The stops that count: a stuck one is on the book but protects nothing."""
        return [s for algo_id, s in self.stops.items() if algo_id not in self.stuck]


class _Replay:
    def __init__(self, flags: Mapping[int, AlgoFlags], faults: Iterable[FaultWindow],
                 grace_ms: int = DEFAULT_GRACE_MS) -> None:
        self.flags = flags
        self.grace_ms = grace_ms
        self.faults: dict[str, list[FaultWindow]] = {}
        for window in faults:
            self.faults.setdefault(window.symbol, []).append(window)
        self.books: dict[str, _Symbol] = {}
        self.order_actor: dict[int, str] = {}
        self.entry_orders: dict[str, set[int]] = {}  # entry client id -> filled order ids
        self.graces: list[tuple[int, int, str, int]] = []  # grace end ms, ledger id, sym, algo
        self.audit = LedgerAudit()

    def book(self, symbol: str) -> _Symbol:
        return self.books.setdefault(symbol, _Symbol())

    def graces_until(self, now: int) -> None:
        """Stops TRIGGERING since longer than the grace before ``now`` stop counting."""
        while self.graces and self.graces[0][0] < now:
            end, ledger_id, symbol, algo_id = heapq.heappop(self.graces)
            st = self.book(symbol)
            if st.triggering.get(algo_id, (None, None))[1] != ledger_id:
                continue  # it went on (TRIGGERED, REJECTED ...) within the grace
            st.stuck.add(algo_id)
            if st.amount != 0:
                self.audit.stuck_triggers += 1
            self._transition(st, symbol, end, ledger_id, None, "stuck")

    def fault_at(self, symbol: str, start_id: int, end_id: int | None = None) -> str:
        """The fault armed at some moment of the span from ``start_id`` to ``end_id``. A
        fault hits the next matching request whoever sends it (the entry it was armed for,
        the executor job, a monitor cycle), so a window covers every symbol, not only the
        one the driver was opening, and a span it overlaps is tagged even when the span
        began before the fault was armed (an entry of another thread whose stop took it)."""
        end_id = start_id if end_id is None else end_id
        for window in (*self.faults.get(symbol, ()), *self.faults.get("*", ())):
            if window.from_id < end_id and start_id <= window.to_id:
                return window.kind
        return ""

    def feed(self, e: Mapping) -> None:
        a = self.audit
        a.last_id = e["id"]
        self.graces_until(e["time"])
        if e["book"] == "account":
            if e["action"] == "LIQUIDATED":
                a.liquidations += 1
            return
        symbol = e["symbol"]
        st = self.book(symbol)
        was_covered = covered(st.amount, st.live())
        cause = ""
        if e["book"] == "order":
            cause = self._order(e, st, was_covered)
        else:
            cause = self._algo(e, st, was_covered)
        self._transition(st, symbol, e["time"], e["id"], e.get("clientId"), cause)

    def _order(self, e: Mapping, st: _Symbol, was_covered: bool) -> str:
        purpose = _purpose(e["clientId"])
        if e["action"] == "PLACED":
            self.order_actor[e["orderId"]] = e["actor"]
            if e["actor"] == "client" and purpose == EMERGENCY:
                self.audit.emergency_closes += 1
                if st.amount != 0 and was_covered:
                    self.audit.emergency_closes_covered.append(
                        (e["id"], e["symbol"], e["clientId"] or ""))
            return ""
        if e["action"] == "EXPIRED":
            if e.get("algoId") and purpose in STOP_PURPOSES and st.amount != 0:
                self.audit.stops_lost_at_trigger += 1  # a fired stop's close never came
                return "venue_lost"
            return ""
        if e["action"] != "FILLED":
            return ""
        qty = _dec(e["details"].get("lastQty") or e["quantity"])
        before = st.amount
        st.amount += qty if e["side"] == "BUY" else -qty
        if purpose == ENTRY:
            self.audit.entries += 1
            self.entry_orders.setdefault(e["clientId"], set()).add(e["orderId"])
        if st.amount == 0 and before != 0:
            self._closed(e, st, purpose)
            return ""
        if abs(st.amount) > abs(before) or (before != 0 and (st.amount > 0) != (before > 0)):
            if purpose == ENTRY:
                return "entry"
            if self.order_actor.get(e["orderId"]) == "control":
                self.audit.outside_fills += 1
                return "outside"
            return "other"
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
            # fired, its market order on the way: still the position's cover, for the grace
            if algo_id in st.stops:
                st.triggering[algo_id] = (e["time"], e["id"])
                heapq.heappush(self.graces,
                               (e["time"] + self.grace_ms, e["id"], e["symbol"], algo_id))
            return ""
        st.triggering.pop(algo_id, None)
        st.stuck.discard(algo_id)
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
        if e["action"] in ("REJECTED", "EXPIRED") and gone.type in STOP_FAMILY:
            if st.amount != 0:
                self.audit.stops_lost_at_trigger += 1
            return "venue_lost"
        return "other"

    def _transition(self, st: _Symbol, symbol: str, now: int, ledger_id: int,
                    client_id: str | None, cause: str) -> None:
        is_covered = covered(st.amount, st.live())
        if (cause == "venue_lost" and not is_covered and st.naked_since is not None
                and st.naked_since[1] == "closing"):
            # the fired stop's child expired: the close is not coming, the stop is lost
            self._end_span(st, symbol, now, ledger_id, client_id, ended="child_expired")
        if st.naked_since is None and not is_covered:
            key = _key_seq(client_id)[0] if cause == "entry" else ""
            closing = "SELL" if st.amount > 0 else "BUY"
            stuck = any(st.stops[a].side == closing for a in st.stuck if a in st.stops)
            st.naked_since = (now, cause or "other", ledger_id, key, stuck)
        elif st.naked_since is not None and is_covered:
            self._end_span(st, symbol, now, ledger_id, client_id)
        dups = len(full_covers(st.amount, st.live()))
        if dups >= 2 and st.dup_since is None:
            st.dup_since = now
        elif dups < 2 and st.dup_since is not None:
            self.audit.duplicate_spans_ms.append((symbol, now - st.dup_since))
            st.dup_since = None

    def _end_span(self, st: _Symbol, symbol: str, now: int, ledger_id: int,
                  client_id: str | None, ended: str = "") -> None:
        assert st.naked_since is not None
        start, cause, start_id, key, stuck = st.naked_since
        if not ended and st.amount == 0:
            ended = "emergency" if _purpose(client_id) == EMERGENCY else "closed"
        elif not ended:
            stop_key, seq = _key_seq(client_id)
            if cause == "entry" and stop_key == key and seq == 0:
                ended = "immediate"
            elif cause == "entry" and stop_key == key:
                ended = "ladder"
            else:
                ended = "monitor"
        fault = self.fault_at(symbol, start_id, ledger_id)
        self.audit.spans.append(NakedSpan(symbol, cause, start, now, ended, start_id, fault,
                                          stuck))
        st.naked_since = None

    def finish(self, end_ms: int) -> LedgerAudit:
        self.graces_until(end_ms)
        self.audit.doubled_entries = sorted(
            (cid, len(ids)) for cid, ids in self.entry_orders.items() if len(ids) > 1)
        for symbol, st in sorted(self.books.items()):
            if st.naked_since is not None:
                start, cause, start_id, _, stuck = st.naked_since
                self.audit.spans.append(NakedSpan(symbol, cause, start, end_ms, "open_at_end",
                                                  start_id, self.fault_at(symbol, start_id),
                                                  stuck))
            if st.dup_since is not None:
                self.audit.duplicate_spans_ms.append((symbol, end_ms - st.dup_since))
            self.audit.orphans_open_at_end += len(st.orphan_since)
        return self.audit


def audit_ledger(entries: Iterable[Mapping], flags: Mapping[int, AlgoFlags],
                 faults: Iterable[FaultWindow] = (), end_ms: int | None = None,
                 grace_ms: int = DEFAULT_GRACE_MS) -> LedgerAudit:
    """Replay ``entries`` (``LedgerEntry.to_json()`` dicts, oldest first). ``grace_ms``: how
    long (venue ms) a TRIGGERING stop still counts as cover, the bot's triggering grace."""
    replay = _Replay(flags, faults, grace_ms)
    last_ms = 0
    for entry in entries:
        replay.feed(entry)
        last_ms = entry["time"]
    return replay.finish(end_ms if end_ms is not None else last_ms)
