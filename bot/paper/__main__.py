"""``python -m bot.paper``: run the paper exchange alone and print its URLs (REST, then stream).

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
from bot.paper.slippage import DEFAULT_SLIPPAGE_BPS, Slippage

log = logging.getLogger("bot.paper")


def _env(name: str, default: str | None) -> str | None:
    return os.environ.get(f"QT_PAPER_{name}", default)


def _int_env(name: str) -> int | None:
    raw = _env(name, None)
    return int(raw) if raw not in (None, "") else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.paper",
                                     description="Binance USD-M futures paper exchange on loopback")
    parser.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(_env("PORT", "8765") or 8765))
    parser.add_argument("--ws-port", type=int, default=int(_env("WS_PORT", "8766") or 8766),
                        help="port of the user-data stream (WebSocket); 0 picks a free one")
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
    parser.add_argument("--slippage-bps", default=_env("SLIPPAGE_BPS", str(DEFAULT_SLIPPAGE_BPS)),
                        help="max adverse slippage of market fills and triggered stops, in basis "
                             "points (seeded draw in (0, max]); 0 fills at the last price")
    parser.add_argument("--trigger-delay-ms", type=int,
                        default=_int_env("TRIGGER_DELAY_MS"),
                        help="venue-clock ms a fired stop stays TRIGGERING (default 250; 0: none)")
    parser.add_argument("--read-lag-ms", type=int, default=_int_env("READ_LAG_MS") or 0,
                        help="wall-clock ms a new algo order is missing from queries (default 0)")
    parser.add_argument("--no-rate-limits", action="store_true",
                        help="disable the 2400/min weight and order-count limits (benchmarks)")
    args = parser.parse_args(argv)
    try:
        args.balance = Decimal(args.balance)
    except InvalidOperation:
        parser.error(f"--balance must be a number, got {args.balance!r}")
    try:
        args.slippage_bps = Slippage.bps(args.slippage_bps).max_bps
    except (InvalidOperation, ValueError):
        parser.error(f"--slippage-bps must be a number in [0, 1000], got {args.slippage_bps!r}")
    if (args.trigger_delay_ms or 0) < 0 or args.read_lag_ms < 0:
        parser.error("--trigger-delay-ms and --read-lag-ms must be >= 0")
    if (args.balance < 0 or args.speed <= 0 or not 0 <= args.port <= 65535
            or not 0 <= args.ws_port <= 65535):
        parser.error("balance must be >= 0, speed > 0 and port, ws-port in 0..65535")
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
                                 server=args.server, slippage_bps=args.slippage_bps,
                                 weight_limit=None if args.no_rate_limits else 2400,
                                 order_limits=not args.no_rate_limits, ws_port=args.ws_port,
                                 trigger_delay_ms=args.trigger_delay_ms,
                                 read_lag_ms=args.read_lag_ms)
        url = exchange.start(host=args.host, port=args.port)
    except (OSError, ValueError) as exc:
        print(f"paper exchange failed to start: {exc}", file=sys.stderr)
        return 2
    print(url, flush=True)
    print(exchange.ws_url, flush=True)  # second line: the user-data stream's base URL
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    exchange.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
