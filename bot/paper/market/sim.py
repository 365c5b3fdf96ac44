"""The simulated market: a seeded, regime-switching price path per symbol, stepped on demand.

Time moves only through ``advance_to(now_ms)``: the model steps on a fixed
grid (``start_ms + k * tick_ms``), so the path does not depend on how often
the engine polls, and the same seed with the same calls gives the same ticks.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from decimal import Decimal, InvalidOperation

from bot.paper.market.bars import MinuteBars
from bot.paper.market.model import (
    LV_STD,
    PHASES,
    Gap,
    MinutePath,
    Phase,
    alt_history,
    driver_history,
    evolve_lv,
    gap_size,
    history_bars,
    next_gap_ms,
    next_phase,
    phase_duration_ms,
)
from bot.paper.market.specs import DEFAULT_MARKET_SYMBOLS, DRIVER, MarketSpec, market_spec
from bot.paper.market.types import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    Candle,
    Tick,
    UnknownSymbolError,
    check_limit,
    interval_ms,
)

log = logging.getLogger(__name__)

DEFAULT_START_MS = 1_767_225_600_000  # 2026-01-01T00:00Z, as the paper clock's default
FINE_CATCHUP_MS = 6 * HOUR_MS  # beyond this, a far-behind caller is caught up minute by minute
MARK_SMOOTHING_MS = 2_000


class _Live:
    """One symbol's live state; the driver (BTC) also carries its trend phase."""

    __slots__ = ("spec", "rng", "x", "m", "lv", "lv_minute", "gap_at", "bar_minute", "last_t",
                 "mark_t", "bars", "tick_f", "unit_f", "trade_size", "history", "gaps",
                 "phase", "phase_until", "visible")

    def __init__(self, spec: MarketSpec, seed: int, start_ms: int, gaps_per_day: float) -> None:
        self.spec = spec
        self.rng = random.Random(f"{seed}:{spec.symbol}:live")
        self.tick_f = float(spec.tick)
        self.unit_f = float(spec.vol_unit)
        self.trade_size = spec.volume_per_minute / 400.0
        self.last_t = self.mark_t = max(1, round(float(spec.start_price) / self.tick_f))
        self.x = self.m = self.last_t * self.tick_f
        self.lv = LV_STD * self.rng.gauss(0.0, 1.0)
        self.lv_minute = self.bar_minute = start_ms - start_ms % MINUTE_MS
        self.gap_at = next_gap_ms(self.rng, start_ms, gaps_per_day)
        self.bars = MinuteBars(self.bar_minute, spec.tick, spec.vol_unit)
        self.bars.open_minute(self.bar_minute, self.last_t)
        self.history: MinutePath | None = None
        self.gaps: list[Gap] = []
        self.phase: Phase | None = None
        self.phase_until = 0
        self.visible = True


