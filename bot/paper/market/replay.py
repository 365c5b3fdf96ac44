"""Replaying recorded 1m klines as a live market.

Each recorded minute is played as four price updates: the open at :00, the
first extreme at :15, the second at :30, the close at :45 (low before high in
a rising minute, high before low in a falling one). The minutes before
``start_ms`` are history, served by klines at once; mark price equals last.
After the data ends the price stays at the last close.
"""

from __future__ import annotations

import logging
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bot.paper.market.bars import MinuteBars
from bot.paper.market.csv_files import find_files, load_symbol
from bot.paper.market.specs import KNOWN_MARKETS
from bot.paper.market.types import (
    HOUR_MS,
    MINUTE_MS,
    Candle,
    Tick,
    UnknownSymbolError,
    check_limit,
    interval_ms,
)

log = logging.getLogger(__name__)

PHASE_OFFSETS_MS = (0, 15_000, 30_000, 45_000)
DEFAULT_HISTORY_MS = 300 * HOUR_MS
FINE_CATCHUP_MS = 6 * HOUR_MS


class _Replayed:
    __slots__ = ("symbol", "src", "bars", "raw_t", "last_t", "mark_t", "factor")

    def __init__(self, symbol: str, src: MinuteBars) -> None:
        self.symbol = symbol
        self.src = src
        self.bars = MinuteBars(src.base_ms, src.tick, src.vol_unit, src.quote_unit)
        self.raw_t = src.o[0]
        self.last_t = self.mark_t = src.o[0]
        self.factor = 1.0

    def price(self, raw: int) -> int:
        return raw if self.factor == 1.0 else (round(raw * self.factor) or 1)

    def play(self, index: int, phase: int) -> bool:
        """Apply one phase of recorded minute ``index``; True when the last price moved."""
        src = self.src
        if phase == 0:
            raw = src.o[index]
            self.bars.open_minute(src.base_ms + index * MINUTE_MS, self.price(raw))
        elif phase == 3:
            raw = src.c[index]
        else:
            rising = src.c[index] >= src.o[index]
            raw = src.l[index] if (phase == 1) == rising else src.h[index]
        self.raw_t = raw
        moved = self.price(raw)
        self.bars.trade(moved)
        if phase == 3:
            bars = self.bars
            bars.v[-1], bars.q[-1], bars.n[-1] = src.v[index], src.q[index], src.n[index]
            bars.tb[-1], bars.tq[-1] = src.tb[index], src.tq[index]
        changed = moved != self.last_t or moved != self.mark_t
        self.last_t = self.mark_t = moved
        return changed

    def copy_minutes(self, first: int, stop: int) -> None:
        """Bulk-load recorded minutes [first, stop) without ticks (history, far catch-up)."""
        src, bars = self.src, self.bars
        for i in range(max(0, first), min(stop, len(src))):
            bars.open_minute(src.base_ms + i * MINUTE_MS, self.price(src.o[i]))
            bars.h[-1], bars.l[-1] = self.price(src.h[i]), self.price(src.l[i])
            bars.c[-1] = self.price(src.c[i])
            bars.v[-1], bars.q[-1], bars.n[-1] = src.v[i], src.q[i], src.n[i]
            bars.tb[-1], bars.tq[-1] = src.tb[i], src.tq[i]
            self.raw_t = src.c[i]
            self.last_t = self.mark_t = bars.c[-1]


