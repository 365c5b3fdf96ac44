"""Reading Binance's public 1m kline files into 1m bars.

Monthly ``SYMBOL-1m-YYYY-MM.csv`` and daily ``SYMBOL-1m-YYYY-MM-DD.csv``, each
as is or zipped (``.zip``, one CSV inside, as Binance publishes them), with or
without Binance's header row. Every problem is reported with the file and
line, and nothing is half-loaded: a replay either gets all of a symbol's
minutes or an error.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, TextIO

from bot.paper.market.bars import MinuteBars
from bot.paper.market.types import MINUTE_MS, MarketDataError

FILE_PATTERN = re.compile(r"^([A-Z0-9]+)-1m-(\d{4})-(\d{2})\.csv$")  # monthly, unzipped
# monthly or daily, .csv or .zip: what data.binance.vision publishes
KLINE_FILE_PATTERN = re.compile(r"^([A-Z0-9]+)-1m-(\d{4})-(\d{2})(?:-(\d{2}))?\.(csv|zip)$")
_MICROS_THRESHOLD = 10**14  # ms timestamps stay below this until the year 5138


_Fixed = tuple[int, int]  # (digits as an integer, number of decimals): "95000.10" -> (9500010, 2)


class _Row(NamedTuple):
    where: str
    open_time: int
    prices: tuple[_Fixed, _Fixed, _Fixed, _Fixed]  # open, high, low, close
    volumes: tuple[_Fixed, _Fixed]  # volume, taker buy volume
    quotes: tuple[_Fixed, _Fixed]  # quote volume, taker buy quote volume
    trades: int


@dataclass(frozen=True)
class KlineFile:
    """One kline file and the UTC period its name covers: [start_ms, end_ms)."""

    symbol: str
    path: Path
    start_ms: int
    end_ms: int
    daily: bool

    @property
    def period(self) -> str:
        """``2026-01`` for a monthly file, ``2026-01-31`` for a daily one."""
        day = datetime.fromtimestamp(self.start_ms / 1000, UTC)
        return day.strftime("%Y-%m-%d" if self.daily else "%Y-%m")


def list_files(directory: Path) -> dict[str, list[KlineFile]]:
    """Every monthly and daily 1m file per symbol, oldest first.

    A daily file inside a month that has its monthly file is left out (the month
    already holds its minutes), and a ``.csv`` wins over the ``.zip`` of the same name.
    """
    if not directory.is_dir():
        raise MarketDataError(f"replay directory {directory} does not exist")
    found: dict[str, dict[str, KlineFile]] = {}
    for path in sorted(directory.iterdir()):
        match = KLINE_FILE_PATTERN.match(path.name)
        if not match or not path.is_file():
            continue
        year, month, day = int(match[2]), int(match[3]), match[4]
        try:
            start = datetime(year, month, int(day) if day else 1, tzinfo=UTC)
        except ValueError:
            raise MarketDataError(f"{path.name}: {match[2]}-{match[3]}"
                                  f"{'-' + day if day else ''} is not a date") from None
        if day:
            end = start.timestamp() + 86_400
        else:
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC).timestamp()
        stem = path.name.rsplit(".", 1)[0]
        slot = found.setdefault(match[1], {})
        if stem in slot and slot[stem].path.suffix == ".csv":
            continue
        slot[stem] = KlineFile(match[1], path, int(start.timestamp()) * 1000, int(end) * 1000,
                               bool(day))
    out: dict[str, list[KlineFile]] = {}
    for symbol, files in sorted(found.items()):
        ordered = sorted(files.values(), key=lambda f: (f.start_ms, f.daily))
        months = [(f.start_ms, f.end_ms) for f in ordered if not f.daily]
        out[symbol] = [f for f in ordered
                       if not (f.daily and any(a <= f.start_ms < b for a, b in months))]
    return out


def find_files(directory: Path, symbols: list[str] | None) -> dict[str, list[Path]]:
    """Kline files per symbol, oldest first (monthly and daily, .csv or .zip)."""
    found = list_files(directory)
    if not found:
        raise MarketDataError(f"no SYMBOL-1m-YYYY-MM.csv files (or -DD daily ones, .csv or "
                              f".zip) in {directory}")
    wanted = sorted(found) if symbols is None else list(symbols)
    missing = [s for s in wanted if s not in found]
    if missing:
        raise MarketDataError(f"no 1m kline files for {', '.join(missing)} in {directory}")
    return {s: [f.path for f in found[s]] for s in wanted}


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


@contextmanager
def open_text(path: Path) -> Iterator[TextIO]:
    """The file's CSV text; a ``.zip`` must hold exactly one ``.csv`` (Binance's layout)."""
    if path.suffix.lower() != ".zip":
        with path.open(newline="", encoding="utf-8") as handle:
            yield handle
        return
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise MarketDataError(f"{path.name}: not a readable zip file") from None
    with archive:
        inside = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        if len(inside) != 1:
            raise MarketDataError(f"{path.name}: expected one .csv inside, found {len(inside)}")
        with archive.open(inside[0]) as raw:
            yield io.TextIOWrapper(raw, encoding="utf-8", newline="")


def iter_rows(path: Path) -> Iterator[_Row]:
    """The file's rows in order, checked one by one (a bad row raises with its line)."""
    previous: int | None = None
    with open_text(path) as handle:
        try:
            for number, cells in enumerate(csv.reader(handle), start=1):
                if not cells:
                    continue
                where = f"{path.name} line {number}"
                if number == 1 and cells[0].strip().lower() == "open_time":
                    continue
                row = _parse_row(cells, where)
                if previous is not None and row.open_time <= previous:
                    raise MarketDataError(f"{where}: open_time is not after the previous row's")
                previous = row.open_time
                yield row
        except UnicodeDecodeError:
            raise MarketDataError(f"{path.name}: not UTF-8 text") from None
        except csv.Error as exc:
            raise MarketDataError(f"{path.name}: not a CSV file ({exc})") from None


