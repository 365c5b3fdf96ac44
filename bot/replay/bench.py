"""Replay speed and memory on synthetic data: ``python -m bot.replay.bench``.

Writes ``--symbols`` symbols of synthetic Binance 1m files (``--history`` days before the
replayed ``--days``) to a temporary folder, replays them with the trading kept on (no
automatic daily-loss HALT, so the work does not stop), and prints bars per second per
simulated day, the whole run's rate, the start-up (the data check, the bot's start), the
process's peak RSS, and what the rates mean for three months of seven symbols (at
``--days 90``, ``total_min`` is that run itself, start-up included). One length per
process: run it at two lengths to see whether memory grows with the replay's length.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bot.replay.config import parse_assignment
from bot.replay.data import Window
from bot.replay.session import ReplayConfig, ReplaySession
from bot.replay.synthetic import PRICES, write_dataset

THREE_MONTHS_BARS = 90 * 1440
KEEP_TRADING = {"QT_DAILY_LOSS_LIMIT": "1"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bot.replay.bench")
    p.add_argument("--symbols", type=int, default=7, help="how many symbols (BTCUSDT first)")
    p.add_argument("--days", type=int, default=14, help="replayed days")
    p.add_argument("--history", type=int, default=10, help="days of history before them")
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="QT_NAME=VALUE",
                   help="a bot setting for the run (repeatable)")
    args = p.parse_args(argv)
    overrides = {**KEEP_TRADING, **dict(parse_assignment(item) for item in args.sets)}
    names = list(PRICES)[:args.symbols] + [f"S{i:03d}USDT" for i in range(args.symbols - 7)]
    first = date(2026, 1, 1)
    start = first + timedelta(days=args.history)
    with tempfile.TemporaryDirectory(prefix="qs-replay-bench-") as folder:
        made = time.perf_counter()
        write_dataset(Path(folder), names, first, args.history + args.days, seed=args.seed)
        made = time.perf_counter() - made
        window = Window(start, start + timedelta(days=args.days - 1))
        started = time.perf_counter()
        with ReplaySession(ReplayConfig(Path(folder), window, overrides)) as session:
            session.start()
            began = day_began = time.perf_counter()
            cpu_began = time.process_time()  # what the run took of the CPU, whatever else ran
            startup = began - started
            rates = []
            while session.step():
                if session.bars % 1440 == 0:
                    now = time.perf_counter()
                    rates.append(round(1440 / (now - day_began), 1))
                    day_began = now
            wall = time.perf_counter() - began
            cpu = time.process_time() - cpu_began
            trades = len(session.components.store.trades(limit=10**9))
            digest = session.ledger_hash()
    rate = session.bars / wall
    total_rate = session.bars / (startup + wall)
    late = min(rates[-3:]) if rates else rate
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "symbols": args.symbols, "days": args.days, "history_days": args.history,
        "settings": overrides,
        "bars": session.bars, "startup_s": round(startup, 1), "wall_s": round(wall, 1),
        "bars_per_s": round(rate, 1), "bars_per_s_with_startup": round(total_rate, 1),
        "cpu_s": round(cpu, 1), "bars_per_cpu_s": round(session.bars / cpu, 1),
        "bars_per_s_by_day": rates, "trades": trades, "peak_rss_mb": round(peak_mb, 1),
        "data_written_s": round(made, 1), "ledger_hash": digest,
        "three_months_min_at_mean_rate": round(THREE_MONTHS_BARS / rate / 60, 1),
        "three_months_min_at_late_rate": round(THREE_MONTHS_BARS / late / 60, 1),
        "total_min": round((startup + wall) / 60, 2),  # at --days 90: the target's figure
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