class ReplayMarket:
    """Implements ``MarketSource`` over a directory of Binance monthly 1m kline files."""

    def __init__(self, directory: str | Path, symbols: list[str] | None = None,
                 start_ms: int | None = None) -> None:
        files = find_files(Path(directory), symbols)
        self._states: dict[str, _Replayed] = {}
        for symbol, paths in files.items():
            known = KNOWN_MARKETS.get(symbol)
            min_decimals = max(0, -known.tick.as_tuple().exponent) if known else 0  # type: ignore[operator]
            self._states[symbol] = _Replayed(symbol, load_symbol(paths, min_decimals))
        first = min(s.src.base_ms for s in self._states.values())
        last = max(s.src.last_open_ms for s in self._states.values())
        if start_ms is None:
            start_ms = first + min(DEFAULT_HISTORY_MS, (last - first) // 2)
        self._start(int(start_ms))
        log.info("[PAPER] Replaying %d symbols from %s (%d ms)", len(self._states),
                 Path(directory).name, self.start_ms)

    def _start(self, start_ms: int) -> None:
        """Serve the minutes before ``start_ms`` as history and stand at its open."""
        self.start_ms = start_ms
        self._minute = self.start_ms - self.start_ms % MINUTE_MS
        self._lock = threading.RLock()
        self._pending: list[Tick] = []
        for st in self._states.values():
            self._load_history(st)
            self._play_phase(st, self._minute, 0)
        self._phase = 1  # the open of the start minute is the starting price
        self._now = self.start_ms

    def _load_history(self, st: _Replayed) -> None:
        st.copy_minutes(0, (self._minute - st.src.base_ms) // MINUTE_MS)

    # --- MarketSource ---
    def symbols(self) -> list[str]:
        return list(self._states)

    def advance_to(self, now_ms: int) -> list[Tick]:
        with self._lock:
            out, self._pending = self._pending, []
            self._advance(int(now_ms), out)
            return out

    def last_price(self, symbol: str) -> Decimal:
        with self._lock:
            st = self._state(symbol)
            return Decimal(st.last_t) * st.src.tick

    def mark_price(self, symbol: str) -> Decimal:
        with self._lock:
            st = self._state(symbol)
            return Decimal(st.mark_t) * st.src.tick

    def klines(self, symbol: str, interval: str, start_ms: int | None = None,
               end_ms: int | None = None, limit: int = 500) -> list[Candle]:
        interval_ms(interval)
        check_limit(limit)
        with self._lock:
            return self._state(symbol).bars.klines(interval, start_ms, end_ms, limit)

    def set_price(self, symbol: str, price: Decimal, now_ms: int,
                  mark: Decimal | None = None) -> Tick:
        with self._lock:
            st = self._state(symbol)
            last_t = _to_ticks(price, st.src.tick, "price")
            mark_t = last_t if mark is None else _to_ticks(mark, st.src.tick, "mark")
            if not len(st.bars):
                raise ValueError(f"{symbol} has no replayed data before this time")
            self._advance(int(now_ms), self._pending)
            st.factor = last_t / st.raw_t
            st.bars.trade(last_t)
            st.last_t, st.mark_t = last_t, mark_t
            tick = Tick(symbol, max(int(now_ms), self._now), Decimal(last_t) * st.src.tick,
                        Decimal(mark_t) * st.src.tick)
            self._pending.append(tick)
            log.info("[PAPER] Replay price of %s set to %s; replay continues from there",
                     symbol, tick.last)
            return tick

    @property
    def now_ms(self) -> int:
        return self._now

    # --- internals ---
    def _state(self, symbol: str) -> _Replayed:
        st = self._states.get(symbol)
        if st is None:
            raise UnknownSymbolError(symbol)
        return st

    def _play_phase(self, st: _Replayed, minute: int, phase: int) -> bool:
        index = (minute - st.src.base_ms) // MINUTE_MS
        if 0 <= index < len(st.src):
            return st.play(index, phase)
        return False

    def _advance(self, now_ms: int, out: list[Tick]) -> None:
        if now_ms <= self._now:
            return
        if now_ms - self._now > FINE_CATCHUP_MS:
            self._bulk(now_ms - FINE_CATCHUP_MS, out)
        while self._minute + PHASE_OFFSETS_MS[self._phase] <= now_ms:
            t = self._minute + PHASE_OFFSETS_MS[self._phase]
            for st in self._states.values():
                if self._play_phase(st, self._minute, self._phase):
                    out.append(Tick(st.symbol, t, Decimal(st.last_t) * st.src.tick,
                                    Decimal(st.mark_t) * st.src.tick))
            self._phase += 1
            if self._phase == len(PHASE_OFFSETS_MS):
                self._phase = 0
                self._minute += MINUTE_MS
        self._now = now_ms

    def _bulk(self, target_ms: int, out: list[Tick]) -> None:
        """Finish the current minute, then copy whole minutes up to ``target_ms`` without ticks."""
        while self._phase:
            self._advance_phase_silently()
        stop = target_ms - target_ms % MINUTE_MS
        if stop <= self._minute:
            return
        for st in self._states.values():
            base = st.src.base_ms
            st.copy_minutes((self._minute - base) // MINUTE_MS, (stop - base) // MINUTE_MS)
            if len(st.bars):
                    out.append(Tick(st.symbol, stop - 1, Decimal(st.last_t) * st.src.tick,
                                Decimal(st.mark_t) * st.src.tick))
        self._minute = stop
        self._now = stop - 1

    def _advance_phase_silently(self) -> None:
        for st in self._states.values():
            self._play_phase(st, self._minute, self._phase)
        self._phase = (self._phase + 1) % len(PHASE_OFFSETS_MS)
        if self._phase == 0:
            self._minute += MINUTE_MS


def _to_ticks(value: Decimal, tick: Decimal, what: str) -> int:
    try:
        units = Decimal(value) / tick
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not units.is_finite() or units < Decimal("0.5"):
        raise ValueError(f"{what} {value} must be at least one tick ({tick})")
    return int(units.to_integral_value())
