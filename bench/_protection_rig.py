"""Shared set-up for the protection benches: paper exchange, adapter, store, protection stack."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.execution.executor import Executor
from bot.locks import SymbolLocks
from bot.monitor import PositionMonitor
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.protection.config import ProtectionConfig
from bot.protection.recorder import EventRecorder
from bot.runtime.protection_stack import build_protection
from bot.store import Store

KEY, SECRET = "bench-key", "bench-secret"


class TimedExchange:
    """Delegates to the adapter and adds up the wall time spent inside its methods."""

    def __init__(self, inner: BinanceAdapter) -> None:
        self._inner = inner
        self.spent_ms = 0.0

    def __getattr__(self, name: str):  # noqa: ANN204 - a transparent proxy
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.spent_ms += (time.perf_counter() - started) * 1000

        return timed

    @property
    def used_weight(self) -> int:
        return self._inner.used_weight

    @property
    def request_count(self) -> int:
        return self._inner.request_count

    @property
    def thread_request_count(self) -> int:
        return self._inner.thread_request_count


@dataclass
class BenchRig:
    paper: PaperExchange
    adapter: BinanceAdapter
    store: Store
    timed: TimedExchange
    recorder: EventRecorder
    executor: Executor
    monitor: PositionMonitor
    tmp: tempfile.TemporaryDirectory

    def close(self) -> None:
        self.paper.stop()
        self.store.engine.dispose()
        self.tmp.cleanup()


def build(symbols: list[str] | None = None, balance: Decimal = Decimal("100000")) -> BenchRig:
    paper = PaperExchange(KEY, SECRET, seed=3, clock=ManualClock(), balance=balance,
                          symbols=symbols, weight_limit=None, order_limits=False,
                          tick_interval_s=None, slippage_bps=0)
    paper.start()
    adapter = BinanceAdapter(make_client(KEY, SECRET, futures_url=paper.futures_url),
                             order_client=make_client(KEY, SECRET, futures_url=paper.futures_url))
    tmp = tempfile.TemporaryDirectory(prefix="qs-bench-")
    store = Store(f"sqlite:///{Path(tmp.name) / 'bench.db'}")
    timed = TimedExchange(adapter)
    clock = lambda: datetime.fromtimestamp(paper.clock.now_ms() / 1000, UTC)  # noqa: E731
    stack = build_protection(timed, store, store, SymbolLocks(), ProtectionConfig(), clock)
    return BenchRig(paper, adapter, store, timed, stack.recorder, stack.executor, stack.monitor,
                    tmp)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[rank]
