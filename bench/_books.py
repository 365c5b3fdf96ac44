"""The books for the dashboard latency bench: closed trades, equity, decisions and audit rows
as a busy month leaves them, bulk-inserted; and the requests of the books' tabs.

Used by bench/dashboard_latency_real.py; not a test.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert

from bot.domain.books import PerformanceView
from bot.store import Store
from bot.store.schema import audit, decisions, equity, signals, trades
from dashboard import ids, tabs
from dashboard.performance import build_performance_tiles
from tests.fixtures.dashboard import dependency_body, find_dependency

REASONS = ("stop", "stop", "take_profit", "trailing", "take_profit", "emergency", "flatten",
           "manual")
RULES = ("uptrend_short_block", "max_open_positions", "max_positions_per_symbol", "filter")


def fill_books(store: Store, symbols: list[str], n_trades: int, now: datetime,
               seed: int = 7) -> None:
    """``n_trades`` closed trades over 30 days, one equity point a minute for 7 days, as many
    signals and decisions as trades, 200 audit rows; in a few multi-row inserts."""
    rng = random.Random(seed)
    span = timedelta(days=30)
    rows = []
    for i in range(n_trades):
        closed = now - span + span * (i + 1) / (n_trades + 1)
        entry = Decimal(str(round(rng.uniform(0.5, 500), 4)))
        long = rng.random() < 0.6
        stop = entry * (Decimal("0.98") if long else Decimal("1.02"))
        r = Decimal(str(round(rng.uniform(-1.3, 2.5), 2)))
        exit_price = entry + (entry - stop) * r
        qty = Decimal(rng.randint(1, 400))
        fees = (entry * qty * Decimal("0.0008")).quantize(Decimal("0.0001"))
        pnl = ((exit_price - entry) * qty * (1 if long else -1) - fees).quantize(
            Decimal("0.0001"))
        rows.append({
            "symbol": rng.choice(symbols), "direction": "LONG" if long else "SHORT",
            "quantity": qty, "entry_price": entry, "stop_price": stop.quantize(Decimal("0.0001")),
            "position_key": f"bench-{i}", "opened_at": closed - timedelta(minutes=rng.randint(
                1, 600)), "exit_price": exit_price.quantize(Decimal("0.0001")),
            "close_reason": rng.choice(REASONS), "pnl_usdt": pnl, "fees_usdt": fees,
            "closed_at": closed, "adopted": False,
        })
    points = [{"at": now - timedelta(minutes=m), "equity": Decimal(100_000_000) + Decimal(
        rng.randint(-50_000, 50_000))} for m in range(7 * 24 * 60, 0, -1)]
    sigs, decs = [], []
    for i in range(n_trades):
        sid = uuid.UUID(int=rng.getrandbits(128)).hex
        at = now - span + span * (i + 1) / (n_trades + 1)
        sigs.append({"id": sid, "symbol": rng.choice(symbols), "direction": "LONG",
                     "confidence": 0.8, "source": "bench", "created_at": at})
        rule = rng.choice(RULES)
        decs.append({"signal_id": sid, "allowed": rule == "filter", "rule": rule,
                     "reason": "bench", "at": at})
    audits = [{"key": f"rule.{rng.choice(RULES)}.enabled", "old": "true", "new": "false",
               "actor": "bench", "note": "drill", "at": now - timedelta(hours=i)}
              for i in range(200)]
    with store.engine.begin() as conn:
        for table, values in ((trades, rows), (equity, points), (signals, sigs),
                              (decisions, decs), (audit, audits)):
            for start in range(0, len(values), 2000):
                conn.execute(insert(table), values[start:start + 2000])


def books_scenarios(client, host: dict, post: Callable[[dict, bool], dict]) -> dict[str, dict]:
    """Request bodies of the books' callbacks, as the page sends them while a tab is shown."""
    interval = [f"{ids.BOOKS_INTERVAL}.n_intervals"]
    trades_dep = find_dependency(client, host, output_prefix=ids.TRADES_TABLE)
    perf_dep = find_dependency(client, host, output_prefix='{"tile"',
                               input_id=ids.BOOKS_INTERVAL)
    equity_dep = find_dependency(client, host, output_prefix=ids.PERF_EQUITY)
    tiles = [{"tile": t.key, "type": ids.PERF_VALUE}
             for t in build_performance_tiles(PerformanceView())]

    def trades_body(page: int, symbol: str = "*", reason: str = "*") -> dict:
        return dependency_body(trades_dep, {
            f"{ids.PAGE_ACTIVE}.data": tabs.TRADES, f"{ids.TRADES_PAGER}.active_page": page,
            f"{ids.TRADES_SYMBOL}.value": symbol, f"{ids.TRADES_REASON}.value": reason,
            f"{ids.TRADES_SIDE}.value": "*"}, interval)

    def equity_body(choice: str) -> dict:
        return dependency_body(equity_dep, {f"{ids.PAGE_ACTIVE}.data": tabs.PERFORMANCE,
                                            f"{ids.PERF_RANGE}.value": choice}, interval)

    perf_body = dependency_body(perf_dep, {f"{ids.PAGE_ACTIVE}.data": tabs.PERFORMANCE},
                                interval, {ids.PERF_VALUE: tiles})
    signals_dep = find_dependency(client, host, output_prefix=ids.SIGNALS_TABLE)
    audit_dep = find_dependency(client, host, output_prefix=ids.AUDIT_TABLE)

    def signals_body(verdict: str) -> dict:
        return dependency_body(signals_dep, {
            f"{ids.PAGE_ACTIVE}.data": tabs.SIGNALS, f"{ids.SIGNALS_VERDICT}.value": verdict,
            f"{ids.SIGNALS_SYMBOL}.value": "*", f"{ids.SIGNALS_RULE}.value": "*",
            f"{ids.SIGNALS_PAGER}.active_page": 1}, interval)

    audit_body = dependency_body(audit_dep, {f"{ids.PAGE_ACTIVE}.data": tabs.AUDIT}, interval)
    symbol = post(trades_body(1), True)[ids.TRADES_SYMBOL]["options"][1]["value"]
    return {
        "books: closed trades, page 1": trades_body(1),
        "books: closed trades, page 100": trades_body(100),
        "books: closed trades, symbol + reason filter": trades_body(1, symbol, "stop"),
        "books: performance (books unchanged)": perf_body,
        "books: equity split, 7 d": equity_body("7d"),
        "books: equity split, all": equity_body("all"),
        "books: signals, page 1": signals_body("*"),
        "books: signals, denied only": signals_body("denied"),
        "books: audit trail (200 rows)": audit_body,
    }
