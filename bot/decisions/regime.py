"""Market regime: is the market (BTCUSDT) or one symbol trending up, down, or neither?

The global regime gates shorts (the uptrend short block); the same
classification on a symbol's own candles is its local trend, which can grant
the rare exception. A trend needs three things to agree: the fast EMA on the
right side of the slow one, the slow EMA actually sloping that way, and ADX
saying the move is directional rather than noise.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from bot.decisions.indicators import adx, ema, slope_pct
from bot.decisions.ports import KlinesProvider, RegimeLog
from bot.domain import Event, EventKind, Kline, Regime, RegimeView
from bot.domain.ports import Clock, EventSink
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegimeParams:
    interval: str = "1h"
    fast: int = 50
    slow: int = 200
    adx_min: float = 20.0
    adx_period: int = 14
    slope_lookback: int = 10
    refresh_s: float = 60.0  # the regime job's period

    def __post_init__(self) -> None:
        if self.refresh_s <= 0:
            raise ValueError(f"regime refresh_s must be > 0, got {self.refresh_s}")
        if not 1 <= self.fast < self.slow:
            raise ValueError(f"regime EMAs need 1 <= fast < slow, got {self.fast}/{self.slow}")
        if not 0 <= self.adx_min <= 100:
            raise ValueError(f"regime adx_min must be in [0, 100], got {self.adx_min}")

    @classmethod
    def from_settings(cls, settings: Settings) -> RegimeParams:
        return cls(str(settings.regime_interval), int(settings.regime_fast),
                   int(settings.regime_slow), float(settings.regime_adx_min),
                   refresh_s=float(settings.regime_refresh_s))

    @property
    def max_age_s(self) -> float:
        """Two missed refreshes: one late job is noise, two mean the regime is not being kept."""
        return 2 * self.refresh_s

    @property
    def bars_needed(self) -> int:
        return max(self.slow + self.slope_lookback, 2 * self.adx_period + 1)

    @property
    def fetch_limit(self) -> int:
        """Enough bars for the slow EMA to forget its seed, within one cheap klines request."""
        return min(1000, self.bars_needed + self.slow // 2 + 1)


def classify_regime(
    klines: Sequence[Kline], fast: int, slow: int, adx_min: float,
    computed_at: datetime | None = None, adx_period: int = 14, slope_lookback: int = 10,
) -> RegimeView:
    """Classify closed candles; too few candles is SIDEWAYS (no trend proven), never an error."""
    p = RegimeParams(fast=fast, slow=slow, adx_min=adx_min, adx_period=adx_period,
                     slope_lookback=slope_lookback)
    at = computed_at or (klines[-1].close_time if klines else None)
    if len(klines) < p.bars_needed:
        return RegimeView(Regime.SIDEWAYS, at, {"bars": float(len(klines)),
                                                "bars_needed": float(p.bars_needed)})
    closes = [float(k.close) for k in klines]
    highs = [float(k.high) for k in klines]
    lows = [float(k.low) for k in klines]
    fast_line = ema(closes, p.fast)
    slow_line = ema(closes, p.slow)
    slope = slope_pct(slow_line, p.slope_lookback) or 0.0
    strength = adx(highs, lows, closes, p.adx_period) or 0.0
    inputs = {
        "close": closes[-1],
        "ema_fast": fast_line[-1],
        "ema_slow": slow_line[-1],
        "slope_pct": slope,
        "adx": strength,
        "adx_min": float(p.adx_min),
    }
    regime = Regime.SIDEWAYS
    if strength >= p.adx_min:
        if fast_line[-1] > slow_line[-1] and slope > 0:
            regime = Regime.UPTREND
        elif fast_line[-1] < slow_line[-1] and slope < 0:
            regime = Regime.DOWNTREND
    return RegimeView(regime, at, inputs)


def local_trend(klines: Sequence[Kline], params: RegimeParams | None = None,
                computed_at: datetime | None = None) -> RegimeView:
    """A symbol's own trend, classified exactly like the global regime."""
    p = params or RegimeParams()
    return classify_regime(klines, p.fast, p.slow, p.adx_min, computed_at=computed_at,
                           adx_period=p.adx_period, slope_lookback=p.slope_lookback)


def closed_only(klines: Sequence[Kline], now: datetime) -> list[Kline]:
    """Drop the candle still forming: decisions on a half-built bar repaint."""
    return [k for k in klines if k.close_time < now]


class TrackerStore(EventSink, RegimeLog, Protocol):
    """What the tracker writes: the regime history and its change events."""