class MarketSimulator:
    """Implements ``MarketSource`` with the model in ``market.model``.

    ``gaps_per_day`` is the Poisson rate of gaps per symbol (BTC's gaps also
    reach the others through their beta). History covers whole UTC days
    before ``start_ms`` (at least ``history_hours``) and is built per symbol
    on its first klines request.
    """

    def __init__(self, symbols: list[str] | None = None, seed: int = 7,
                 start_ms: int | None = None, history_hours: int = 300, tick_ms: int = 1000,
                 *, gaps_per_day: float = 1.0, mark_smoothing_ms: int = MARK_SMOOTHING_MS) -> None:
        names = list(DEFAULT_MARKET_SYMBOLS if symbols is None else symbols)
        if not names:
            raise ValueError("at least one symbol is needed")
        if len(set(names)) != len(names):
            raise ValueError("symbols must not repeat")
        if not isinstance(history_hours, int) or history_hours < 1:
            raise ValueError("history_hours must be a positive integer")
        if not isinstance(tick_ms, int) or not 1 <= tick_ms <= MINUTE_MS:
            raise ValueError(f"tick_ms must be an integer in [1, {MINUTE_MS}]")
        if not gaps_per_day >= 0:
            raise ValueError("gaps_per_day must be >= 0")
        if mark_smoothing_ms < 0:
            raise ValueError("mark_smoothing_ms must be >= 0")
        self.seed = seed
        self.tick_ms = tick_ms
        self.gaps_per_day = float(gaps_per_day)
        self.start_ms = DEFAULT_START_MS if start_ms is None else int(start_ms)
        live_minute = self.start_ms - self.start_ms % MINUTE_MS
        first = live_minute - history_hours * HOUR_MS
        self.history_start_ms = first - first % DAY_MS
        self._minutes = (live_minute - self.history_start_ms) // MINUTE_MS
        self._mark_tau = mark_smoothing_ms
        self._lock = threading.RLock()
        self._symbols = names
        self._states = {n: _Live(market_spec(n, seed), seed, self.start_ms, self.gaps_per_day)
                        for n in names}
        driver = self._states.get(DRIVER)
        if driver is None:
            driver = _Live(market_spec(DRIVER, seed), seed, self.start_ms, self.gaps_per_day)
            driver.visible = False
        self._driver = driver
        self._alts = [s for n, s in self._states.items() if n != DRIVER]
        self._driver_path = driver_history(
            driver.spec, random.Random(f"{seed}:{DRIVER}:history"), self.history_start_ms,
            self._minutes, self.gaps_per_day)
        driver.history = self._driver_path
        driver.phase = self._driver_path.end_phase
        driver.phase_until = self._driver_path.end_phase_until_ms
        driver.lv = self._driver_path.end_lv
        self._phase_log: list[tuple[int, Phase]] = list(self._driver_path.phases)
        self._now = self.start_ms
        self._next_step = self.start_ms + tick_ms
        self._pending: list[Tick] = []

    # --- MarketSource ---
    def symbols(self) -> list[str]:
        return list(self._symbols)

    def advance_to(self, now_ms: int) -> list[Tick]:
        with self._lock:
            out, self._pending = self._pending, []
            self._advance(int(now_ms), out)
            return out

    def last_price(self, symbol: str) -> Decimal:
        with self._lock:
            st = self._state(symbol)
            return Decimal(st.last_t) * st.spec.tick

    def mark_price(self, symbol: str) -> Decimal:
        with self._lock:
            st = self._state(symbol)
            return Decimal(st.mark_t) * st.spec.tick

    def klines(self, symbol: str, interval: str, start_ms: int | None = None,
               end_ms: int | None = None, limit: int = 500) -> list[Candle]:
        interval_ms(interval)
        check_limit(limit)
        with self._lock:
            st = self._state(symbol)
            self._ensure_history(st)
            return st.bars.klines(interval, start_ms, end_ms, limit)

    def set_price(self, symbol: str, price: Decimal, now_ms: int,
                  mark: Decimal | None = None) -> Tick:
        with self._lock:
            st = self._state(symbol)
            last_t = self._to_ticks(st, price, "price")
            mark_t = last_t if mark is None else self._to_ticks(st, mark, "mark")
            self._advance(int(now_ms), self._pending)
            t = max(int(now_ms), self._now)
            st.gaps.append(Gap(st.spec.symbol, t, math.log(last_t / st.last_t), forced=True))
            st.last_t, st.mark_t = last_t, mark_t
            st.x, st.m = last_t * st.tick_f, mark_t * st.tick_f
            self._record(st, t, last_t, 0, 0, True)
            tick = Tick(st.spec.symbol, t, Decimal(last_t) * st.spec.tick,
                        Decimal(mark_t) * st.spec.tick)
            self._pending.append(tick)
            log.info("[PAPER] Price of %s set to %s (mark %s)", st.spec.symbol, tick.last,
                     tick.mark)
            return tick

    # --- inspection (tests, demos, the dashboard's paper panel) ---
    def spec(self, symbol: str) -> MarketSpec:
        return self._state(symbol).spec

    def gaps(self, symbol: str) -> list[Gap]:
        """Every gap of ``symbol``: in its history, live, and those made by set_price."""
        with self._lock:
            st = self._state(symbol)
            self._ensure_history(st)
            assert st.history is not None
            return list(st.history.gaps) + list(st.gaps)

    def phases(self) -> list[tuple[int, Phase]]:
        """BTC's trend phases as (start_ms, phase), history and live."""
        with self._lock:
            return list(self._phase_log)

    @property
    def now_ms(self) -> int:
        return self._now

    # --- internals ---
    def _state(self, symbol: str) -> _Live:
        st = self._states.get(symbol)
        if st is None:
            raise UnknownSymbolError(symbol)
        return st

    @staticmethod
    def _to_ticks(st: _Live, value: Decimal, what: str) -> int:
        try:
            units = Decimal(value) / st.spec.tick
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError(f"{what} {value!r} is not a number") from None
        if not units.is_finite() or units < Decimal("0.5"):
            raise ValueError(f"{what} {value} must be at least one tick ({st.spec.tick})")
        return int(units.to_integral_value())

    def _ensure_history(self, st: _Live) -> None:
        if len(st.bars) and st.bars.base_ms == self.history_start_ms:
            return
        if st.history is None:
            st.history = alt_history(
                st.spec, random.Random(f"{self.seed}:{st.spec.symbol}:history"),
                self.history_start_ms, self._driver_path, self.gaps_per_day)
        bars = history_bars(st.spec, random.Random(f"{self.seed}:{st.spec.symbol}:bars"),
                            self.history_start_ms, st.history)
        st.bars.prepend(bars)

    def _advance(self, now_ms: int, out: list[Tick]) -> None:
        if now_ms <= self._now:
            return
        if now_ms - self._now > FINE_CATCHUP_MS:
            target = now_ms - FINE_CATCHUP_MS
            log.info("[PAPER] Market far behind (%d s): catching up minute by minute",
                     (now_ms - self._now) // 1000)
            t = self._now
            while t + MINUTE_MS <= target:
                t += MINUTE_MS
                self._step(t, MINUTE_MS, out)
            self._now = t
            self._next_step = t + self.tick_ms
        step = self.tick_ms
        t = self._next_step
        while t <= now_ms:
            self._step(t, step, out)
            t += step
        self._next_step = t
        self._now = now_ms

    def _step(self, t: int, dt_ms: int, out: list[Tick]) -> None:
        dt_h = dt_ms / HOUR_MS
        sq = math.sqrt(dt_h)
        alpha = 1.0 if self._mark_tau == 0 else 1.0 - math.exp(-dt_ms / self._mark_tau)
        minute = t - t % MINUTE_MS
        d = self._driver
        if t >= d.phase_until:
            d.phase = next_phase(d.rng, d.phase)  # type: ignore[arg-type]
            d.phase_until = t + phase_duration_ms(d.rng, d.phase)
            self._phase_log.append((t, d.phase))
        if minute != d.lv_minute:
            d.lv = evolve_lv(d.rng, d.lv, (minute - d.lv_minute) // MINUTE_MS)
            d.lv_minute = minute
        params = PHASES[d.phase]  # type: ignore[index]
        z = d.rng.gauss(0.0, 1.0)
        r_btc = params.drift_per_hour * dt_h + params.vol_per_hour * math.exp(d.lv) * sq * z
        if t >= d.gap_at:
            r_btc += self._gap(d, t, d.phase)
        self._move(d, t, r_btc, z, alpha, dt_ms, out)
        for st in self._alts:
            if minute != st.lv_minute:
                st.lv = evolve_lv(st.rng, st.lv, (minute - st.lv_minute) // MINUTE_MS)
                st.lv_minute = minute
            z = st.rng.gauss(0.0, 1.0)
            spec = st.spec
            r = spec.beta * r_btc + spec.idio_vol_per_hour * math.exp(st.lv) * sq * z
            if t >= st.gap_at:
                r += self._gap(st, t, None)
            self._move(st, t, r, z, alpha, dt_ms, out)

    def _gap(self, st: _Live, t: int, phase: Phase | None) -> float:
        g = gap_size(st.rng, st.spec, phase)
        st.gaps.append(Gap(st.spec.symbol, t, g))
        st.gap_at = next_gap_ms(st.rng, t, self.gaps_per_day)
        return g

    def _move(self, st: _Live, t: int, r: float, z: float, alpha: float, dt_ms: int,
              out: list[Tick]) -> None:
        st.x *= math.exp(r)
        st.m += alpha * (st.x - st.m)
        last_t = max(1, round(st.x / st.tick_f))
        mark_t = max(1, round(st.m / st.tick_f))
        coins = st.spec.volume_per_minute * dt_ms / MINUTE_MS * math.exp(st.lv) * (
            0.4 + 0.75 * abs(z))
        volume = max(1, round(coins / st.unit_f))
        self._record(st, t, last_t, volume, max(1, int(coins / st.trade_size)), r >= 0)
        if st.visible and (last_t != st.last_t or mark_t != st.mark_t):
            tick = st.spec.tick
            out.append(Tick(st.spec.symbol, t, Decimal(last_t) * tick, Decimal(mark_t) * tick))
        st.last_t, st.mark_t = last_t, mark_t

    @staticmethod
    def _record(st: _Live, t: int, last_t: int, volume: int, trades: int, buy: bool) -> None:
        minute = t - t % MINUTE_MS
        if minute != st.bar_minute:
            st.bars.open_minute(minute, last_t)
            st.bar_minute = minute
        st.bars.trade(last_t, volume, trades, buy)
