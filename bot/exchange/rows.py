"""Reading a list answer row by row: one unreadable row must not blind the caller.

openAlgoOrders for the whole account is one request; if one row of it cannot be
read (a new field spelling, an unknown status), failing the call would leave the
monitor without any stop for every symbol. Instead the row is skipped and named:
the answer is a ``PartialList``, a plain list of what was read that also says
which symbols had a row skipped. Coverage of those symbols is unknown, not
"no stop": a caller must neither count them as naked nor as covered.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# errors a parse function raises on a row it cannot read (WireFormatError is a ValueError)
UNREADABLE = (ValueError, KeyError, TypeError, ArithmeticError, AttributeError)
_ID_FIELDS = ("algoId", "clientAlgoId", "orderId", "clientOrderId")


@dataclass(frozen=True)
class SkippedRow:
    symbol: str | None  # None: the row did not even name its symbol
    ident: str
    reason: str


class PartialList(list[T]):
    """The rows that were read; ``skipped`` names those that were not."""

    def __init__(self, items: Iterable[T] = (), skipped: Iterable[SkippedRow] = ()) -> None:
        super().__init__(items)
        self.skipped: tuple[SkippedRow, ...] = tuple(skipped)

    @property
    def unknown_symbols(self) -> frozenset[str]:
        """Symbols with a skipped row: what they hold on the venue is unknown."""
        return frozenset(s.symbol for s in self.skipped if s.symbol is not None)

    @property
    def all_unknown(self) -> bool:
        """A skipped row named no symbol: any symbol may be missing something."""
        return any(s.symbol is None for s in self.skipped)


class RowReader:
    """Parses list answers leniently and logs each unreadable row once (per endpoint and id),
    not on every poll of the monitor."""

    def __init__(self, max_remembered: int = 10_000) -> None:
        self._logged: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._max = max_remembered

    def read(self, endpoint: str, rows: Sequence[Any], parse: Callable[[Any], T]
             ) -> PartialList[T]:
        items: list[T] = []
        skipped: list[SkippedRow] = []
        for row in rows:
            try:
                items.append(parse(row))
            except UNREADABLE as exc:
                skip = SkippedRow(_symbol_of(row), _ident_of(row), f"{type(exc).__name__}: {exc}")
                skipped.append(skip)
                self._log_once(endpoint, skip)
        return PartialList(items, skipped)

    def _log_once(self, endpoint: str, skip: SkippedRow) -> None:
        key = (endpoint, skip.ident)
        with self._lock:
            if key in self._logged:
                return
            if len(self._logged) >= self._max:
                self._logged.clear()
            self._logged.add(key)
        log.error("[EXCHANGE] Unreadable row from %s skipped (%s, %s): %s - its coverage is "
                  "unknown", endpoint, skip.symbol or "no symbol", skip.ident, skip.reason)


def _symbol_of(row: Any) -> str | None:
    symbol = row.get("symbol") if isinstance(row, Mapping) else None
    return symbol if isinstance(symbol, str) and symbol else None


def _ident_of(row: Any) -> str:
    if isinstance(row, Mapping):
        for name in _ID_FIELDS:
            if row.get(name) not in (None, ""):
                return f"{name}={row[name]}"
    return f"row={str(row)[:60]}"
