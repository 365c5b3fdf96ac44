"""Shared helpers for the market tests: an EMA, log returns, correlation, a CSV writer."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from pathlib import Path

from bot.paper.market import Candle

MINUTE = 60_000
HOUR = 3_600_000
START = 1_767_225_600_000  # 2026-01-01T00:00Z
FEB_1 = 1_769_904_000_000  # 2026-02-01T00:00Z
SEVEN = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "ATOMUSDT", "ICXUSDT"]


def ema(values: list[float], n: int) -> list[float]:
    out, e = [], values[0]
    for v in values:
        e += (v - e) * 2.0 / (n + 1)
        out.append(e)
    return out


def log_returns(candles: list[Candle]) -> list[float]:
    return [math.log(b.close / a.close) for a, b in zip(candles, candles[1:], strict=False)]


def correlation(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = sum((x - mx) ** 2 for x in xs)
    vy = sum((y - my) ** 2 for y in ys)
    return cov / math.sqrt(vx * vy)


def kline_rows(start_ms: int, minutes: int, price: str, seed: int = 1,
               micros: bool = False) -> list[list[str]]:
    """Binance-format 1m rows of a small random walk (prices with 2 decimals)."""
    rng = random.Random(seed)
    rows, p = [], Decimal(price)
    cent = Decimal("0.01")
    for i in range(minutes):
        t = start_ms + i * MINUTE
        o = p
        c = max(cent, (o * Decimal(str(1 + rng.gauss(0, 0.002)))).quantize(cent))
        h = max(o, c) + Decimal(rng.randint(0, 30)) * cent
        low = max(cent, min(o, c) - Decimal(rng.randint(0, 30)) * cent)
        v = Decimal(rng.randint(1, 5000)).scaleb(-3)
        q = (v * c).quantize(Decimal("0.00001"))
        tb = (v / 2).quantize(Decimal("0.001"))
        tq = (tb * c).quantize(Decimal("0.00001"))
        stamp = t * 1000 if micros else t
        close = (t + MINUTE - 1) * (1000 if micros else 1) + (999 if micros else 0)
        rows.append([str(stamp), str(o), str(h), str(low), str(c), str(v), str(close), str(q),
                     str(rng.randint(1, 300)), str(tb), str(tq), "0"])
        p = c
    return rows


HEADER = ["open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume",
          "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore"]


def write_csv(path: Path, rows: list[list[str]], header: bool) -> Path:
    lines = ([",".join(HEADER)] if header else []) + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
