"""Where the bot's own signals come from.

``Strategy`` is the seam: anything with ``scan(symbol, klines) -> Signal | None``.
The default, ``TrendFollowingStrategy``, enters in the direction of the EMA
trend on closed candles, only when ADX says the market moves directionally:

- trigger on the last closed candle: the fast EMA crosses the slow one, or the
  close breaks out of the previous ``breakout`` candles' range (a fresh
  breakout: the candle before did not) on the side the EMAs point to;
  LONG above, SHORT below; nothing when ADX < ``adx_min`` (chop);
- stop = close -/+ ATR x ``atr_mult`` (volatility-sized, so sizing risks the same
  money on quiet and wild symbols); target = ``r_multiple`` x the stop distance;
- confidence = ADX / 50, capped at 1 (ADX 42.5 is the 0.85 that can earn a short
  its exception to the uptrend block).

It is deterministic: the same candles give the same signal, and a candle that
has already produced a signal never produces a second one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from bot.decisions.indicators import adx, ema
from bot.decisions.ports import KlinesProvider
from bot.decisions.regime import closed_only
from bot.domain import Direction, Kline, Signal
from bot.domain.ports import Clock
from bot.protection.stop_policy import StopMode, StopPolicy, atr_of
from bot.settings import Settings

log = logging.getLogger(__name__)


class Strategy(Protocol):
    name: str

    def scan(self, symbol: str, klines: Sequence[Kline]) -> Signal | None:
        """A signal from the latest closed candle, or None."""


@dataclass(frozen=True)
class TrendParams:
    interval: str = "15m"
    fast: int = 9
    slow: int = 21
    adx_period: int = 14
    adx_min: float = 20.0
    atr_period: int = 14
    atr_mult: float = 2.0
    r_multiple: float | None = 2.0
    breakout: int = 20  # 0 turns breakouts off: EMA crosses only

    def __post_init__(self) -> None:
        if not 1 <= self.fast < self.slow:
            raise ValueError(f"strategy EMAs need 1 <= fast < slow, got {self.fast}/{self.slow}")
        if self.atr_mult <= 0 or (self.r_multiple is not None and self.r_multiple <= 0):
            raise ValueError("atr_mult and r_multiple must be > 0")
        if self.breakout < 0:
            raise ValueError("breakout lookback must be >= 0")

    @classmethod
    def from_settings(cls, settings: Settings) -> TrendParams:
        """Candle interval and stop distance follow the operator's settings."""
        return cls(interval=str(settings.strategy_interval),
                   atr_mult=float(settings.stop_atr_mult))

    @property
    def stop_policy(self) -> StopPolicy:
        """The one stop policy, in ATR mode at this strategy's multiple."""
        return StopPolicy(StopMode.ATR, Decimal(str(self.atr_mult)), atr_period=self.atr_period,
                          atr_interval=self.interval)

    @property
    def bars_needed(self) -> int:
        return max(self.slow + 1, 2 * self.adx_period + 1, self.atr_period + 1,
                   self.breakout + 2)

    @property
    def fetch_limit(self) -> int:
        return min(499, self.bars_needed * 4)


class TrendFollowingStrategy:
    name = "trend"

    def __init__(self, params: TrendParams | None = None, clock: Clock | None = None) -> None:
        self.params = params or TrendParams()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._last_bar: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def scan(self, symbol: str, klines: Sequence[Kline]) -> Signal | None:
        p = self.params
        now = self._clock()
        bars = closed_only(klines, now)
        if len(bars) < p.bars_needed:
            return None
        closes = [float(k.close) for k in bars]
        highs = [float(k.high) for k in bars]
        lows = [float(k.low) for k in bars]
        fast, slow = ema(closes, p.fast), ema(closes, p.slow)
        diff_now, diff_before = fast[-1] - slow[-1], fast[-2] - slow[-2]
        if diff_now == 0:
            return None
        direction = Direction.LONG if diff_now > 0 else Direction.SHORT
        crossed = (diff_before <= 0) if direction is Direction.LONG else (diff_before >= 0)
        trigger = "EMA cross" if crossed else None
        if trigger is None and p.breakout and self._fresh_breakout(direction, closes, highs, lows):
            trigger = f"{p.breakout}-bar breakout"
        if trigger is None:
            return None
        strength = adx(highs, lows, closes, p.adx_period) or 0.0
        volatility = atr_of(bars, p.atr_period)
        if strength < p.adx_min or not volatility:
            return None
        last = bars[-1]
        with self._lock:
            if self._last_bar.get(symbol) == last.open_time:
                return None
            self._last_bar[symbol] = last.open_time
        sign = 1 if direction is Direction.LONG else -1
        entry = last.close
        distance = p.stop_policy.distance(entry, volatility)
        stop = entry - sign * distance
        if stop <= 0:
            return None
        target = (entry + sign * distance * _dec(p.r_multiple)) if p.r_multiple else None
        if target is not None and target <= 0:
            target = None
        signal = Signal(
            symbol=symbol, direction=direction, confidence=round(min(1.0, strength / 50), 3),
            source=self.name, created_at=now, stop_price=_dec(stop),
            target_price=_dec(target) if target is not None else None,
            id=f"{self.name}-{symbol}-{int(last.close_time.timestamp() * 1000)}",
        )
        log.info("[STRATEGY] %s %s on %s, EMA%d/%d trend (ADX %.1f): stop %s target %s",
                 direction.value, symbol, trigger, p.fast, p.slow, strength, signal.stop_price,
                 signal.target_price)
        return signal

    def _fresh_breakout(self, direction: Direction, closes: list[float], highs: list[float],
                        lows: list[float]) -> bool:
        n = self.params.breakout

        def breaks(i: int) -> bool:
            if direction is Direction.LONG:
                return closes[i] > max(highs[i - n:i])
            return closes[i] < min(lows[i - n:i])

        last = len(closes) - 1
        return breaks(last) and not breaks(last - 1)


def scan_symbols(
    strategy: Strategy, symbols: Iterable[str], klines_provider: KlinesProvider,
    intake: Callable[[Signal], str], interval: str, limit: int,
) -> list[str]:
    """The strategy job: scan each symbol, queue what it finds; one bad symbol skips only itself."""
    queued: list[str] = []
    for symbol in symbols:
        try:
            signal = strategy.scan(symbol, klines_provider(symbol, interval, limit))
            if signal is not None:
                queued.append(intake(signal))
        except Exception as exc:  # a failed read or a full queue must not stop the others
            log.warning("[STRATEGY] Scan of %s skipped: %s", symbol, exc)
    return queued


def _dec(value: float | Decimal) -> Decimal:
    return Decimal(f"{value:.10g}")
