"""The fault schedule: which misbehaviour, if any, accompanies the next entry.

Seeded, so a run is reproducible. Request faults are armed on the paper
exchange's control surface just before the entry they are meant for (they hit
the next matching request, whoever sends it: usually that entry, sometimes a
monitor cycle running at the same moment). Venue actions (a silent cancel,
a price gap through the stop) are carried out by the driver while the position
is open.
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


VENUE_ACTIONS = frozenset({Injection.SILENT_CANCEL, Injection.PRICE_GAP})


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


def arm(control: Any, spec: FaultSpec) -> None:
    control.inject_fault(spec.method, spec.path, kind=spec.kind, count=spec.count,
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
