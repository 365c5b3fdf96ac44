"""Throughput and round trip of the paper exchange over loopback, through python-binance.

Starts ``python -m bot.paper`` in its own process (so client and server do not
share one GIL), then measures signed POST algoOrder (each placement followed
by its cancel, so the 200 open-order limit is never reached) and signed GET
positionRisk: requests/s, median and p99 round trip, first with one client,
then with ``--clients`` concurrent clients. Target on a 2-core box: median
<= 2 ms and >= 500 signed requests/s.

    .venv/bin/python bench/paper_throughput.py [--seconds 5] [--clients 2] [--server waitress]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
import warnings
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from binance.client import Client

KEY, SECRET = "bench-key", "bench-secret"


def _client(futures_url: str) -> Client:
    client = Client(KEY, SECRET, ping=False)
    client.FUTURES_URL = futures_url
    return client


def _algo_cycle(client: Client, trigger: str):
    state: dict = {"n": 0}

    def call() -> None:
        state["n"] += 1
        if state["n"] % 2:
            state["last"] = client.futures_create_algo_order(
                symbol="BTCUSDT", side="SELL", type="STOP_MARKET", triggerPrice=trigger,
                quantity="0.010", reduceOnly="true", workingType="MARK_PRICE")["algoId"]
        else:
            client.futures_cancel_algo_order(symbol="BTCUSDT", algoId=state["last"])
    return call


def _measure(calls: list, seconds: float) -> dict:
    """Run each call in its own thread for ``seconds``; all round trips pooled."""
    samples: list[list[float]] = [[] for _ in calls]
    for call in calls:
        for _ in range(30):
            call()
    stop_at = time.perf_counter() + seconds

    def worker(i: int) -> None:
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            calls[i]()
            samples[i].append((time.perf_counter() - t0) * 1000)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    pooled = sorted(s for per in samples for s in per)
    return {"requests": len(pooled), "rps": len(pooled) / elapsed,
            "median_ms": statistics.median(pooled),
            "p99_ms": pooled[min(len(pooled) - 1, int(len(pooled) * 0.99))]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="paper exchange throughput over loopback")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--server", choices=("waitress", "werkzeug"), default="waitress")
    args = parser.parse_args(argv)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.paper", "--port", "0", "--api-key", KEY, "--api-secret",
         SECRET, "--balance", "100000", "--server", args.server, "--no-rate-limits"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            print("paper exchange did not start", file=sys.stderr)
            return 2
        futures_url = url + "/fapi"
        setup = _client(futures_url)
        setup.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET",
                                   quantity="0.100")
        mark = Decimal(setup.futures_mark_price(symbol="BTCUSDT")["markPrice"])
        trigger = str((mark * Decimal("0.8")).quantize(Decimal("0.1")))
        rows = []
        for n in (1, args.clients):
            algo_calls = [_algo_cycle(_client(futures_url), trigger) for _ in range(n)]
            risk_calls = [_client(futures_url).futures_position_information for _ in range(n)]
            rows.append((f"POST+DELETE algoOrder, {n} client(s)",
                         _measure(algo_calls, args.seconds)))
            rows.append((f"GET v3/positionRisk, {n} client(s)",
                         _measure(risk_calls, args.seconds)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"server: {args.server}, {args.seconds:.0f}s per row, signed requests via "
          "python-binance")
    print(f"{'endpoint':40} {'requests':>8} {'req/s':>7} {'median ms':>10} {'p99 ms':>8}")
    for name, r in rows:
        print(f"{name:40} {r['requests']:8d} {r['rps']:7.0f} {r['median_ms']:10.2f} "
              f"{r['p99_ms']:8.2f}")
    single = [r for name, r in rows if ", 1 client" in name]
    best_rps = max(r["rps"] for _, r in rows)
    ok = all(r["median_ms"] <= 2.0 for r in single) and best_rps >= 500
    print("target (median <= 2 ms single client, >= 500 req/s):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