class RegimeTracker:
    """Recomputes the global regime on a schedule and remembers its history.

    A regime is only as good as its last refresh: older than ``params.max_age_s`` (or
    not computed since start) it is unknown, and unknown blocks shorts like an uptrend
    would (``usable``). Age runs on ``monotonic`` (wall time, like the scheduler), not on
    the venue clock, which an accelerated paper venue runs faster than the jobs.
    """

    def __init__(
        self, klines_provider: KlinesProvider, store: TrackerStore | None = None,
        params: RegimeParams | None = None, symbol: str = "BTCUSDT",
        clock: Clock | None = None, history_size: int = 500,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._klines = klines_provider
        self._store = store
        self.params = params or RegimeParams()
        self.symbol = symbol
        self._clock = clock or (lambda: datetime.now(UTC))
        self._mono = monotonic
        self._started = monotonic()
        self._fresh_at: float | None = None  # monotonic time of the last successful refresh
        self._stale_reported = False
        self._history: deque[RegimeView] = deque(maxlen=history_size)
        self._lock = threading.Lock()
        if store is not None:  # a restart continues the history instead of "changing" regime
            self._history.extend(store.regime_history(history_size))

    @property
    def current(self) -> RegimeView | None:
        """The latest regime, stamped with its age and whether it is stale."""
        with self._lock:
            view = self._history[-1] if self._history else None
            age = self._age()
        if view is None:
            return None
        return replace(view, age_s=age, stale=age is None or age > self.params.max_age_s)

    def usable(self) -> RegimeView | None:
        """The regime a decision may use: None (unknown) when stale or never computed; the
        first such read of a stale period also raises the REGIME_STALE red flag."""
        view = self.current
        if view is not None and not view.stale:
            return view
        self.check_stale()
        return None

    def check_stale(self) -> bool:
        """True while the regime is unknown; records REGIME_STALE once per stale period, as
        soon as the tracker has had ``max_age_s`` to compute one (not at boot)."""
        max_age = self.params.max_age_s
        with self._lock:
            age = self._age()
            if age is not None and age <= max_age:
                return False
            since = self._fresh_at if self._fresh_at is not None else self._started
            if self._stale_reported or self._mono() - since <= max_age:
                return True
            self._stale_reported = True
            last = self._history[-1].computed_at if self._history else None
        shown = f"{age:.0f} s old" if age is not None else "not computed since start"
        message = f"global regime {shown} (limit {max_age:.0f} s): shorts denied until fresh"
        log.warning("[REGIME] STALE: %s", message)
        if self._store is not None:
            self._store.append(Event(
                EventKind.REGIME_STALE, self._clock(), self.symbol, message=message,
                details={"age_s": age, "max_age_s": max_age,
                         "last_computed_at": last.isoformat() if last else None}))
        return True

    def _age(self) -> float | None:
        return None if self._fresh_at is None else max(0.0, self._mono() - self._fresh_at)

    def history(self) -> tuple[RegimeView, ...]:
        with self._lock:
            return tuple(self._history)

    def refresh(self) -> RegimeView:
        """One scheduled run: classify, keep, record, and announce a change."""
        view = self._classify(self.symbol)
        with self._lock:
            previous = self._history[-1].regime if self._history else None
            self._history.append(view)
            self._fresh_at = self._mono()
            was_stale, self._stale_reported = self._stale_reported, False
        if was_stale:
            log.info("[REGIME] Fresh again: %s", view.regime.value)
        if self._store is not None:
            self._store.record_regime(view)
        if previous is not view.regime:
            log.info("[REGIME] Global regime %s -> %s (ADX %.1f)", previous or "unknown",
                     view.regime.value, view.inputs.get("adx", 0.0))
            if self._store is not None:
                self._store.append(Event(
                    EventKind.REGIME_CHANGED, view.computed_at or self._clock(), self.symbol,
                    message=f"{previous or 'unknown'} -> {view.regime.value}",
                    details={"from": previous.value if previous else None,
                             "to": view.regime.value, "inputs": dict(view.inputs)},
                ))
        return view

    def local_trend(self, symbol: str) -> RegimeView:
        """The same classification on one symbol's own candles."""
        return self._classify(symbol)

    def _classify(self, symbol: str) -> RegimeView:
        now = self._clock()
        bars = closed_only(self._klines(symbol, self.params.interval, self.params.fetch_limit), now)
        return local_trend(bars, self.params, computed_at=now)