def read_rows(path: Path) -> list[_Row]:
    return list(iter_rows(path))


@dataclass(frozen=True)
class FileScan:
    """What one pass over a file found: its span, row count and widest decimals."""

    first_open_ms: int
    last_open_ms: int
    rows: int
    price_decimals: int
    volume_decimals: int
    quote_decimals: int


def scan_file(path: Path) -> FileScan:
    """Check every row of a file without keeping any (a replay's up-front validation)."""
    first = last = rows = pd = vd = qd = 0
    for row in iter_rows(path):
        (o, od), (h, hd), (low, ld), (c, cd) = row.prices
        row_pd = max(od, hd, ld, cd)
        _check_prices(row, o * 10 ** (row_pd - od), h * 10 ** (row_pd - hd),
                      low * 10 ** (row_pd - ld), c * 10 ** (row_pd - cd))
        pd = max(pd, row_pd)
        (_, v1), (_, v2) = row.volumes
        (_, q1), (_, q2) = row.quotes
        vd = max(vd, v1, v2)
        qd = max(qd, q1, q2)
        first = first or row.open_time
        last = row.open_time
        rows += 1
    if not rows:
        raise MarketDataError(f"{path.name}: no kline rows")
    return FileScan(first, last, rows, pd, vd, qd)


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
    append_rows(bars, rows, pd, vd, qd)
    return bars


def append_rows(bars: MinuteBars, rows: list[_Row], price_decimals: int, volume_decimals: int,
                quote_decimals: int) -> None:
    """Append rows (later than the bars' last) at the bars' scale; missing minutes become flat,
    empty bars. The decimals must be at least the rows' own (``scan_file`` finds them)."""
    pd, vd, qd = price_decimals, volume_decimals, quote_decimals
    for row in rows:
        (o, od), (h, hd), (low, ld), (c, cd) = row.prices
        o, h = o * 10 ** (pd - od), h * 10 ** (pd - hd)
        low, c = low * 10 ** (pd - ld), c * 10 ** (pd - cd)
        _check_prices(row, o, h, low, c)
        expected = bars.base_ms + len(bars) * MINUTE_MS
        if len(bars) and row.open_time < expected:
            raise MarketDataError(f"{row.where}: open_time is not after the previous row's")
        if len(bars) and row.open_time > expected:
            flat = bars.c[-1]
            for _ in range((row.open_time - expected) // MINUTE_MS):
                bars.append(flat, flat, flat, flat)
        (v, v_d), (tb, tb_d) = row.volumes
        (q, q_d), (tq, tq_d) = row.quotes
        bars.append(o, h, low, c, v * 10 ** (vd - v_d), q * 10 ** (qd - q_d), row.trades,
                    tb * 10 ** (vd - tb_d), tq * 10 ** (qd - tq_d))


def _check_prices(row: _Row, o: int, h: int, low: int, c: int) -> None:
    if min(o, h, low, c) <= 0:
        raise MarketDataError(f"{row.where}: prices must be positive")
    if h < max(o, c, low) or low > min(o, c):
        raise MarketDataError(f"{row.where}: high/low do not contain open and close")
