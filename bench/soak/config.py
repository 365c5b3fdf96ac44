"""What a soak run is asked to do, and the targets it is judged by."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bench.soak.faults import Injection
from bot.paper.specs import KNOWN_SPECS


def soak_symbols(n: int) -> tuple[str, ...]:
    """The seven majors, then synthetic symbols (generic filters) up to ``n``."""
    if n < 1:
        raise ValueError("at least one symbol is needed")
    majors = tuple(KNOWN_SPECS)
    extra = tuple(f"SK{i:03d}USDT" for i in range(max(0, n - len(majors))))
    return (majors + extra)[:n]


@dataclass(frozen=True)
class SoakConfig:
    entries: int = 10_000
    fault_rate: float = 0.05
    speed: float = 10.0
    seed: int = 7
    symbols: int = 60
    monitor_interval_s: float = 1.0
    webhook_share: float = 0.05  # of the driver's entries, sent as webhook signals
    second_entry_share: float = 0.1  # entries that add to an open position
    # how long a position stays open, wall seconds: not tied to the monitor interval, since
    # the user-data stream books closes and repairs losses at once (a silent cancel, which
    # sends nothing, makes its lane hold on until the poll has repaired it)
    hold_s: tuple[float, float] = (1.5, 3.5)
    webhook_wait_s: float = 4.0  # a signal not opened by then was denied (executor job: 1 s)
    notional_usdt: Decimal = Decimal("150")
    stop_pct: Decimal = Decimal("0.01")
    balance: Decimal = Decimal("1000000")
    max_wall_s: float = 3600.0
    rtt_budget_ms: float = 1000.0  # an immediate stop slower than this is a finding
    observer_period_s: float = 0.02
    db_url: str | None = None  # default: a fresh SQLite file in a temporary folder
    kinds: tuple[str, ...] = ()  # fault kinds to draw from (default: every kind)
    ledger_out: str | None = None  # write the venue's ledger here (JSON lines)

    def __post_init__(self) -> None:
        if self.entries < 1:
            raise ValueError("entries must be >= 1")
        if not 0 <= self.fault_rate <= 1:
            raise ValueError("fault rate must be in [0, 1]")
        if not 0 < self.speed <= 10_000:
            raise ValueError("speed must be in (0, 10000]")
        if self.symbols < 1:
            raise ValueError("symbols must be >= 1")
        unknown = [k for k in self.kinds if k not in {i.value for i in Injection}]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: "
                             f"{', '.join(i.value for i in Injection)}")
        if self.monitor_interval_s < 1:
            raise ValueError("the monitor interval is at least 1 s (QT_MONITOR_INTERVAL_S)")

    @property
    def symbol_names(self) -> tuple[str, ...]:
        return soak_symbols(self.symbols)

    @property
    def repair_budget_s(self) -> float:
        """How long a position the venue uncovered (a silent cancel, an outside fill, a stop
        lost or stuck at trigger) may stay naked: one monitor cycle, plus 1 s for the
        cycle's own run time and scheduling. With the stream on, repairs take milliseconds;
        the poll is the net for what the stream does not tell (a silent cancel)."""
        return self.monitor_interval_s + 1.0
