"""The price model: BTC in Markov-switching trend phases, every other symbol beta * BTC + noise.

Log returns per step of ``dt`` hours are ``drift(phase) * dt + vol * exp(lv) *
sqrt(dt) * z``, where ``lv`` is a mean-reverting log-volatility (Ornstein-
Uhlenbeck, updated once a minute) that gives volatility clustering, plus
Poisson gaps. Floats are fine here: the model is a random walk, and every
price leaves it snapped to the symbol's tick as an integer number of ticks.

History is generated at 1-minute resolution and anchored so that its last
close is the symbol's start price; the live path starts from that same price
with its own random stream. So an alt's history can be built lazily (on the
first klines request) without changing its live path.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import StrEnum

from bot.paper.market.bars import MinuteBars
from bot.paper.market.specs import MarketSpec
from bot.paper.market.types import DAY_MS, HOUR_MS, MINUTE_MS


class Phase(StrEnum):
    UP = "UP"
    DOWN = "DOWN"
    SIDEWAYS = "SIDEWAYS"


@dataclass(frozen=True)
class PhaseParams:
    drift_per_hour: float
    vol_per_hour: float
    mean_hours: float


PHASES: dict[Phase, PhaseParams] = {
    Phase.UP: PhaseParams(0.0018, 0.0055, 30.0),
    Phase.DOWN: PhaseParams(-0.0020, 0.0065, 26.0),
    Phase.SIDEWAYS: PhaseParams(0.0, 0.0040, 20.0),
}
_NEXT: dict[Phase, tuple[tuple[Phase, float], ...]] = {
    Phase.UP: ((Phase.SIDEWAYS, 0.6), (Phase.DOWN, 0.4)),
    Phase.DOWN: ((Phase.SIDEWAYS, 0.6), (Phase.UP, 0.4)),
    Phase.SIDEWAYS: ((Phase.UP, 0.5), (Phase.DOWN, 0.5)),
}
MIN_PHASE_HOURS = 4.0
MAX_GAP = 0.08
LV_KAPPA_PER_HOUR = 0.5
LV_STD = 0.35
_LV_DECAY = math.exp(-LV_KAPPA_PER_HOUR / 60.0)


@dataclass(frozen=True)
class Gap:
    """A jump of the model (or a ``set_price``): at ``time_ms``, a log return of ``log_return``."""

    symbol: str
    time_ms: int
    log_return: float
    forced: bool = False


def next_phase(rng: random.Random, phase: Phase) -> Phase:
    u = rng.random()
    for candidate, p in _NEXT[phase]:
        if u < p:
            return candidate
        u -= p
    return _NEXT[phase][-1][0]


def phase_duration_ms(rng: random.Random, phase: Phase) -> int:
    extra = rng.expovariate(1.0 / (PHASES[phase].mean_hours - MIN_PHASE_HOURS))
    return int((MIN_PHASE_HOURS + extra) * HOUR_MS) // MINUTE_MS * MINUTE_MS


def evolve_lv(rng: random.Random, lv: float, minutes: int) -> float:
    """Exact OU step over ``minutes``: clustering without a GARCH recursion per tick."""
    decay = _LV_DECAY ** minutes
    return lv * decay + LV_STD * math.sqrt(1.0 - decay * decay) * rng.gauss(0.0, 1.0)


def gap_size(rng: random.Random, spec: MarketSpec, phase: Phase | None) -> float:
    down_bias = {Phase.DOWN: 0.65, Phase.UP: 0.35}.get(phase, 0.5) if phase else 0.5
    sign = -1.0 if rng.random() < down_bias else 1.0
    return sign * min(MAX_GAP, spec.jump_scale * (0.5 + rng.expovariate(1.0)))


def next_gap_ms(rng: random.Random, now_ms: int, gaps_per_day: float) -> int:
    if gaps_per_day <= 0:
        return 1 << 62
    return now_ms + max(MINUTE_MS, int(rng.expovariate(gaps_per_day / DAY_MS)))


@dataclass
class MinutePath:
    """A generated history: per-minute log returns and volatilities, and where it ended."""

    returns: list[float]
    sigmas: list[float]
    gaps: list[Gap]
    phases: list[tuple[int, Phase]]  # (start_ms, phase), driver only
    end_phase: Phase | None
    end_phase_until_ms: int
    end_lv: float


def driver_phases(rng: random.Random, t0: int, t1: int) -> list[tuple[int, Phase]]:
    """A phase timeline over [t0, t1) that indicators can read as trends.

    Redrawn (from the same seeded stream) until the last five days hold at
    least 20 h of up-trend and 20 h of down-trend and the whole span is
    roughly balanced, so an EMA-200-on-1h detector meets both regimes right
    after start and prices stay in a plausible range.
    """
    timeline: list[tuple[int, Phase]] = []
    recent = max(t0, t1 - 120 * HOUR_MS)
    for _ in range(500):
        timeline = []
        t, phase = t0, rng.choice(list(Phase))
        while t < t1:
            timeline.append((t, phase))
            t += phase_duration_ms(rng, phase)
            phase = next_phase(rng, phase)
        timeline.append((t, phase))  # the phase live trading continues in, and when it began
        spans = {p: 0 for p in Phase}
        late = {p: 0 for p in Phase}
        for (start, p), (end, _) in zip(timeline, timeline[1:], strict=False):
            spans[p] += max(0, min(end, t1) - start)
            late[p] += max(0, min(end, t1) - max(start, recent))
        if (late[Phase.UP] >= 20 * HOUR_MS and late[Phase.DOWN] >= 20 * HOUR_MS
                and abs(spans[Phase.UP] - spans[Phase.DOWN]) <= (t1 - t0) // 5):
            break
    return timeline


def driver_history(spec: MarketSpec, rng: random.Random, t0: int, minutes: int,
                   gaps_per_day: float) -> MinutePath:
    """BTC's history, redrawn from the same stream until its hourly closes show both trends.

    Phases alone do not guarantee it (noise can hide a 20-hour drift), so the
    realised path is checked: after an EMA-200 warm-up, hours above and below
    the 1h EMA 200 by 1% (and on the same side of the EMA 50), and no more
    than a 60% range overall.
    """
    path = _driver_attempt(spec, rng, t0, minutes, gaps_per_day)
    for _ in range(100):
        if _shows_trends(path.returns):
            break
        path = _driver_attempt(spec, rng, t0, minutes, gaps_per_day)
    return path


def _shows_trends(returns: list[float]) -> bool:
    """Whether a trend reader on 1h closes (EMA 50/200) would see both regimes after warm-up."""
    hours = len(returns) // 60
    if hours < 48:
        return True
    level, closes = 0.0, []
    for h in range(hours):
        level += math.fsum(returns[h * 60:(h + 1) * 60])
        closes.append(math.exp(level))
    if max(closes) / min(closes) > 1.6:
        return False
    fast, slow = closes[0], closes[0]
    up = down = 0
    warm = min(200, hours * 2 // 3)
    for i, c in enumerate(closes):
        fast += (c - fast) * 2.0 / 51.0
        slow += (c - slow) * 2.0 / 201.0
        if i >= warm:
            up += c > slow * 1.01 and c > fast
            down += c < slow * 0.99 and c < fast
    need = max(4, (hours - warm) // 12)
    return up >= need and down >= need


def _driver_attempt(spec: MarketSpec, rng: random.Random, t0: int, minutes: int,
                    gaps_per_day: float) -> MinutePath:
    t1 = t0 + minutes * MINUTE_MS
    timeline = driver_phases(rng, t0, t1)
    returns: list[float] = []
    sigmas: list[float] = []
    gaps: list[Gap] = []
    lv = LV_STD * rng.gauss(0.0, 1.0)
    gap_at = next_gap_ms(rng, t0, gaps_per_day)
    gauss, sqrt60 = rng.gauss, math.sqrt(60.0)
    k = 0
    for i in range(minutes):
        t = t0 + i * MINUTE_MS
        while t >= timeline[k + 1][0]:
            k += 1
        phase = timeline[k][1]
        params = PHASES[phase]
        lv = evolve_lv(rng, lv, 1)
        sigma = params.vol_per_hour * math.exp(lv) / sqrt60
        r = params.drift_per_hour / 60.0 + sigma * gauss(0.0, 1.0)
        if t >= gap_at:
            g = gap_size(rng, spec, phase)
            gaps.append(Gap(spec.symbol, t, g))
            r += g
            gap_at = next_gap_ms(rng, t, gaps_per_day)
        returns.append(r)
        sigmas.append(sigma)
    # The phase running at t1 goes on into live trading until its drawn end.
    last_start, last_phase = timeline[k]
    end = timeline[k + 1][0]
    return MinutePath(returns, sigmas, gaps, timeline[: k + 1], last_phase, max(end, t1), lv)


def alt_history(spec: MarketSpec, rng: random.Random, t0: int, driver: MinutePath,
                gaps_per_day: float) -> MinutePath:
    """Beta times BTC's minute returns plus the symbol's own clustered noise and gaps.

    Written as one tight loop (locals only): a 200-symbol market builds ~3.7
    million of these minutes.
    """
    n = len(driver.returns)
    gauss, exp, sqrt = rng.gauss, math.exp, math.sqrt
    decay, shock = _LV_DECAY, LV_STD * math.sqrt(1.0 - _LV_DECAY * _LV_DECAY)
    lv = LV_STD * gauss(0.0, 1.0)
    own = spec.idio_vol_per_hour / math.sqrt(60.0)
    beta = spec.beta
    gaps: list[Gap] = []
    gap_idx = _gap_index(next_gap_ms(rng, t0, gaps_per_day), t0)
    returns = [0.0] * n
    sigmas = [0.0] * n
    for i, rb in enumerate(driver.returns):
        lv = lv * decay + shock * gauss(0.0, 1.0)
        s_own = own * exp(lv)
        r = beta * rb + s_own * gauss(0.0, 1.0)
        if i >= gap_idx:
            t = t0 + i * MINUTE_MS
            g = gap_size(rng, spec, None)
            gaps.append(Gap(spec.symbol, t, g))
            r += g
            gap_idx = _gap_index(next_gap_ms(rng, t, gaps_per_day), t0)
        returns[i] = r
        sb = beta * driver.sigmas[i]
        sigmas[i] = sqrt(sb * sb + s_own * s_own)
    return MinutePath(returns, sigmas, gaps, [], None, 0, lv)


def _gap_index(gap_ms: int, t0: int) -> int:
    return -(-(gap_ms - t0) // MINUTE_MS)


def history_bars(spec: MarketSpec, rng: random.Random, t0: int, path: MinutePath) -> MinuteBars:
    """Turn a minute path into bars whose last close is exactly the start price."""
    tick_f = float(spec.tick)
    anchor = float(spec.start_price)
    bars = MinuteBars(t0, spec.tick, spec.vol_unit)
    level = math.log(anchor) - math.fsum(path.returns)
    prev = max(1, round(math.exp(level) / tick_f))
    per_unit = spec.volume_per_minute / float(spec.vol_unit)
    units_per_trade = per_unit / 400.0
    rand, exp = rng.random, math.exp
    gap_minutes = {(g.time_ms - t0) // MINUTE_MS for g in path.gaps}
    o_, h_, l_, c_, v_, q_, n_, tb_, tq_ = (bars.o, bars.h, bars.l, bars.c, bars.v, bars.q,
                                            bars.n, bars.tb, bars.tq)
    for i, r in enumerate(path.returns):
        s = path.sigmas[i]
        level += r
        o = prev
        c = round(exp(level) / tick_f) or 1
        if o >= c:
            h = max(o, round(o * (1.0 + rand() * 1.1 * s)))
            low = min(c, round(c * (1.0 - rand() * 1.1 * s))) or 1
        else:
            h = max(c, round(c * (1.0 + rand() * 1.1 * s)))
            low = min(o, round(o * (1.0 - rand() * 1.1 * s))) or 1
        v = round(per_unit * (s * 1428.0) ** 0.5 * (0.45 + 1.1 * rand())) or 1
        if i in gap_minutes:
            v *= 3
        share = 0.5 + r / (4.0 * s) + 0.05 * (rand() - 0.5)
        tb = round(v * (0.1 if share < 0.1 else 0.9 if share > 0.9 else share))
        typical = (o + h + low + c) >> 2
        o_.append(o)
        h_.append(h)
        l_.append(low)
        c_.append(c)
        v_.append(v)
        q_.append(v * typical)
        n_.append(int(v / units_per_trade) or 1)
        tb_.append(tb)
        tq_.append(tb * typical)
        prev = c
    c_[-1] = max(1, round(anchor / tick_f))
    h_[-1] = max(h_[-1], c_[-1])
    l_[-1] = min(l_[-1], c_[-1])
    return bars
