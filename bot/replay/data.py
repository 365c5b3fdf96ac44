"""Which kline files a replay reads, and whether they cover the window it was asked for.

Checked by name before a row is read: BTCUSDT present (the regime reads it),
every day of every symbol in [--from, --to] covered by a monthly or a daily file.
The rows themselves are checked by the market's streaming pass
(``WindowedReplayMarket``), which names the file and line of a bad one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.paper.market import MarketDataError
from bot.paper.market.csv_files import KlineFile, list_files
from bot.replay.errors import ReplayInputError

REGIME_SYMBOL = "BTCUSDT"
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Window:
    """The simulated days: [start_ms, end_ms), whole UTC days from --from to --to."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ReplayInputError(f"--from {self.first} is after --to {self.last}")

    @property
    def start_ms(self) -> int:
        return _ms(self.first)

    @property
    def end_ms(self) -> int:
        return _ms(self.last) + DAY_MS

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class DataSet:
    directory: Path
    symbols: tuple[str, ...]  # traded and replayed; BTCUSDT is always replayed
    files: dict[str, tuple[KlineFile, ...]]

    @property
    def replayed(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.symbols, REGIME_SYMBOL)))


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReplayInputError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def check_data(directory: Path, window: Window, symbols: tuple[str, ...] | None) -> DataSet:
    """The files to replay, or ReplayInputError naming what is missing."""
    try:
        listed = list_files(directory)
    except MarketDataError as exc:
        raise ReplayInputError(str(exc)) from None
    if not listed:
        raise ReplayInputError(f"no Binance 1m kline files in {directory} (SYMBOL-1m-YYYY-MM.csv "
                               "or SYMBOL-1m-YYYY-MM-DD.csv, plain or .zip)")
    if REGIME_SYMBOL not in listed:
        raise ReplayInputError(f"no {REGIME_SYMBOL} data in {directory}: the regime is read from "
                               f"{REGIME_SYMBOL} (expected {REGIME_SYMBOL}-1m-YYYY-MM.csv files)")
    wanted = tuple(symbols) if symbols else tuple(sorted(listed))
    absent = [s for s in wanted if s not in listed]
    if absent:
        raise ReplayInputError(f"no 1m kline files for {', '.join(absent)} in {directory} "
                               "(QT_SYMBOLS names them)")
    chosen = tuple(dict.fromkeys((*wanted, REGIME_SYMBOL)))
    for symbol in chosen:
        _check_cover(directory, symbol, listed[symbol], window)
    return DataSet(directory, wanted, {s: tuple(listed[s]) for s in chosen})


def _check_cover(directory: Path, symbol: str, files: list[KlineFile], window: Window) -> None:
    day = window.first
    while day <= window.last:
        at = _ms(day)
        if not any(f.start_ms <= at < f.end_ms for f in files):
            month = f"{day:%Y-%m}"
            if not any(f.period.startswith(month) for f in files):
                raise ReplayInputError(
                    f"{symbol}: month {month} is missing: expected {symbol}-1m-{month}.csv "
                    f"(or .zip, or its daily files) in {directory}{_leave_out(symbol)}")
            raise ReplayInputError(
                f"{symbol}: day {day} is missing: expected {symbol}-1m-{day}.csv (or .zip, or "
                f"the month's {symbol}-1m-{month}.csv) in {directory}{_leave_out(symbol)}")
        day += timedelta(days=1)


def _leave_out(symbol: str) -> str:
    return "" if symbol == REGIME_SYMBOL else "; or leave it out with --set QT_SYMBOLS=..."


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000
