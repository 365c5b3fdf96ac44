"""Dashboard latency against the REAL bot: BotControl over a SQLite store with 100 000 events
and 200 open positions on the paper exchange.

Run from the repository root:  .venv/bin/python bench/dashboard_latency_real.py
    [--positions 200] [--events 100000] [--trades 10000] [--rounds 200] [--tti-runs 3]
    [--profile]

bench/dashboard_latency.py measures the dashboard over a FakeControl; this one
measures what an operator's browser really waits for: the bot's views filled
by a real monitor cycle, the red flags, rules, kill state and equity read from
the database each poll. The app is built like app.make_dash but with the
dashboard's snapshot cache off (snapshot_ttl=0), because at the 2 s poll
period every poll misses a 0.5 s cache. Everything stays on loopback.
The books' tabs (closed trades, performance, equity) refresh every 10 s while shown: they
count as polling callbacks too, over 10 000 closed trades, a week of equity a minute apart,
10 000 signals and decisions (bench/_books.py).
Targets: p95 <= 50 ms per polling callback; page interactive <= 2 s.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import logging
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import warnings
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with warnings.catch_warnings():  # python-binance's deprecated websockets import, only that
    warnings.simplefilter("ignore", DeprecationWarning)
    from bot.runtime.assembly import build  # noqa: E402

from app import make_dash  # noqa: E402
from bench._books import books_scenarios, fill_books  # noqa: E402
from bench.dashboard_latency import (  # noqa: E402
    HOST,
    P95_TARGET_MS,
    TTI_TARGET_S,
    summarise,
    time_requests,
    time_to_interactive,
)
from bot.domain import (  # noqa: E402
    Event,
    EventKind,
    Kpis,  # noqa: E402
)
from bot.paper.clock import ManualClock  # noqa: E402
from bot.paper.server import PaperExchange  # noqa: E402
from bot.runtime.bot import Bot  # noqa: E402
from bot.runtime.control import BotControl  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from dashboard import create_app, ids  # noqa: E402
from dashboard.kpis import build_kpi_tiles  # noqa: E402
from tests.fixtures.dashboard import (  # noqa: E402
    dependency_body,
    find_dependency,
)
from tests.fixtures.paper import StaticMarket  # noqa: E402

KEY, SECRET, TOKEN = "bench-key", "bench-secret", "bench-token"
BATCH = 25
MINUTE_MS = 60_000

# (kind, weight): the mix a busy week leaves behind, red-flag kinds included
EVENT_MIX = [
    (EventKind.MONITOR_CYCLE, 40), (EventKind.STOP_KEPT, 20), (EventKind.SIGNAL_RECEIVED, 8),
    (EventKind.DECISION_ALLOWED, 5), (EventKind.DECISION_DENIED, 5),
    (EventKind.ENTRY_FILLED, 4), (EventKind.STOP_PLACED, 4), (EventKind.POSITION_CLOSED, 4),
    (EventKind.STOP_CANCELED, 3), (EventKind.REGIME_CHANGED, 1), (EventKind.STOP_RETRY, 1),
    (EventKind.NAKED_DETECTED, 1), (EventKind.STOP_REJECTED, 1), (EventKind.EMERGENCY_CLOSE, 1),
    (EventKind.NAKED_PAST_GRACE, 1), (EventKind.LOSS_OVER_LIMIT, 1),
    (EventKind.POSITION_ADOPTED, 1), (EventKind.TRAILING_DISABLED, 1), (EventKind.JOB_MISSED, 1),
]


def synthetic_symbols(n: int) -> list[str]:
    return [f"S{i:03d}USDT" for i in range(n)]


def start_venue(symbols: list[str]) -> PaperExchange:
    """Prices fixed (StaticMarket), no rate limits: the bench measures the dashboard, not those."""
    clock = ManualClock()
    venue = PaperExchange(api_key=KEY, api_secret=SECRET, seed=7, clock=clock,
                          balance=Decimal("100000000"), market=StaticMarket(symbols),
                          symbols=symbols, weight_limit=None, order_limits=False)
    # the venue's weight minute follows its (manual) clock, not the wall's: advancing it
    # between batches of entries gives each batch a fresh minute (see open_positions)
    venue.limiter._wall_ms = clock.now_ms
    venue.start(host="127.0.0.1", port=0)
    return venue


def start_bot(db_dir: Path, venue: PaperExchange, symbols: list[str]) -> Bot:
    settings = load_settings({
        "QT_DB_URL": f"sqlite:///{db_dir}/bench.db", "QT_PAPER_API_KEY": KEY,
        "QT_PAPER_API_SECRET": SECRET, "QT_WEBHOOK_TOKEN": TOKEN, "QT_WEBHOOK_DEDUPE_S": "0",
        "QT_SYMBOLS": ",".join(symbols), "QT_MAX_OPEN_POSITIONS": str(len(symbols)),
        "QT_STOP_MODE": "percent", "QT_STOP_PCT": "0.02", "QT_RISK_PER_TRADE": "0.0005",
        "QT_LEVERAGE": "20",
    })
    bot = Bot(build(settings, paper=venue))
    bot.start(scheduler=False)
    return bot


def open_positions(bot: Bot, venue: PaperExchange, symbols: list[str]) -> float:
    """Through the webhook and the executor, BATCH signals a (venue) minute: each costs ~40
    request weight and the bot keeps 20 % of the 2 400 a minute for protection."""
    client = make_dash(bot).server.test_client()
    started = time.perf_counter()
    for i in range(0, len(symbols), BATCH):
        for symbol in symbols[i:i + BATCH]:
            resp = client.post("/api/signals", headers={"X-QT-Token": TOKEN, **HOST},
                               json={"symbol": symbol, "side": "BUY", "confidence": 0.9})
            if resp.status_code != 202:
                raise SystemExit(f"webhook refused {symbol}: {resp.get_json()}")
        bot.run_executor()
        venue.clock.advance(61_000)  # a new minute of request weight at the venue...
        bot.run_monitor()  # ...which its answers to the monitor's (essential) reads tell the bot
    bot.run_monitor()
    bot.rollup()
    return time.perf_counter() - started


def fill_events(bot: Bot, count: int, symbols: list[str], seed: int = 7) -> float:
    """``count`` events over the last 7 days, appended in batches as the bot's own writer would."""
    rng = random.Random(seed)
    kinds = [k for k, _ in EVENT_MIX]
    weights = [w for _, w in EVENT_MIX]
    now = bot.c.clock()
    span_s = 7 * 86400
    started = time.perf_counter()
    batch: list[Event] = []
    for i in range(count):
        kind = rng.choices(kinds, weights)[0]
        at = now - timedelta(seconds=span_s * (count - i) / count)
        symbol = rng.choice(symbols)
        code, details = None, {}
        if kind is EventKind.STOP_REJECTED:
            code = rng.choice([-2021, -4142, -1111])
        elif kind is EventKind.TRAILING_DISABLED:
            code = -2007
        elif kind is EventKind.DECISION_DENIED:
            details = {"rule": rng.choice(["uptrend_short_block", "max_open_positions",
                                           "max_positions_per_symbol"]), "reason": "bench"}
        elif kind is EventKind.ENTRY_FILLED:
            details = {"price": "1.2345", "direction": "LONG"}
        elif kind is EventKind.MONITOR_CYCLE:
            details = {"positions": len(symbols), "covered": len(symbols), "ms": 80.0}
        batch.append(Event(kind, at, symbol, code=code, message=f"bench {kind.value}",
                           latency_ms=rng.uniform(20, 400) if kind is EventKind.STOP_PLACED
                           else None, details=details))
        if len(batch) == 5000:
            bot.c.store.append_many(batch)
            batch = []
    if batch:
        bot.c.store.append_many(batch)
    bot.rollup()  # KPIs over the new history, as the 15 s job would
    return time.perf_counter() - started


