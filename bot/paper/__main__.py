"""``python -m bot.paper``: run the paper exchange alone and print its URL.

Every option has a ``QT_PAPER_*`` environment variable with the same meaning;
a command-line option wins over the environment.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from decimal import Decimal, InvalidOperation

from bot.paper.server import PaperExchange

log = logging.getLogger("bot.paper")


def _env(name: str, default: str | None) -> str | None:
    return os.environ.get(f"QT_PAPER_{name}", default)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.paper",
                                     description="Binance USD-M futures paper exchange on loopback")
    parser.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(_env("PORT", "8765") or 8765))
    parser.add_argument("--seed", type=int, default=int(_env("SEED", "7") or 7))
    parser.add_argument("--speed", type=float, default=float(_env("SPEED", "1") or 1))
    parser.add_argument("--api-key", default=_env("API_KEY", "K"))
    parser.add_argument("--api-secret", default=_env("API_SECRET", "S"))
    parser.add_argument("--balance", default=_env("BALANCE", "10000"))
    parser.add_argument("--replay", default=_env("REPLAY_DIR", None),
                        help="directory of Binance monthly 1m kline CSV files to replay")
    parser.add_argument("--symbols", default=_env("SYMBOLS", ""),
                        help="extra symbols beyond the seven majors, comma separated")
    parser.add_argument("--server", choices=("waitress", "werkzeug"),
                        default=_env("SERVER", "waitress"))
    parser.add_argument("--no-rate-limits", action="store_true",
                        help="disable the 2400/min weight and order-count limits (benchmarks)")
    args = parser.parse_args(argv)
    try:
        args.balance = Decimal(args.balance)
    except InvalidOperation:
        parser.error(f"--balance must be a number, got {args.balance!r}")
    if args.balance < 0 or args.speed <= 0 or not 0 <= args.port <= 65535:
        parser.error("balance must be >= 0, speed > 0 and port in 0..65535")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    extra = [s.strip() for s in args.symbols.split(",") if s.strip()]
    done = threading.Event()  # handler first: a caller may send SIGTERM as soon as it reads the URL
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        exchange = PaperExchange(api_key=args.api_key, api_secret=args.api_secret,
                                 seed=args.seed, speed=args.speed, balance=args.balance,
                                 replay_dir=args.replay, symbols=extra or None,
                                 server=args.server,
                                 weight_limit=None if args.no_rate_limits else 2400,
                                 order_limits=not args.no_rate_limits)
        url = exchange.start(host=args.host, port=args.port)
    except (OSError, ValueError) as exc:
        print(f"paper exchange failed to start: {exc}", file=sys.stderr)
        return 2
    print(url, flush=True)
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    exchange.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
