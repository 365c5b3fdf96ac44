"""The live observer: samples the venue's positions, stops and marks many times a second.

It reads the paper exchange's engine under its lock (the venue's own state,
never the bot's memory, and without going through the REST front so it can
neither consume an injected fault nor count against the rate limits), judges
every open position with ``bench.soak.coverage`` including the mark-side
check the ledger replay cannot make, and keeps the naked streaks it saw in
wall time. The ledger replay is exact; this is the independent cross-check.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bench.soak.coverage import RestingStop, covered, full_covers

log = logging.getLogger(__name__)


def venue_stops(engine: Any, grace_ms: int | None, symbol: str | None = None
                ) -> list[RestingStop]:
    """Open conditional orders as the invariant sees them (call under the engine's lock).

    A TRIGGERING order (fired, its market order on the way) still counts for ``grace_ms``
    of venue time, as the bot's ``triggering_grace_s`` allows; past it, stuck, it is left
    out. ``grace_ms=None`` leaves every TRIGGERING order out."""
    now = engine.now_ms()
    return [RestingStop(
        algo_id=a.algo_id, client_id=a.client_algo_id, symbol=a.symbol, side=a.side.value,
        type=a.type.value, quantity=a.quantity, trigger=a.trigger_price or None,
        close_position=a.close_position, reduce_only=a.reduce_only,
        activate_price=a.activate_price) for a in engine.open_algos(symbol)
        if a.status.value != "TRIGGERING"
        or (grace_ms is not None and now - a.update_ms <= grace_ms)]


def venue_snapshot(engine: Any, grace_ms: int | None = 5000
                   ) -> tuple[dict[str, Decimal], list[RestingStop], dict[str, Decimal]]:
    """Positions (signed), open conditional orders and marks, read in one lock hold."""
    with engine.lock:
        engine.sync()
        amounts = {s: engine.account.amount(s) for s in engine.account.open_symbols()}
        stops = venue_stops(engine, grace_ms)
        marks = dict(engine.mark)
    return amounts, stops, marks


@dataclass
class ObserverStats:
    samples: int = 0
    position_samples: int = 0
    naked_samples: int = 0
    duplicate_samples: int = 0
    streaks_ms: list[float] = field(default_factory=list)
    max_open_positions: int = 0
    max_open_algos: int = 0

    @property
    def longest_ms(self) -> float:
        return max(self.streaks_ms, default=0.0)


class Observer:
    def __init__(self, engine: Any, period_s: float = 0.02, grace_ms: int = 5000) -> None:
        self._engine = engine
        self._period = period_s
        self._grace_ms = grace_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._since: dict[str, float] = {}
        self.stats = ObserverStats()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="soak-observer", daemon=True)
        self._thread.start()

    def stop(self) -> ObserverStats:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        now = time.perf_counter()
        for since in self._since.values():
            self.stats.streaks_ms.append((now - since) * 1000)
        self._since.clear()
        return self.stats

    def sample(self) -> None:
        amounts, stops, marks = venue_snapshot(self._engine, self._grace_ms)
        now = time.perf_counter()
        s = self.stats
        s.samples += 1
        s.max_open_positions = max(s.max_open_positions, len(amounts))
        s.max_open_algos = max(s.max_open_algos, len(stops))
        by_symbol: dict[str, list[RestingStop]] = {}
        for stop in stops:
            by_symbol.setdefault(stop.symbol, []).append(stop)
        for symbol, amount in amounts.items():
            mine = by_symbol.get(symbol, [])
            s.position_samples += 1
            if covered(amount, mine, marks.get(symbol)):
                since = self._since.pop(symbol, None)
                if since is not None:
                    s.streaks_ms.append((now - since) * 1000)
            else:
                s.naked_samples += 1
                self._since.setdefault(symbol, now)
            if len(full_covers(amount, mine, marks.get(symbol))) >= 2:
                s.duplicate_samples += 1
        for symbol in [k for k in self._since if k not in amounts]:
            s.streaks_ms.append((now - self._since.pop(symbol)) * 1000)

    def _loop(self) -> None:
        while not self._stop.wait(self._period):
            try:
                self.sample()
            except Exception:
                log.exception("[SOAK] Observer sample failed")
