"""One symbol's 1-minute bars and their aggregation into every Binance interval.

Bars are parallel lists of integers (prices in ticks, volumes in units) rather
than objects: 300 hours of history for 200 symbols would otherwise cost
millions of Decimals, and ``max``/``min`` over list slices keeps aggregation
of a 1500-candle answer cheap.

Only the newest bar ever changes (``trade``, and the replay's phases, write into
it); the ones before it are final. So a candle whose minutes all lie before the
newest bar, and after ``base_ms``, is final too: the final candles of the last
answer for an interval are kept for the next one. A bot asking for its last 200
fifteen-minute candles every fifteen minutes (a replay does, thousands of times)
would otherwise aggregate 3 000 minutes for the one candle that is new.
"""

from __future__ import annotations

from decimal import Decimal

from bot.paper.market.types import MINUTE_MS, Candle, check_limit, interval_ms


class MinuteBars:
    """Contiguous 1m bars from ``base_ms``; the last one is the open (live) candle."""

    __slots__ = ("base_ms", "tick", "vol_unit", "quote_unit", "precision",
                 "o", "h", "l", "c", "v", "q", "n", "tb", "tq", "_final")

    def __init__(self, base_ms: int, tick: Decimal, vol_unit: Decimal,
                 quote_unit: Decimal | None = None) -> None:
        if base_ms % MINUTE_MS:
            raise ValueError("bars must start on a minute boundary")
        self.base_ms = base_ms
        self.tick = tick
        self.vol_unit = vol_unit
        self.quote_unit = quote_unit if quote_unit is not None else vol_unit * tick
        self.precision = max(0, -tick.as_tuple().exponent)
        self.o: list[int] = []
        self.h: list[int] = []
        self.l: list[int] = []  # noqa: E741
        self.c: list[int] = []
        self.v: list[int] = []
        self.q: list[int] = []
        self.n: list[int] = []
        self.tb: list[int] = []
        self.tq: list[int] = []
        # step -> open_time -> final candle, of the last answer for that step
        self._final: dict[int, dict[int, Candle]] = {}

    def __len__(self) -> int:
        return len(self.c)

    @property
    def last_open_ms(self) -> int:
        """Open time of the newest bar (the live one)."""
        return self.base_ms + (len(self.c) - 1) * MINUTE_MS

    def append(self, o: int, h: int, l: int, c: int, v: int = 0, q: int = 0,  # noqa: E741
               n: int = 0, tb: int = 0, tq: int = 0) -> None:
        self.o.append(o)
        self.h.append(h)
        self.l.append(l)
        self.c.append(c)
        self.v.append(v)
        self.q.append(q)
        self.n.append(n)
        self.tb.append(tb)
        self.tq.append(tq)

    def open_minute(self, minute_ms: int, price: int) -> None:
        """Start the bar of ``minute_ms``; minutes skipped on the way get flat, empty bars."""
        if not self.c:
            self.base_ms = minute_ms
            self.append(price, price, price, price)
            return
        prev = self.c[-1]
        nxt = self.last_open_ms + MINUTE_MS
        while nxt < minute_ms:
            self.append(prev, prev, prev, prev)
            nxt += MINUTE_MS
        self.append(price, price, price, price)

    def trade(self, price: int, volume: int = 0, trades: int = 0, taker_buy: bool = True) -> None:
        """Record a price (and optional volume) into the open bar."""
        if price > self.h[-1]:
            self.h[-1] = price
        if price < self.l[-1]:
            self.l[-1] = price
        self.c[-1] = price
        if volume:
            quote = volume * price
            self.v[-1] += volume
            self.q[-1] += quote
            self.n[-1] += trades
            if taker_buy:
                self.tb[-1] += volume
                self.tq[-1] += quote

    def drop_before(self, ms: int) -> int:
        """Forget the bars that open before ``ms`` (the newest bar always stays): a long
        replay keeps a window, not its whole past. Returns how many were dropped."""
        count = min(max(0, (ms - self.base_ms) // MINUTE_MS), len(self.c) - 1)
        if count > 0:
            for name in ("o", "h", "l", "c", "v", "q", "n", "tb", "tq"):
                del getattr(self, name)[:count]
            self.base_ms += count * MINUTE_MS
            for final in self._final.values():  # a candle cut by the new start is partial now
                for open_time in [t for t in final if t < self.base_ms]:
                    del final[open_time]
        return max(0, count)

    def prepend(self, older: MinuteBars) -> None:
        """Put ``older`` (history ending right before our first bar) in front of our bars."""
        if older.base_ms + len(older) * MINUTE_MS != self.base_ms:
            raise ValueError("history does not end where the live bars begin")
        for name in ("o", "h", "l", "c", "v", "q", "n", "tb", "tq"):
            setattr(self, name, getattr(older, name) + getattr(self, name))
        self.base_ms = older.base_ms
        self._final.clear()

    def klines(self, interval: str, start_ms: int | None, end_ms: int | None,
               limit: int) -> list[Candle]:
        """Aggregate as Binance does: UTC-aligned buckets, open_time within [start, end].

        With a start time the first ``limit`` buckets from it are returned,
        otherwise the last ``limit`` up to the end (or the live candle).
        """
        step = interval_ms(interval)
        check_limit(limit)
        if start_ms is not None and end_ms is not None and start_ms > end_ms:
            raise ValueError("Start time is greater than end time.")
        if not self.c:
            return []
        lo = self.base_ms - self.base_ms % step
        hi = self.last_open_ms - self.last_open_ms % step
        if start_ms is not None:
            lo = max(lo, -(-start_ms // step) * step)
        if end_ms is not None:
            hi = min(hi, end_ms - end_ms % step)
        if lo > hi:
            return []
        count = (hi - lo) // step + 1
        if count > limit:
            if start_ms is not None:
                hi = lo + (limit - 1) * step
            else:
                lo = hi - (limit - 1) * step
        return self._candles(lo, hi, step)

    def _candles(self, lo: int, hi: int, step: int) -> list[Candle]:
        """The candles opening in [lo, hi], the final ones taken from the last answer when it
        had them; this answer's final ones are kept for the next (so memory is one answer's
        worth per interval, whatever the length of the market)."""
        last = self._final.get(step, {})
        kept: dict[int, Candle] = {}
        first_final, live = self.base_ms, self.last_open_ms - step  # final: first <= t <= live
        out = []
        for t in range(lo, hi + 1, step):
            candle = last.get(t)
            if candle is None:
                candle = self._bucket(t, step)
            if first_final <= t <= live:
                kept[t] = candle
            out.append(candle)
        self._final[step] = kept
        return out

    def _bucket(self, open_time: int, step: int) -> Candle:
        a = max(0, (open_time - self.base_ms) // MINUTE_MS)
        z = min(len(self.c), (open_time + step - self.base_ms) // MINUTE_MS)
        tick, vu, qu = self.tick, self.vol_unit, self.quote_unit
        return Candle(
            open_time=open_time,
            open=Decimal(self.o[a]) * tick,
            high=Decimal(max(self.h[a:z])) * tick,
            low=Decimal(min(self.l[a:z])) * tick,
            close=Decimal(self.c[z - 1]) * tick,
            volume=Decimal(sum(self.v[a:z])) * vu,
            close_time=open_time + step - 1,
            trades=sum(self.n[a:z]),
            quote_volume=Decimal(sum(self.q[a:z])) * qu,
            taker_buy_volume=Decimal(sum(self.tb[a:z])) * vu,
            taker_buy_quote_volume=Decimal(sum(self.tq[a:z])) * qu,
            price_precision=self.precision,
        )
