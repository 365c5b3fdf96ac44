"""Synthetic Binance 1m kline files: what the tests and the benchmark replay, never a download.

The files have Binance's layout (12 columns, ``SYMBOL-1m-YYYY-MM.csv`` or
``SYMBOL-1m-YYYY-MM-DD.csv``, optionally with Binance's header row and zipped).
Prices follow a seeded random walk whose drift changes every few hours, so the
trend strategy finds entries and the regime moves; ``gaps`` jumps the open of
chosen minutes (a gap in price, as after a missing minute or a news bar).
"""

from __future__ import annotations

import calendar
import io
import random
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

MINUTE_MS = 60_000
HEADER = ("open_time,open,high,low,close,volume,close_time,quote_volume,count,"
          "taker_buy_volume,taker_buy_quote_volume,ignore")
# a plausible starting price and the decimals Binance writes, per symbol
PRICES: dict[str, tuple[float, int]] = {
    "BTCUSDT": (95000.0, 2), "ETHUSDT": (3300.0, 2), "SOLUSDT": (180.0, 4),
    "BNBUSDT": (650.0, 3), "XRPUSDT": (2.2, 4), "ATOMUSDT": (4.5, 3), "ICXUSDT": (0.12, 4),
}


@dataclass(frozen=True)
class Walk:
    """One symbol's path: starting price, decimals, per-minute volatility, trend changes."""

    price: float = 100.0
    decimals: int = 2
    vol: float = 0.0012  # per-minute standard deviation of the return
    trend_every: int = 360  # minutes between drift changes
    drift: float = 0.00006  # the largest per-minute drift
    bias: float = 0.0  # added to every minute's drift: a lasting trend
    gaps: dict[int, float] = field(default_factory=dict)  # open_ms -> factor on the open


def minutes_of(first: date, days: int) -> Iterable[int]:
    start = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()) * 1000
    return range(start, start + days * 1440 * MINUTE_MS, MINUTE_MS)


def rows(walk: Walk, first: date, days: int, seed: int) -> list[str]:
    """CSV lines (no header) for ``days`` days from ``first``."""
    rng = random.Random(seed)
    unit = 10 ** -walk.decimals
    fmt = f"{{:.{walk.decimals}f}}"
    out: list[str] = []
    price, drift = walk.price, 0.0
    for i, t in enumerate(minutes_of(first, days)):
        if i % walk.trend_every == 0:
            drift = walk.bias + rng.uniform(-walk.drift, walk.drift)
        o = price * walk.gaps.get(t, 1.0)
        c = max(unit, o * (1 + drift + rng.gauss(0, walk.vol)))
        h = max(o, c) * (1 + abs(rng.gauss(0, walk.vol / 2)))
        low = max(unit, min(o, c) * (1 - abs(rng.gauss(0, walk.vol / 2))))
        o_s, c_s = fmt.format(o), fmt.format(c)
        h_s = fmt.format(max(h, float(o_s), float(c_s)))
        l_s = fmt.format(max(unit, min(low, float(o_s), float(c_s))))
        volume = rng.randint(1, 50_000) / 1000
        quote = volume * c
        out.append(f"{t},{o_s},{h_s},{l_s},{c_s},{volume:.3f},{t + MINUTE_MS - 1},"
                   f"{quote:.5f},{rng.randint(1, 900)},{volume / 2:.3f},{quote / 2:.5f},0")
        price = float(c_s)
    return out


def write_symbol(directory: Path, symbol: str, first: date, days: int, seed: int = 1,
                 walk: Walk | None = None, daily: bool = False, header: bool = True,
                 zipped: bool = False) -> list[Path]:
    """Write ``days`` days of one symbol as monthly (default) or daily files; their paths.

    Monthly files hold only the days asked for (a partial month), as a month
    that is still running would on Binance's site.
    """
    if walk is None:
        price, decimals = PRICES.get(symbol, (100.0, 2))
        walk = Walk(price=price, decimals=decimals)
    directory.mkdir(parents=True, exist_ok=True)
    lines = rows(walk, first, days, seed)
    groups: dict[str, list[str]] = {}
    for day in range(days):
        d = first + timedelta(days=day)
        name = f"{symbol}-1m-{d:%Y-%m-%d}" if daily else f"{symbol}-1m-{d:%Y-%m}"
        groups.setdefault(name, []).extend(lines[day * 1440:(day + 1) * 1440])
    paths = []
    for name, body in groups.items():
        text = "\n".join(([HEADER] if header else []) + body) + "\n"
        if zipped:
            path = directory / f"{name}.zip"
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(f"{name}.csv", text)
            path.write_bytes(buffer.getvalue())
        else:
            path = directory / f"{name}.csv"
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_dataset(directory: Path, symbols: Iterable[str], first: date, days: int,
                  seed: int = 1, **options: object) -> dict[str, list[Path]]:
    """Several symbols at once, each with its own seeded walk."""
    return {s: write_symbol(directory, s, first, days, seed=seed * 1000 + i, **options)  # type: ignore[arg-type]
            for i, s in enumerate(symbols)}


def month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
