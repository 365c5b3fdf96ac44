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
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.decisions.indicators import adx, ema, slope_pct
from bot.decisions.ports import Clock, EventSink, KlinesProvider, RegimeLog
from bot.domain import Event, EventKind, Kline, Regime, RegimeView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegimeParams:
    interval: str = "1h"
    fast: int = 50
    slow: int = 200
    adx_min: float = 20.0
    adx_period: int = 14
    slope_lookback: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.fast < self.slow:
            raise ValueError(f"regime EMAs need 1 <= fast < slow, got {self.fast}/{self.slow}")
        if not 0 <= self.adx_min <= 100:
            raise ValueError(f"regime adx_min must be in [0, 100], got {self.adx_min}")

    @classmethod
    def from_settings(cls, settings: Any) -> RegimeParams:
        return cls(str(settings.regime_interval), int(settings.regime_fast),
                   int(settings.regime_slow), float(settings.regime_adx_min))

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
    """Recomputes the global regime on a schedule and remembers its history."""

    def __init__(
        self, klines_provider: KlinesProvider, store: TrackerStore | None = None,
        params: RegimeParams | None = None, symbol: str = "BTCUSDT",
        clock: Clock | None = None, history_size: int = 500,
    ) -> None:
        self._klines = klines_provider
        self._store = store
        self.params = params or RegimeParams()
        self.symbol = symbol
        self._clock = clock or (lambda: datetime.now(UTC))
        self._history: deque[RegimeView] = deque(maxlen=history_size)
        self._lock = threading.Lock()
        if store is not None:  # a restart continues the history instead of "changing" regime
            self._history.extend(store.regime_history(history_size))

    @property
    def current(self) -> RegimeView | None:
        with self._lock:
            return self._history[-1] if self._history else None

    def history(self) -> tuple[RegimeView, ...]:
        with self._lock:
            return tuple(self._history)

    def refresh(self) -> RegimeView:
        """One scheduled run: classify, keep, record, and announce a change."""
        view = self._classify(self.symbol)
        with self._lock:
            previous = self._history[-1].regime if self._history else None
            self._history.append(view)
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
