"""A replay that streams its files: rows read as the clock reaches them, a window kept behind.

``ReplayMarket`` loads every minute of every file at start: right for the venue's
demos, wrong for a three-month backtest, whose memory would grow with its length.
``WindowedReplayMarket`` is a ``ReplayMarket`` (each minute plays as open, first
extreme, second extreme, close at :00, :15, :30, :45) that

- checks every file up front in one streaming pass, so a malformed row stops the
  replay before it starts, with the file and line; the pass also fixes one price
  scale per symbol for all its files;
- reads rows a day ahead of the clock, and forgets the rows it has played;
- keeps the last ``keep_ms`` of played minutes for klines (what the bot can ask for).

Memory is then the window, whatever the length of the replay.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot.paper.market.bars import MinuteBars
from bot.paper.market.csv_files import KlineFile, append_rows, iter_rows, list_files, scan_file
from bot.paper.market.replay import DEFAULT_HISTORY_MS, ReplayMarket, _Replayed
from bot.paper.market.specs import KNOWN_MARKETS
from bot.paper.market.types import DAY_MS, MINUTE_MS, MarketDataError, Tick

log = logging.getLogger(__name__)

READ_AHEAD_MS = DAY_MS


class _Feed:
    """One symbol's rows across its files, in order, pulled on demand."""

    def __init__(self, files: list[KlineFile], min_price_decimals: int) -> None:
        scans = [scan_file(f.path) for f in files]
        for before, after, scan_before, scan in zip(files, files[1:], scans, scans[1:],
                                                    strict=False):
            if scan.first_open_ms <= scan_before.last_open_ms:
                raise MarketDataError(f"{after.path.name} line 1: overlaps {before.path.name}")
        self.decimals = (max(min_price_decimals, *(s.price_decimals for s in scans)),
                         max(s.volume_decimals for s in scans),
                         max(s.quote_decimals for s in scans))
        self.first_open_ms = scans[0].first_open_ms
        self.last_open_ms = scans[-1].last_open_ms
        self._rows: Iterator = itertools.chain.from_iterable(iter_rows(f.path) for f in files)
        self._next = None

    def new_bars(self) -> MinuteBars:
        pd, vd, qd = self.decimals
        return MinuteBars(self.first_open_ms, Decimal(1).scaleb(-pd), Decimal(1).scaleb(-vd),
                          Decimal(1).scaleb(-qd))

    def read_into(self, bars: MinuteBars, until_ms: int) -> None:
        """Append the rows that open before ``until_ms``."""
        rows = []
        while True:
            if self._next is None:
                self._next = next(self._rows, None)
                if self._next is None:
                    break
            if self._next.open_time >= until_ms:
                break
            rows.append(self._next)
            self._next = None
        append_rows(bars, rows, *self.decimals)


class WindowedReplayMarket(ReplayMarket):
    """``MarketSource`` over Binance 1m kline files, streamed; see the module docstring.

    ``start_ms`` is where the clock starts (the minutes before it are history, up to
    ``keep_ms``); files ending before that history or starting after ``end_ms`` are
    not read at all.
    """

    def __init__(self, directory: str | Path, start_ms: int, symbols: list[str] | None = None,
                 keep_ms: int = DEFAULT_HISTORY_MS, end_ms: int | None = None) -> None:
        listed = list_files(Path(directory))
        if not listed:
            raise MarketDataError(f"no SYMBOL-1m-YYYY-MM.csv files (or -DD daily ones, .csv "
                                  f"or .zip) in {directory}")
        wanted = sorted(listed) if symbols is None else list(symbols)
        missing = [s for s in wanted if s not in listed]
        if missing:
            raise MarketDataError(f"no 1m kline files for {', '.join(missing)} in {directory}")
        if keep_ms < MINUTE_MS:
            raise ValueError("keep_ms must be at least one minute")
        self._keep_ms = keep_ms - keep_ms % MINUTE_MS
        minute = start_ms - start_ms % MINUTE_MS
        self._feeds: dict[str, _Feed] = {}
        self._states: dict[str, _Replayed] = {}
        for symbol in wanted:
            files = [f for f in listed[symbol] if f.end_ms > minute - self._keep_ms
                     and (end_ms is None or f.start_ms <= end_ms)]
            if not files:
                raise MarketDataError(f"no 1m kline files for {symbol} around "
                                      f"{_day(minute)} in {directory}")
            known = KNOWN_MARKETS.get(symbol)
            min_decimals = max(0, -known.tick.as_tuple().exponent) if known else 0  # type: ignore[operator]
            feed = _Feed(files, min_decimals)
            src = feed.new_bars()
            feed.read_into(src, max(minute, feed.first_open_ms) + READ_AHEAD_MS)
            self._feeds[symbol] = feed
            self._states[symbol] = _Replayed(symbol, src)
        self._start(int(start_ms))
        log.info("[PAPER] Streaming a replay of %d symbols from %s, from %s", len(self._states),
                 Path(directory).name, _day(self.start_ms))

    def span(self, symbol: str) -> tuple[int, int]:
        """Open times of the first and the last row of the symbol's files read."""
        feed = self._feeds[self._state(symbol).symbol]
        return feed.first_open_ms, feed.last_open_ms

    # --- ReplayMarket's hooks ---
    def _load_history(self, st: _Replayed) -> None:
        index = (self._minute - st.src.base_ms) // MINUTE_MS
        st.copy_minutes(max(0, index - self._keep_ms // MINUTE_MS), index)
        st.src.drop_before(self._minute)

    def _play_phase(self, st: _Replayed, minute: int, phase: int) -> bool:
        if phase == 0:
            self._refill(st, minute)
        return super()._play_phase(st, minute, phase)

    def _bulk(self, target_ms: int, out: list[Tick]) -> None:
        for st in self._states.values():
            self._feeds[st.symbol].read_into(st.src, target_ms + MINUTE_MS)
        super()._bulk(target_ms, out)

    # --- the window ---
    def _refill(self, st: _Replayed, minute: int) -> None:
        src, bars = st.src, st.bars
        if src.base_ms + len(src) * MINUTE_MS <= minute:
            self._feeds[st.symbol].read_into(src, minute + READ_AHEAD_MS)
        if minute - src.base_ms > READ_AHEAD_MS:  # in day-sized steps: a slice delete is O(n)
            src.drop_before(minute)
        if len(bars) and minute - bars.base_ms > self._keep_ms + READ_AHEAD_MS:
            bars.drop_before(minute - self._keep_ms)


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")
