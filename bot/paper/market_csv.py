"""Reading Binance's public monthly kline files (``SYMBOL-1m-YYYY-MM.csv``) into 1m bars.

Every problem is reported with the file and line, and nothing is half-loaded:
a replay either gets all of a symbol's minutes or an error.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from bot.paper.market_bars import MinuteBars
from bot.paper.market_types import MINUTE_MS, MarketDataError

FILE_PATTERN = re.compile(r"^([A-Z0-9]+)-1m-(\d{4})-(\d{2})\.csv$")
_MICROS_THRESHOLD = 10**14  # ms timestamps stay below this until the year 5138


_Fixed = tuple[int, int]  # (digits as an integer, number of decimals): "95000.10" -> (9500010, 2)


class _Row(NamedTuple):
    where: str
    open_time: int
    prices: tuple[_Fixed, _Fixed, _Fixed, _Fixed]  # open, high, low, close
    volumes: tuple[_Fixed, _Fixed]  # volume, taker buy volume
    quotes: tuple[_Fixed, _Fixed]  # quote volume, taker buy quote volume
    trades: int


def find_files(directory: Path, symbols: list[str] | None) -> dict[str, list[Path]]:
    """Month files per symbol, oldest first."""
    if not directory.is_dir():
        raise MarketDataError(f"replay directory {directory} does not exist")
    found: dict[str, list[tuple[str, Path]]] = {}
    for path in directory.iterdir():
        match = FILE_PATTERN.match(path.name)
        if match and path.is_file():
            found.setdefault(match[1], []).append((match[2] + match[3], path))
    if not found:
        raise MarketDataError(f"no SYMBOL-1m-YYYY-MM.csv files in {directory}")
    wanted = sorted(found) if symbols is None else list(symbols)
    missing = [s for s in wanted if s not in found]
    if missing:
        raise MarketDataError(f"no 1m kline files for {', '.join(missing)} in {directory}")
    return {s: [p for _, p in sorted(found[s])] for s in wanted}


def _fixed(text: str, what: str, where: str) -> _Fixed:
    """Parse a plain decimal without Decimal: a month of 7 symbols is 3 million numbers."""
    whole, dot, frac = text.strip().partition(".")
    if whole.isdigit() and (frac.isdigit() or not dot):
        try:
            return int(whole + frac), len(frac)
        except ValueError:
            pass
    if whole.startswith("-"):
        raise MarketDataError(f"{where}: {what} {text!r} must be a non-negative number")
    raise MarketDataError(f"{where}: {what} {text!r} is not a number")


def _parse_row(cells: list[str], where: str) -> _Row:
    if len(cells) not in (11, 12):
        raise MarketDataError(f"{where}: expected 12 columns, found {len(cells)}")
    try:
        open_time = int(cells[0].strip())
        trades = int(cells[8].strip())
    except ValueError:
        raise MarketDataError(f"{where}: open_time and count must be integers") from None
    if open_time >= _MICROS_THRESHOLD:
        open_time //= 1000
    if open_time <= 0 or open_time % MINUTE_MS:
        raise MarketDataError(f"{where}: open_time {cells[0]} is not the start of a minute")
    if trades < 0:
        raise MarketDataError(f"{where}: count {trades} is negative")
    o = _fixed(cells[1], "open", where)
    h = _fixed(cells[2], "high", where)
    low = _fixed(cells[3], "low", where)
    c = _fixed(cells[4], "close", where)
    return _Row(where, open_time, (o, h, low, c),
                (_fixed(cells[5], "volume", where), _fixed(cells[9], "taker_buy_volume", where)),
                (_fixed(cells[7], "quote_volume", where),
                 _fixed(cells[10], "taker_buy_quote_volume", where)),
                trades)


def read_rows(path: Path) -> list[_Row]:
    rows: list[_Row] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, cells in enumerate(csv.reader(handle), start=1):
            if not cells:
                continue
            where = f"{path.name} line {number}"
            if number == 1 and cells[0].strip().lower() == "open_time":
                continue
            row = _parse_row(cells, where)
            if rows and row.open_time <= rows[-1].open_time:
                raise MarketDataError(f"{where}: open_time is not after the previous row's")
            rows.append(row)
    return rows


def _scale(value: _Fixed, decimals: int) -> int:
    return value[0] * 10 ** (decimals - value[1])


def load_symbol(paths: list[Path], min_price_decimals: int = 0) -> MinuteBars:
    """All months of one symbol as contiguous bars; missing minutes become flat, empty bars."""
    rows: list[_Row] = []
    for path in paths:
        part = read_rows(path)
        if rows and part and part[0].open_time <= rows[-1].open_time:
            raise MarketDataError(f"{path.name} line 1: overlaps the previous month's file")
        rows.extend(part)
    if not rows:
        raise MarketDataError(f"{paths[0].name}: no kline rows")
    pd = max(min_price_decimals, max(d for r in rows for _, d in r.prices))
    vd = max(d for r in rows for _, d in r.volumes)
    qd = max(d for r in rows for _, d in r.quotes)
    bars = MinuteBars(rows[0].open_time, Decimal(1).scaleb(-pd), Decimal(1).scaleb(-vd),
                      Decimal(1).scaleb(-qd))
    for row in rows:
        o, h, low, c = [_scale(p, pd) for p in row.prices]
        if min(o, h, low, c) <= 0:
            raise MarketDataError(f"{row.where}: prices must be positive")
        if h < max(o, c, low) or low > min(o, c):
            raise MarketDataError(f"{row.where}: high/low do not contain open and close")
        expected = bars.base_ms + len(bars) * MINUTE_MS
        if len(bars) and row.open_time > expected:
            flat = bars.c[-1]
            for _ in range((row.open_time - expected) // MINUTE_MS):
                bars.append(flat, flat, flat, flat)
        v, tb = [_scale(x, vd) for x in row.volumes]
        q, tq = [_scale(x, qd) for x in row.quotes]
        bars.append(o, h, low, c, v, q, row.trades, tb, tq)
    return bars
