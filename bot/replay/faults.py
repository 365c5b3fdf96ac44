"""Seeded faults on the virtual clock: the soak's misbehaviours, reproducible in a replay.

Before each executor run that has signals queued, the injector draws a fault with
probability ``rate`` (kinds equally likely) from a generator seeded by the venue's
seed, and arms it on the venue's control surface, so that it meets that run's
first entry: a request fault hits the next stop placement (on one thread, the
entry's own), a trigger fault the next stop that fires (on any symbol), a silent
cancel removes the stop the entry just got, right after the run. A request fault or
silent cancel that met no stop (the rules denied every signal of the run) is
disarmed after the run and not counted: left armed, it would hit some later stop,
and the audit could no longer tell its recovery from a defect. Everything runs
on the virtual clock from one thread, so a fault run has a ledger hash like any
other: a finding replays exactly. Not drawn here: the soak's ``delay`` and
``timeout`` faults (they sleep on the wall clock; in-process a timeout is only
a 5xx) and its stream faults (a replay has no stream: the poll is the net).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.errors import BinanceErrorCode as Code

_WOULD_TRIGGER = int(Code.ORDER_WOULD_IMMEDIATELY_TRIGGER)

ALGO = "/fapi/v1/algoOrder"
STOP_TYPES = frozenset({"STOP_MARKET", "STOP"})


class FaultKind(StrEnum):
    STOP_2021_ONCE = "stop_-2021_once"  # the ladder moves the stop once, then it is placed
    STOP_2021_ALWAYS = "stop_-2021_x3"  # every rung refused: emergency close
    STOP_5XX_REACHED = "stop_5xx_reached"  # placed, answer lost: found again by client id
    STOP_5XX_LOST = "stop_5xx_lost"  # never arrived: sent again
    TRIGGER_REJECT = "trigger_reject"  # REJECTED when it fires: open, uncovered
    TRIGGER_STUCK = "trigger_stuck"  # TRIGGERING for good: covered only for the grace
    CHILD_EXPIRED = "child_expired"  # fired, its market order expired unfilled
    SILENT_CANCEL = "silent_cancel"  # the venue drops the entry's stop, telling no one


REQUEST_FAULTS: dict[FaultKind, dict[str, Any]] = {
    FaultKind.STOP_2021_ONCE: {"kind": "error", "count": 1, "code": _WOULD_TRIGGER},
    FaultKind.STOP_2021_ALWAYS: {"kind": "error", "count": 3, "code": _WOULD_TRIGGER},
    FaultKind.STOP_5XX_REACHED: {"kind": "http", "status": 503, "reached_engine": True},
    FaultKind.STOP_5XX_LOST: {"kind": "http", "status": 502},
}
TRIGGER_FAULTS = {FaultKind.TRIGGER_REJECT: "reject", FaultKind.TRIGGER_STUCK: "stuck",
                  FaultKind.CHILD_EXPIRED: "child_expired"}


def parse_kinds(text: str) -> tuple[FaultKind, ...]:
    names = [k.strip() for k in text.split(",") if k.strip()]
    known = {k.value: k for k in FaultKind}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown fault kind {', '.join(unknown)} (known: "
                         f"{', '.join(known)})")
    return tuple(known[n] for n in names) or tuple(FaultKind)


@dataclass(frozen=True)
class Injected:
    """A fault and the venue ledger ids the run it was armed for wrote (``from_id`` up to
    ``to_id``): what the soak's ledger audit needs to tell its recovery from a defect."""

    at_ms: int
    kind: str
    detail: str = ""
    from_id: int = 0
    to_id: int = 0


class FaultInjector:
    def __init__(self, rate: float, seed: int, kinds: tuple[FaultKind, ...] = tuple(FaultKind)
                 ) -> None:
        if not 0 <= rate <= 1:
            raise ValueError(f"fault rate must be in [0, 1], got {rate}")
        self.rate = rate
        self.kinds = kinds or tuple(FaultKind)
        self._rng = random.Random(f"replay-faults:{seed}")
        self.injected: list[Injected] = []

    def around(self, run: Callable[[], object], pending: Callable[[], int], control: Any,
               now_ms: Callable[[], int]) -> Callable[[], None]:
        """The executor job, with a fault drawn for each run that has entries to make."""
        def job() -> None:
            if not pending() or self._rng.random() >= self.rate:
                run()
                return
            kind = self._rng.choice(self.kinds)
            seen = len(control.ledger())
            armed = None
            if kind in REQUEST_FAULTS:
                armed = control.inject_fault("POST", ALGO, **REQUEST_FAULTS[kind])
            elif kind in TRIGGER_FAULTS:
                control.trigger_fault(TRIGGER_FAULTS[kind])
            try:
                run()
            finally:
                used = True
                detail = ""
                if armed is not None:  # meant for this run's stop: it must not wait for another
                    used = armed.remaining < REQUEST_FAULTS[kind].get("count", 1)
                    control.faults.clear()
                elif kind is FaultKind.SILENT_CANCEL:
                    detail = self._silent_cancel(control, seen)
                    used = bool(detail)
                if used:
                    written = control.ledger(seen)
                    self.injected.append(Injected(now_ms(), kind.value, detail, seen + 1,
                                                  written[-1].id if written else seen))
        return job

    @staticmethod
    def _silent_cancel(control: Any, seen: int) -> str:
        placed = [e for e in control.ledger(seen) if e.book == "algo" and e.action == "PLACED"
                  and e.type in STOP_TYPES]
        if not placed:
            return ""
        control.silent_cancel(placed[0].algo_id)
        return f"{placed[0].symbol} algo {placed[0].algo_id}"
