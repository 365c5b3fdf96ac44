"""The bot's jobs on the virtual clock: due when their interval has elapsed in simulated time.

Live, APScheduler runs each job every ``interval_s`` of wall time, coalescing
missed runs. Here the clock moves one bar (a minute) at a time, so a job whose
interval is shorter than a bar runs once per bar (the monitor's 10 s, the
executor's 1 s, the rollup's 15 s): coalesced, as APScheduler would after a
stall. ``align_ms`` lets a job run only on a boundary of that length: the
strategy, which reads closed candles only, runs when one of its candles closes.
``wake`` makes a job due at once whatever its interval (the rollup, after a fill).
Jobs due at one instant run in a fixed order, the executor after the signals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

ORDER = ("monitor", "regime", "strategy", "executor", "rollup")


@dataclass
class VirtualJob:
    id: str
    func: Callable[[], object]
    interval_ms: int
    next_ms: int
    align_ms: int = 0
    wake: Callable[[], bool] | None = None

    def due(self, now_ms: int) -> bool:
        if self.wake is not None and self.wake():
            return True
        if now_ms < self.next_ms:
            return False
        return not self.align_ms or now_ms % self.align_ms == 0

    def ran(self, now_ms: int) -> None:
        """Next run one interval after this one (coalesced: never a burst to catch up); a run
        made by ``wake`` before the cadence was due leaves the cadence where it was."""
        if now_ms >= self.next_ms:
            self.next_ms = now_ms + self.interval_ms


class VirtualSchedule:
    def __init__(self, jobs: Iterable[VirtualJob]) -> None:
        rank = {name: i for i, name in enumerate(ORDER)}
        self.jobs = sorted(jobs, key=lambda j: (rank.get(j.id, len(ORDER)), j.id))

    def due(self, now_ms: int) -> list[VirtualJob]:
        return [j for j in self.jobs if j.due(now_ms)]
