"""The fault schedule: which misbehaviour, if any, accompanies the next entry.

Seeded, so a run is reproducible. Request faults are armed on the paper
exchange's control surface just before the entry they are meant for (they hit
the next matching request, whoever sends it: usually that entry, sometimes a
monitor cycle running at the same moment). Venue actions are carried out by the
driver while the position is open: a silent cancel, a price gap through the
stop, a stop that fails at trigger (a trigger fault armed for the symbol, then
a gap through the stop: rejected, stuck in TRIGGERING, or its child order
expired), a drop of the user-data stream, and quantity added by another client.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

ALGO = "/fapi/v1/algoOrder"
ORDER = "/fapi/v1/order"
OPEN_ALGOS = "/fapi/v1/openAlgoOrders"


class Injection(StrEnum):
    STOP_2021_ONCE = "stop_-2021_once"          # ladder retry succeeds
    STOP_2021_ALWAYS = "stop_-2021_x3"          # ladder exhausted: emergency close
    STOP_5XX_REACHED = "stop_5xx_reached"       # stop placed, answer lost
    STOP_5XX_LOST = "stop_5xx_lost"             # stop never arrived
    STOP_TIMEOUT_REACHED = "stop_timeout_reached"
    STOP_TIMEOUT_LOST = "stop_timeout_lost"
    STOP_RATE_LIMIT = "stop_-1003_429"
    STOP_TIMESTAMP = "stop_-1021"
    ENTRY_5XX_REACHED = "entry_5xx_reached"     # filled, answer lost
    ENTRY_TIMESTAMP = "entry_-1021"
    READ_RATE_LIMIT = "read_-1003_429"          # the algo book read is rate limited
    LATENCY_SPIKE = "stop_latency_spike"
    SILENT_CANCEL = "silent_cancel"             # venue drops the resting stop
    PRICE_GAP = "price_gap_through_stop"        # 3 % gap straight through the stop
    TRIGGER_REJECT = "stop_rejected_at_trigger"  # REJECTED at trigger: no child, no close
    TRIGGER_STUCK = "stop_stuck_triggering"     # TRIGGERING for good: cover only for the grace
    CHILD_EXPIRED = "stop_child_expired"        # triggered, its market order EXPIRED unfilled
    STREAM_DROP = "stream_drop"                 # every user-data connection cut (1006)
    OUTSIDE_FILL = "outside_fill"               # another client adds to the open position


# what the driver does while the position is open (nothing is armed before the entry)
VENUE_ACTIONS = frozenset({
    Injection.SILENT_CANCEL, Injection.PRICE_GAP, Injection.TRIGGER_REJECT,
    Injection.TRIGGER_STUCK, Injection.CHILD_EXPIRED, Injection.STREAM_DROP,
    Injection.OUTSIDE_FILL})
# mid-hold venue actions, each followed by a wait for the bot's repair before the close
MID_HOLD = VENUE_ACTIONS - {Injection.PRICE_GAP}
# ``control.trigger_fault`` kinds, armed for the symbol just before a gap through its stop
TRIGGER_FAULTS = {Injection.TRIGGER_REJECT: "reject", Injection.TRIGGER_STUCK: "stuck",
                  Injection.CHILD_EXPIRED: "child_expired"}


@dataclass(frozen=True)
class FaultSpec:
    method: str
    path: str
    kind: str
    count: int = 1
    code: int | None = None
    status: int | None = None
    delay_s: float = 0.0
    reached_engine: bool = False


def request_fault(injection: Injection, timeout_s: float = 1.0,
                  spike_s: float = 0.3) -> FaultSpec | None:
    """The control-surface fault for ``injection`` (None for venue actions)."""
    return {
        Injection.STOP_2021_ONCE: FaultSpec("POST", ALGO, "error", 1, -2021),
        Injection.STOP_2021_ALWAYS: FaultSpec("POST", ALGO, "error", 3, -2021),
        Injection.STOP_5XX_REACHED: FaultSpec("POST", ALGO, "http", 1, status=503,
                                              reached_engine=True),
        Injection.STOP_5XX_LOST: FaultSpec("POST", ALGO, "http", 1, status=502),
        Injection.STOP_TIMEOUT_REACHED: FaultSpec("POST", ALGO, "timeout", 1,
                                                  delay_s=timeout_s, reached_engine=True),
        Injection.STOP_TIMEOUT_LOST: FaultSpec("POST", ALGO, "timeout", 1, delay_s=timeout_s),
        Injection.STOP_RATE_LIMIT: FaultSpec("POST", ALGO, "error", 1, -1003),
        Injection.STOP_TIMESTAMP: FaultSpec("POST", ALGO, "error", 1, -1021),
        Injection.ENTRY_5XX_REACHED: FaultSpec("POST", ORDER, "http", 1, status=503,
                                               reached_engine=True),
        Injection.ENTRY_TIMESTAMP: FaultSpec("POST", ORDER, "error", 1, -1021),
        Injection.READ_RATE_LIMIT: FaultSpec("GET", OPEN_ALGOS, "error", 1, -1003),
        Injection.LATENCY_SPIKE: FaultSpec("POST", ALGO, "delay", 1, delay_s=spike_s),
    }.get(injection)


def arm(control: Any, spec: FaultSpec) -> Any:
    """Arm ``spec``; the venue's fault record (its ``remaining`` tells whether it hit)."""
    return control.inject_fault(spec.method, spec.path, kind=spec.kind, count=spec.count,
                         code=spec.code, status=spec.status, delay_s=spec.delay_s,
                         reached_engine=spec.reached_engine)


class FaultSchedule:
    """Each entry draws a fault with probability ``rate``, kinds equally likely."""

    def __init__(self, rate: float, seed: int,
                 kinds: tuple[Injection, ...] = tuple(Injection)) -> None:
        if not 0 <= rate <= 1:
            raise ValueError(f"fault rate must be in [0, 1], got {rate}")
        if not kinds:
            raise ValueError("at least one fault kind is needed")
        self.rate = rate
        self.kinds = kinds
        self._rng = random.Random(f"faults:{seed}")
        self.drawn: dict[str, int] = {}

    def draw(self) -> Injection | None:
        if self._rng.random() >= self.rate:
            return None
        kind = self._rng.choice(self.kinds)
        self.drawn[kind.value] = self.drawn.get(kind.value, 0) + 1
        return kind