def bench_callbacks(bot: Bot, rounds: int, profile: bool, freeze: bool) -> tuple[dict, str]:
    control = BotControl(bot)
    app = create_app(control, mode_label=bot.c.settings.mode, snapshot_ttl=0,
                     trusted_hosts=("127.0.0.1",))
    client = app.server.test_client()
    poll = find_dependency(client, HOST, input_id=ids.POLL_INTERVAL,
                           output_prefix=ids.HEADER_STATUS)
    kpi_ids = [{"kpi": t.key, "type": ids.KPI_VALUE} for t in build_kpi_tiles(Kpis())]
    changed = [f"{ids.POLL_INTERVAL}.n_intervals"]

    def post(body: dict, decode: bool = True) -> dict:
        """``decode=False`` when timing: parsing the answer is the browser's work, not ours."""
        resp = client.post("/_dash-update-component", json=body, headers=HOST)
        if resp.status_code == 204:
            return {}
        if resp.status_code != 200:
            raise SystemExit(f"callback failed: {resp.status_code} {resp.data[:300]!r}")
        return resp.get_json()["response"] if decode else {}

    first_body = dependency_body(poll, {f"{ids.POLL_INTERVAL}.n_intervals": 1}, changed,
                                 {ids.KPI_VALUE: kpi_ids})
    first = post(first_body)
    state = {f"{cid}.{prop}": first[cid][prop] for cid, prop in (
        (ids.FLAGS_SIGNATURE, "data"), (ids.CHART_HISTORY_SIGNATURE, "data"),
        (ids.ACTIVITY_CURSOR, "data"), (ids.POSITIONS_SIGNATURE, "data"),
        (ids.CHART_SYMBOL, "value"), (ids.CHART_SYMBOL, "options"))}
    state[f"{ids.POLL_INTERVAL}.n_intervals"] = 2
    steady_body = dependency_body(poll, state, changed, {ids.KPI_VALUE: kpi_ids})
    symbol = first[ids.CHART_SYMBOL]["value"]
    price = find_dependency(client, HOST, output_prefix=ids.CHART_PRICE)
    price_body = dependency_body(
        price, {f"{ids.CHART_SYMBOL}.value": symbol, f"{ids.CHART_TICK}.n_intervals": 1},
        [f"{ids.CHART_TICK}.n_intervals"])
    for _ in range(5):
        post(first_body)
        post(steady_body)
        post(price_body)
    if freeze:  # as app.main() does once start-up is over
        gc.collect()
        gc.freeze()

    scenarios = {
        "poll: first load (everything rendered)": first_body,
        "poll: steady (nothing changed)": steady_body,
        "price chart (every 10 s / on select)": price_body,
    }
    scenarios.update(books_scenarios(client, HOST, post))
    for body in scenarios.values():
        post(body)  # warm: the first request of each builds its caches
    results = {name: summarise(time_requests(lambda _i, b=body: post(b, False), rounds))
               for name, body in scenarios.items()}

    def performance_after_a_close(_i: int) -> None:
        control._performance = None  # as after a trade closed: aggregated again
        post(scenarios["books: performance (books unchanged)"], False)

    results["books: performance (a trade closed: recomputed)"] = summarise(
        time_requests(performance_after_a_close, max(10, rounds // 4)))

    def after_cycle(_i: int) -> None:
        post(steady_body, False)

    # a mark moves and a monitor cycle (outside the timing) renews the views: the table is resent
    venue = bot.c.paper
    symbols = [s for s in bot.c.settings.symbols]
    wall, cpu = [], []
    for i in range(max(10, rounds // 10)):
        moved = symbols[i % len(symbols)]
        last = Decimal(venue.control.state()["prices"][moved]["last"])
        venue.control.set_price(moved, last * Decimal("1.001"))
        bot.run_monitor()
        w, c = time_requests(after_cycle, 1)
        wall += w
        cpu += c
    results["poll: a mark moved (monitor cycle, table resent)"] = summarise((wall, cpu))

    report = ""
    if profile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(50):
            post(first_body)
            post(steady_body)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(30)
        report = out.getvalue()
    return results, report


def bench_tti(bot: Bot, n_positions: int, runs: int) -> dict[str, list[float]] | None:
    return time_to_interactive(make_dash(bot).server, n_positions, runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=200)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--trades", type=int, default=10_000, help="closed trades in the books")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--tti-runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile 100 polls, print top 30")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="skip the gc.freeze() app.main() does after start-up (shows the "
                        "cyclic-GC tail on a large long-lived heap)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)  # the bot's own chatter is not the figure

    symbols = synthetic_symbols(args.positions)
    venue = start_venue(symbols)
    with tempfile.TemporaryDirectory(prefix="qs-bench-") as tmp:
        bot = start_bot(Path(tmp), venue, symbols)
        try:
            open_s = open_positions(bot, venue, symbols)
            open_now = len(venue.control.state()["positions"])
            if open_now != args.positions:
                raise SystemExit(f"only {open_now} of {args.positions} positions opened")
            fill_s = fill_events(bot, args.events, symbols)
            fill_books(bot.c.store, symbols, args.trades, bot.c.clock())
            db_mb = os.path.getsize(Path(tmp) / "bench.db") / 1e6
            print(f"[BENCH] Real dashboard: {open_now} open positions (opened in {open_s:.1f} s), "
                  f"{bot.c.store.last_event_id()} events in SQLite ({db_mb:.0f} MB, "
                  f"filled in {fill_s:.1f} s), {args.trades} closed trades, "
                  f"{args.rounds} requests per row, "
                  f"gc.freeze {'off' if args.no_gc_freeze else 'on'}")
            results, profile = bench_callbacks(bot, args.rounds, args.profile,
                                               not args.no_gc_freeze)
            ok = True
            for name, pct in results.items():
                polling = name.startswith(("poll", "books"))
                verdict = "OK" if pct["cpu_p95"] <= P95_TARGET_MS else (
                    "SLOW" if polling else "info")
                ok &= verdict != "SLOW"
                print(f"  {name:50s} wall p50 {pct['p50']:6.1f} p95 {pct['p95']:6.1f} "
                      f"max {pct['max']:6.1f} | cpu p50 {pct['cpu_p50']:6.1f} "
                      f"p95 {pct['cpu_p95']:6.1f} ms  [{verdict}]")
            tti = bench_tti(bot, args.positions, args.tti_runs) if args.tti_runs > 0 else None
            for kind, samples in (tti or {}).items():
                median = statistics.median(samples)
                verdict = "OK" if median <= TTI_TARGET_S else "SLOW"
                ok &= kind == "cold" or median <= TTI_TARGET_S
                print(f"  time to interactive, {kind} cache{'':27s}median {median:.2f} s"
                      f"  min {min(samples):.2f} s  max {max(samples):.2f} s  [{verdict}]")
            if profile:
                print(profile)
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps({"callbacks_ms": results, "tti_s": tti},
                                                indent=2))
        finally:
            bot.shutdown()
            venue.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
