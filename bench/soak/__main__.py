"""``python -m bench.soak --entries N --fault-rate R --json OUT [--speed S] [--seed N]``.

Prints the table, writes the JSON, exits 1 when a target is missed (2 on bad options).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from decimal import Decimal
from pathlib import Path

from bench.soak.config import SoakConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.soak",
                                description="Soak the bot against the paper exchange with faults")
    p.add_argument("--entries", type=int, default=10_000)
    p.add_argument("--fault-rate", type=float, default=0.05)
    p.add_argument("--json", type=Path, default=None, help="write the figures here")
    p.add_argument("--speed", type=float, default=10.0, help="paper clock speed factor")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--symbols", type=int, default=60)
    p.add_argument("--monitor-interval", type=float, default=10.0,
                   help="the monitor's poll, wall s (default: production's 10)")
    p.add_argument("--max-wall-s", type=float, default=3600.0)
    p.add_argument("--log", type=Path, default=None, help="bot log file (default: none)")
    p.add_argument("--log-level", default="WARNING")
    p.add_argument("--kinds", default="", help="comma-separated fault kinds (default: all)")
    p.add_argument("--ledger", type=Path, default=None, help="write the venue ledger (JSONL)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cfg = SoakConfig(entries=args.entries, fault_rate=args.fault_rate, speed=args.speed,
                         seed=args.seed, symbols=args.symbols,
                         monitor_interval_s=args.monitor_interval, max_wall_s=args.max_wall_s,
                         notional_usdt=Decimal("150"),
                         kinds=tuple(k.strip() for k in args.kinds.split(",") if k.strip()),
                         ledger_out=str(args.ledger) if args.ledger else None)
    except ValueError as exc:
        print(f"bad option: {exc}", file=sys.stderr)
        return 2
    handler: logging.Handler = (logging.FileHandler(args.log) if args.log
                                else logging.NullHandler())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler], force=True)
    from bench.soak.harness import run_soak  # after logging is set: it builds the bot
    from bench.soak.report import figures, table, targets

    print(f"[SOAK] {cfg.entries} entries, fault rate {cfg.fault_rate}, speed x{cfg.speed}, "
          f"{cfg.symbols} symbols, seed {cfg.seed}", flush=True)
    began = time.monotonic()
    outcome = run_soak(cfg, progress=lambda n: print(
        f"[SOAK] {n} entries after {time.monotonic() - began:.0f} s", flush=True))
    f = figures(outcome)
    t = targets(f, cfg.entries, cfg.fault_rate)
    f["targets"] = t
    print(table(f, t))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(f, indent=2, default=str))
        print(f"[SOAK] figures written to {args.json}")
    return 0 if all(t.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
