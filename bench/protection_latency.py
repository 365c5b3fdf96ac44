"""Entry response -> stop acknowledgement, against a bare signed round trip, over loopback.

The bot's promise is that nothing happens between the entry's answer and the
stop request; this measures what that costs. "bare" is one signed POST
algoOrder (a reduce-only stop) sent straight through the adapter with nothing
before it; "protect" is the STOP_PLACED latency the executor records. Their
ratio is the bot's overhead (target: <= 1.2 at p99). With ``--slow-reader`` a second
thread reads positionRisk in a loop while the venue delays that endpoint by 500 ms: the
stop must not queue behind it (orders have their own connection).

Run: .venv/bin/python bench/protection_latency.py [--iterations 300] [--slow-reader]
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._protection_rig import build, percentile  # noqa: E402
from bot.domain import (  # noqa: E402
    Decision,
    Direction,
    Purpose,
    Side,
    client_ids,  # noqa: E402
)

SYMBOL = "ETHUSDT"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--slow-reader", action="store_true",
                        help="a second thread holds 500 ms positionRisk reads meanwhile")
    args = parser.parse_args()
    if args.iterations < 10:
        parser.error("--iterations must be >= 10")
    logging.basicConfig(level=logging.ERROR)
    rig = build()
    stop = threading.Event()
    try:
        if args.slow_reader:
            rig.paper.control.inject_fault("GET", "/fapi/v3/positionRisk", kind="delay",
                                           delay_s=0.5, count=10**6)
            threading.Thread(target=_read_slowly, args=(rig, stop), daemon=True).start()
            time.sleep(0.1)  # the reader is inside its first slow request
        protect, bare = run(rig, args.iterations + args.warmup)
    finally:
        stop.set()
        rig.close()
    protect, bare = protect[args.warmup:], bare[args.warmup:]
    p50_p, p99_p = percentile(protect, 50), percentile(protect, 99)
    p50_b, p99_b = percentile(bare, 50), percentile(bare, 99)
    print(f"iterations: {len(protect)} (after {args.warmup} warm-up)")
    print(f"entry response -> stop ack : p50 {p50_p:.3f} ms  p99 {p99_p:.3f} ms")
    print(f"bare signed algoOrder RTT  : p50 {p50_b:.3f} ms  p99 {p99_b:.3f} ms")
    print(f"ratio                      : p50 {p50_p / p50_b:.3f}  p99 {p99_p / p99_b:.3f} "
          f"(target p99 <= 1.2)")


def _read_slowly(rig, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            rig.adapter.positions()
        except Exception:  # the venue is stopping: the bench is over
            return


def run(rig, n: int) -> tuple[list[float], list[float]]:
    ex = rig.adapter
    filters = ex.filters(SYMBOL)
    mark = ex.mark_price(SYMBOL)
    qty = filters.round_qty(Decimal("200") / mark, market=True)
    stop = filters.round_price(mark * Decimal("0.97"), "down")
    lower = filters.round_price(mark * Decimal("0.95"), "down")
    protect: list[float] = []
    bare: list[float] = []
    for i in range(n):
        result = rig.executor.open_position(Decision(SYMBOL, Direction.LONG, qty, stop))
        if result.protection is None or result.protection.latency_ms is None:
            raise SystemExit(f"iteration {i}: no stop latency ({result.status}: {result.reason})")
        protect.append(result.protection.latency_ms)
        cid = client_ids.make(Purpose.STOP, SYMBOL, "bench", 1000 + i)
        started = time.perf_counter()
        order = ex.place_stop(SYMBOL, Side.SELL, lower, cid, quantity=qty)
        bare.append((time.perf_counter() - started) * 1000)
        ex.cancel_conditional(SYMBOL, algo_id=order.algo_id)
        close_cid = client_ids.make(Purpose.CLOSE, SYMBOL, "bench", i)
        ex.market_order(SYMBOL, Side.SELL, qty, close_cid, reduce_only=True)
        for trade in rig.store.open_trades():
            rig.store.close_trade(trade.id, mark, "bench", Decimal(0), Decimal(0),
                                  rig.recorder.now())
    return protect, bare


if __name__ == "__main__":
    main()
