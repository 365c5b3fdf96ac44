"""exchangeInfo filters, kept fresh and never forgotten while they may still be needed.

- **Fresh.** Binance changes tick and step sizes (and lists symbols) without
  notice; a stop rounded to yesterday's tick is rejected (BAD_PRECISION / tick /
  step). The table is fetched again when older than ``max_age_s``, and at once
  when the exchange rejects a price or quantity (``refresh(force=True)``).
- **Never forgotten.** A symbol that leaves TRADING (settling, delisted, or gone
  from the answer) may still carry a position: its stop must be placed and the
  position closed with the filters it had. Such symbols stay in the table; only
  ``tradable()`` (new entries) drops them.
- **Fail soft.** A refresh that fails keeps the table it had: a stop must not wait
  on exchangeInfo. One unreadable symbol row keeps that symbol's old filters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.domain import SymbolFilters
from bot.domain.errors import BinanceErrorCode as Code
from bot.domain.errors import ExchangeError, UnknownStatusError, refused
from bot.exchange import wire
from bot.exchange.rows import RowReader

log = logging.getLogger(__name__)

ENDPOINT = "GET /fapi/v1/exchangeInfo"
TRADING = "TRADING"


class FilterCache:
    """Thread-safe. ``fetch`` sends the exchangeInfo request and returns the raw answer."""

    def __init__(self, fetch: Callable[[], Any], clock: Callable[[], float],
                 max_age_s: float = 3600.0, miss_refresh_s: float = 60.0) -> None:
        if max_age_s <= 0:
            raise ValueError(f"filters max_age_s must be > 0, got {max_age_s}")
        self._fetch = fetch
        self._clock = clock
        self.max_age_s = max_age_s
        self._miss_refresh_s = miss_refresh_s  # an unknown symbol refetches at most this often
        self._lock = threading.Lock()
        self._filters: dict[str, SymbolFilters] = {}
        self._trading: frozenset[str] = frozenset()
        self._fetched_at: float | None = None
        self._rows = RowReader()

    @property
    def fetched_at(self) -> float | None:
        with self._lock:
            return self._fetched_at

    def get(self, symbol: str) -> SymbolFilters:
        """The symbol's filters, refetched first when the table is old; BAD_SYMBOL if unknown."""
        if self._age() is None:
            self.refresh()
        elif self._age_over(self.max_age_s):
            self._refresh_softly(f"older than {self.max_age_s:.0f} s")
        with self._lock:
            found = self._filters.get(symbol)
        if found is None and self._age_over(self._miss_refresh_s):
            self._refresh_softly(f"{symbol} unknown")  # a new listing
            with self._lock:
                found = self._filters.get(symbol)
        if found is None:
            raise refused(Code.BAD_SYMBOL, f"Invalid symbol {symbol!r}.")
        return found

    def tradable(self) -> list[str]:
        if self._age() is None:
            self.refresh()
        with self._lock:
            return sorted(self._trading)

    def refresh(self) -> dict[str, SymbolFilters]:
        """Fetch again and merge: symbols not TRADING (or missing) keep their last filters.
        Returns the TRADING symbols' filters. Raises what the fetch raised, and
        UnknownStatusError for an answer without a list of symbols."""
        answer = self._fetch()
        try:
            rows = _symbol_rows(answer)
        except ValueError as exc:
            log.error("[EXCHANGE] Unreadable answer from %s: %s", ENDPOINT, exc)
            raise UnknownStatusError(None, f"{ENDPOINT}: unreadable answer ({exc})") from None
        read = self._rows.read(ENDPOINT, rows, _filters_and_status)
        now = self._clock()
        with self._lock:
            before = self._trading
            table = dict(self._filters)
            trading: set[str] = set()
            for filters, status in read:
                table[filters.symbol] = filters
                if status == TRADING:
                    trading.add(filters.symbol)
            trading |= {s for s in read.unknown_symbols if s in before}  # unreadable: as before
            self._filters, self._trading, self._fetched_at = table, frozenset(trading), now
            out = {s: table[s] for s in sorted(trading)}
        for symbol in sorted(before - trading):
            log.warning("[EXCHANGE] %s is no longer TRADING: its filters are kept so its "
                        "positions stay protected and can be closed", symbol)
        return out

    def _refresh_softly(self, why: str) -> None:
        try:
            self.refresh()
            log.info("[EXCHANGE] Filters refreshed (%s)", why)
        except ExchangeError as exc:
            log.warning("[EXCHANGE] Filters refresh failed (%s): keeping the cached table", exc)

    def _age(self) -> float | None:
        with self._lock:
            at = self._fetched_at
        return None if at is None else self._clock() - at

    def _age_over(self, seconds: float) -> bool:
        age = self._age()
        return age is None or age > seconds


def _symbol_rows(answer: Any) -> Sequence[Any]:
    if not isinstance(answer, Mapping):
        raise wire.WireFormatError(f"exchangeInfo: expected an object, got {type(answer).__name__}")
    return wire.list_rows(answer.get("symbols", []))


def _filters_and_status(row: Any) -> tuple[SymbolFilters, str]:
    status = row.get("status", TRADING)
    return wire.parse_symbol_filters(row), str(status)
