"""compute_kpis and the dashboard's reads over 100 000 events stay interactive."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import metrics
from bot.domain import Event, EventKind
from bot.store import Store

NOW = datetime(2026, 3, 1, tzinfo=UTC)
N = 100_000
BUDGET_MS = 1000.0


@pytest.mark.slow
def test_kpis_over_100k_events_within_budget(tmp_path: Path) -> None:
    rng = random.Random(3)
    kinds = list(EventKind)
    store = Store(f"sqlite:///{tmp_path / 'big.db'}")
    try:
        expected_placed = 0
        batch: list[Event] = []
        for _ in range(N):
            kind = rng.choice(kinds)
            when = NOW - timedelta(seconds=rng.uniform(0, 2 * 86400))
            if kind is EventKind.STOP_PLACED and when >= NOW - metrics.DAY:
                expected_placed += 1
            batch.append(Event(kind, when, rng.choice(("BTCUSDT", "ETHUSDT", "SOLUSDT")),
                               code=rng.choice((None, -2021, -2007)),
                               latency_ms=rng.uniform(1, 40) if kind is EventKind.STOP_PLACED
                               else None,
                               details={"rule": "uptrend_short_block", "reason": "stop",
                                        "pnl_pct_equity": "-0.5"}))
            if len(batch) == 10_000:
                store.append_many(batch)
                batch = []
        t0 = time.perf_counter()
        kpis = metrics.compute_kpis(store, NOW)
        kpi_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        store.red_flags(limit=50)
        store.unacknowledged_count()
        store.events(limit=200, newest_first=True)
        reads_ms = (time.perf_counter() - t0) * 1000
        print(f"\n[BENCH] compute_kpis over {N} events: {kpi_ms:.1f} ms; "
              f"dashboard reads: {reads_ms:.1f} ms")
        assert metrics.sl_attempts(store, NOW - metrics.DAY)[0] == expected_placed
        assert kpis.loss_per_stop_hit_pct == pytest.approx(-0.5)
        assert kpi_ms < BUDGET_MS and reads_ms < BUDGET_MS
    finally:
        store.close()
