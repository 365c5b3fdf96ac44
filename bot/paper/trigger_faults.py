"""Armed misbehaviour of the trigger path: what happens between "condition met" and a fill.

On Binance a fired conditional order is forwarded to the matching engine
(TRIGGERING) and only then becomes a market order (TRIGGERED, ``actualOrderId``).
Each step can go wrong, and each failure leaves a position unprotected in a
different way: the order sticks in TRIGGERING (cancels answer -2011; reported on
Binance's demo venue, nautilus_trader discussion #5378), the engine refuses the
child (REJECTED, reason in ALGO_UPDATE's ``rm``), or the child market order
expires unfilled or partly filled. A fault is armed for the next N triggers of
a symbol (or of any symbol) and drawn by the engine when an order fires.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_REJECT_REASON = "The counterparty's best price does not meet the PERCENT_PRICE filter limit"


class TriggerFaultKind(StrEnum):
    STUCK = "stuck"                  # stays TRIGGERING for good; cancels answer -2011
    REJECT = "reject"                # REJECTED, no child order; the reason kept as ``rm``
    CHILD_EXPIRED = "child_expired"  # the child market order EXPIRES with nothing filled
    CHILD_PARTIAL = "child_partial"  # the child fills half (down to the step), the rest EXPIRES


@dataclass
class TriggerFault:
    id: int
    kind: TriggerFaultKind
    symbol: str | None  # None: the next trigger of any symbol
    remaining: int
    reason: str = DEFAULT_REJECT_REASON

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind.value, "symbol": self.symbol,
                "remaining": self.remaining, "reason": self.reason}


class TriggerFaultPlan:
    """Thread-safe: armed by the control surface, drawn by the engine under its own lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[TriggerFault] = []
        self._ids = itertools.count(1)

    def add(self, kind: TriggerFaultKind | str, symbol: str | None = None, count: int = 1,
            reason: str | None = None) -> TriggerFault:
        try:
            kind = TriggerFaultKind(kind)
        except ValueError:
            names = ", ".join(k.value for k in TriggerFaultKind)
            raise ValueError(f"unknown trigger fault {kind!r}: use one of {names}") from None
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("count must be an integer >= 1")
        fault = TriggerFault(next(self._ids), kind, symbol, count,
                             reason or DEFAULT_REJECT_REASON)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, symbol: str) -> TriggerFault | None:
        """The first fault armed for ``symbol`` (or for any symbol), consumed by one trigger."""
        with self._lock:
            for fault in self._faults:
                if fault.symbol in (None, symbol):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[TriggerFault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
