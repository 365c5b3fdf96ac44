"""Monitor cycle cost against the number of open positions: requests, weight, wall time.

Each N gets a fresh paper exchange with N synthetic symbols (the paper venue
adds permissive filters for any extra name), N positions opened by the
executor with their stops, then ``--cycles`` monitor cycles. Targets: <= 3
requests per cycle at every N, and the N = 200 cycle within 2x of N = 1.
200 is also Binance's cap on open conditional orders per account.

Run: .venv/bin/python bench/monitor_scaling.py [--cycles 30] [--sizes 1,10,50,200]
"""

from __future__ import annotations

import argparse
import logging
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._protection_rig import build, percentile  # noqa: E402
from bot.domain import Decision, Direction  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--sizes", default="1,10,50,200")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 1 or max(sizes) > 200 or args.cycles < 3:
        parser.error("sizes must be in 1..200 and cycles >= 3")
    logging.basicConfig(level=logging.ERROR)
    print(f"{'N':>5} {'req/cycle':>9} {'weight/cycle':>12} {'cycle p50':>10} {'p99':>8} "
          f"{'reads p50':>10} {'bot p50':>8} {'covered':>8}   (ms)")
    baseline = None
    bot_baseline = None
    for n in sizes:
        reqs, weight, times, bot, covered = measure(n, args.cycles)
        p50 = percentile(times, 50)
        bot50 = percentile(bot, 50)
        reads50 = p50 - bot50
        baseline = baseline or p50
        bot_baseline = bot_baseline or bot50 or 1e-9
        print(f"{n:>5} {max(reqs):>9} {weight:>12} {p50:>10.2f} {percentile(times, 99):>8.2f} "
              f"{reads50:>10.2f} {bot50:>8.2f} {covered:>8}   "
              f"cycle x{p50 / baseline:.2f}, bot x{bot50 / bot_baseline:.2f} of N={sizes[0]}")
    print("reads = time inside the two exchange calls (the venue's answer); "
          "bot = cycle - reads (the monitor's own work, incl. its event write)")


def measure(n: int, cycles: int) -> tuple[list[int], int, list[float], list[float], int]:
    symbols = [f"SYN{i:03d}USDT" for i in range(n)]
    rig = build(symbols=symbols, balance=Decimal("10000000"))
    try:
        for symbol in symbols:
            mark = rig.adapter.mark_price(symbol)
            f = rig.adapter.filters(symbol)
            qty = f.round_qty(Decimal("50") / mark, market=True)
            stop = f.round_price(mark * Decimal("0.95"), "down")
            result = rig.executor.open_position(Decision(symbol, Direction.LONG, qty, stop))
            if result.protection is None or not result.protection.protected:
                raise SystemExit(f"{symbol}: {result.status} {result.reason}")
        rig.monitor.run_cycle()  # warm-up
        reqs: list[int] = []
        times: list[float] = []
        bot: list[float] = []
        covered = 0
        before = _documented(rig)
        for _ in range(cycles):
            rig.timed.spent_ms = 0.0
            report = rig.monitor.run_cycle()
            reqs.append(report.requests)
            times.append(report.ms)
            bot.append(max(report.ms - rig.timed.spent_ms, 0.0))
            covered = report.covered
        weight = (_documented(rig) - before) // cycles
        return reqs, weight, times, bot, covered
    finally:
        rig.close()


def _documented(rig) -> int:
    snap = rig.adapter.weight_snapshot()
    return sum(s.documented_weight for s in snap.by_endpoint.values())


if __name__ == "__main__":
    main()
