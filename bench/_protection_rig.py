"""Shared set-up for the protection benches: paper exchange, adapter, store, protection stack."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

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
ROOT = Path(__file__).resolve().parents[1]


class TimedExchange:
    """Delegates to the adapter and adds up the wall time spent inside its methods."""

    def __init__(self, inner: BinanceAdapter) -> None:
        self._inner = inner
        self.spent_ms = 0.0
        self.last: dict[str, tuple[float, float]] = {}  # method -> perf_counter start, end

    def __getattr__(self, name: str):  # noqa: ANN204 - a transparent proxy
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                self.spent_ms += (ended - started) * 1000
                self.last[name] = (started, ended)

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
    paper: PaperExchange | None  # None: the venue runs in its own process (``process``)
    adapter: BinanceAdapter
    store: Store
    timed: TimedExchange
    recorder: EventRecorder
    executor: Executor
    monitor: PositionMonitor
    tmp: tempfile.TemporaryDirectory
    base_url: str = ""
    process: subprocess.Popen | None = None

    def close(self) -> None:
        if self.paper is not None:
            self.paper.stop()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.store.engine.dispose()
        self.tmp.cleanup()

    def control(self, method: str, name: str, body: dict | None = None) -> Any:
        """The venue's control surface over HTTP (``/paper/v1/...``), wherever it runs."""
        response = requests.request(method, f"{self.base_url}/paper/v1/{name}", json=body,
                                    timeout=10)
        response.raise_for_status()
        return response.json()


def build(symbols: list[str] | None = None, balance: Decimal = Decimal("100000"),
          venue_process: bool = False) -> BenchRig:
    """``venue_process``: run the venue as ``python -m bot.paper`` (wall clock, its own GIL,
    like a remote exchange) instead of in this process on a manual clock."""
    paper: PaperExchange | None = None
    process: subprocess.Popen | None = None
    if venue_process:
        process, base_url = _start_venue_process(symbols, balance)
        clock = lambda: datetime.now(UTC)  # noqa: E731
    else:
        paper = PaperExchange(KEY, SECRET, seed=3, clock=ManualClock(), balance=balance,
                              symbols=symbols, weight_limit=None, order_limits=False,
                              tick_interval_s=None, slippage_bps=0)
        base_url = paper.start()
        manual = paper.clock
        clock = lambda: datetime.fromtimestamp(manual.now_ms() / 1000, UTC)  # noqa: E731
    futures_url = base_url + "/fapi"
    adapter = BinanceAdapter(make_client(KEY, SECRET, futures_url=futures_url),
                             order_client=make_client(KEY, SECRET, futures_url=futures_url))
    tmp = tempfile.TemporaryDirectory(prefix="qs-bench-")
    store = Store(f"sqlite:///{Path(tmp.name) / 'bench.db'}")
    timed = TimedExchange(adapter)
    stack = build_protection(timed, store, store, SymbolLocks(), ProtectionConfig(), clock)
    return BenchRig(paper, adapter, store, timed, stack.recorder, stack.executor, stack.monitor,
                    tmp, base_url, process)


def _start_venue_process(symbols: list[str] | None,
                         balance: Decimal) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "bot.paper", "--port", "0", "--ws-port", "0",
               "--api-key", KEY, "--api-secret", SECRET, "--balance", str(balance),
               "--seed", "3", "--slippage-bps", "0", "--no-rate-limits"]
    if symbols:
        command += ["--symbols", ",".join(symbols)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise SystemExit("the paper venue did not start")
    return process, url


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[rank]
