"""What the shorts the regime blocked would have made.

Each blocked short is entered at the price standing when it was denied (the
open of that bar: the mark the decision read), with the signal's stop and
target, and walked over the following bars exactly as the venue plays them
(open, then the first and second extreme, then the close): the first price at or
beyond the stop exits at that price (a gap fills beyond the stop), the first at
or beyond the target exits there. Sized like the bot (risk share of equity over
the stop distance), taker fees on both sides; no slippage, no position limits.
A short still open when the data ends is marked at the last close.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.paper.market.csv_files import KlineFile, iter_rows

MINUTE_MS = 60_000
TAKER_FEE = 0.0004


@dataclass(frozen=True)
class BlockedShort:
    symbol: str
    at_ms: int  # when it was denied: a bar's open
    stop: float
    target: float | None
    equity: float
    risk: float  # QT_RISK_PER_TRADE
    entry: float | None = None
    exit: float | None = None
    exit_ms: int | None = None
    outcome: str = "no data"  # stop | target | open at end | no data

    @property
    def r_multiple(self) -> float | None:
        if self.entry is None or self.exit is None or self.stop <= self.entry:
            return None
        return (self.entry - self.exit) / (self.stop - self.entry)

    @property
    def pnl_usdt(self) -> float | None:
        if self.entry is None or self.exit is None or self.stop <= self.entry:
            return None
        qty = self.equity * self.risk / (self.stop - self.entry)
        fees = TAKER_FEE * qty * (self.entry + self.exit)
        return qty * (self.entry - self.exit) - fees


def simulate(shorts: list[BlockedShort], files: Iterable[KlineFile],
             until_ms: int) -> list[BlockedShort]:
    """The shorts of one symbol, walked over that symbol's files (one streaming pass)."""
    pending = sorted(shorts, key=lambda s: s.at_ms)
    done: list[BlockedShort] = []
    live: list[BlockedShort] = []
    last_close: float | None = None
    last_ms = 0
    for f in files:
        if not pending and not live:
            break
        if pending and f.end_ms <= pending[0].at_ms:
            continue
        for row in iter_rows(f.path):
            t = row.open_time
            if t >= until_ms:
                break
            o, h, low, c = (_float(p) for p in row.prices)
            while pending and pending[0].at_ms <= t:
                live.append(replace(pending.pop(0), entry=o, outcome="open at end"))
            rising = c >= o
            phases = (o, low, h, c) if rising else (o, h, low, c)
            still: list[BlockedShort] = []
            for short in live:
                ended = _walk(short, phases, t)
                (done if ended is not short else still).append(ended)
            live = still
            last_close, last_ms = c, t
    for short in live:
        done.append(replace(short, exit=last_close, exit_ms=last_ms))
    return done + pending


def _walk(short: BlockedShort, phases: tuple[float, ...], t: int) -> BlockedShort:
    # the entry bar's open is the entry itself: that phase cannot exit
    start = 1 if short.at_ms == t else 0
    for price in phases[start:]:
        if price >= short.stop:
            return replace(short, exit=price, exit_ms=t, outcome="stop")
        if short.target is not None and price <= short.target:
            return replace(short, exit=price, exit_ms=t, outcome="target")
    return short


def _float(value: tuple[int, int]) -> float:
    digits, decimals = value
    return digits / 10 ** decimals
