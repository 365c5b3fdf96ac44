"""Entry response -> stop acknowledgement, against a bare signed round trip, over loopback.

The bot's promise is that nothing happens between the entry's answer and the
stop request; this measures what that costs. "bare" is one signed POST
algoOrder (a reduce-only stop) sent straight through the adapter with nothing
before it; "protect" is the STOP_PLACED latency the executor records. Their
ratio is the bot's overhead (target: <= 1.2 at p99).

``--slow-reader``: a second thread reads positionRisk through the same adapter in a loop
while the venue delays that endpoint (500 ms), and the stop must not queue behind it. Three
conditions alternate in blocks within one run, so all see the same background load:

- quiet: iterations back to back, nothing else in flight;
- idle: the same, but the bot waits ``--delay-ms`` before each entry with no reader running.
  With a slow reader the executor's pre-entry read waits that long for the reads lane,
  and a thread (and CPU) that sat idle is slower on its next round trips whatever the
  reason: this is the baseline with the slow reader's cadence but none of its requests;
- slow: the reader holds a delayed read; a sample counts as held if one slow read was
  called before the entry's answer and still unanswered at the stop's acknowledgement.

The requirement reads slow protect p99 against idle bare p99; slow protect against idle
protect is what the reader costs the stop path itself.

Run: .venv/bin/python bench/protection_latency.py [--iterations 300] [--venue process|thread]
     [--slow-reader [--block 25] [--delay-ms 500]]
"""

from __future__ import annotations

import argparse
import gc
import logging
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._protection_rig import BenchRig, build, percentile  # noqa: E402
from bot.domain import (  # noqa: E402
    Decision,
    Direction,
    Purpose,
    Side,
    client_ids,
)

SYMBOL = "ETHUSDT"
SLOW_PATH = "/fapi/v3/positionRisk"


@dataclass
class Samples:
    protect: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    pre_read: list[float] = field(default_factory=list)  # the executor's read before the entry
    held: int = 0  # slow read in flight across the whole fill -> ack window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300, help="per condition")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--venue", choices=("process", "thread"), default="process",
                        help="the paper venue in its own process (like a remote exchange: its "
                             "work does not take the bot's GIL) or in a thread of this one")
    parser.add_argument("--slow-reader", action="store_true",
                        help="add the idle and slow-reader conditions (see above)")
    parser.add_argument("--block", type=int, default=25, help="iterations per block")
    parser.add_argument("--delay-ms", type=int, default=500, help="the venue's positionRisk delay")
    args = parser.parse_args()
    if args.iterations < 10 or args.block < 1 or args.delay_ms < 1:
        parser.error("--iterations must be >= 10, --block and --delay-ms >= 1")
    logging.basicConfig(level=logging.ERROR)
    rig = build(venue_process=args.venue == "process")
    reader = SlowReader(rig, args.delay_ms / 1000) if args.slow_reader else None
    quiet, idle, slow = Samples(), Samples(), Samples()
    started = time.monotonic()
    try:
        bench = Iterations(rig)
        bench.run(args.warmup, Samples())
        gc.freeze()  # as app.main() does after start-up: no collector pass over the rig's heap
        while len(quiet.protect) < args.iterations:
            n = min(args.block, args.iterations - len(quiet.protect))
            bench.run(n, quiet)
            if reader is not None:
                bench.run(n, idle, pause_s=args.delay_ms / 1000)
                reader.resume()
                bench.run(n, slow, reader=reader)
                reader.pause()
    finally:
        if reader is not None:
            reader.close()
        rig.close()
    report(quiet, (idle, slow) if reader is not None else None, args,
           time.monotonic() - started)


def report(quiet: Samples, loaded: tuple[Samples, Samples] | None, args: argparse.Namespace,
           elapsed_s: float) -> None:
    def figures(values: list[float]) -> str:
        return (f"{percentile(values, 50):6.3f} {percentile(values, 90):6.3f} "
                f"{percentile(values, 99):6.3f} {max(values):7.3f}")

    def ratio(a: list[float], b: list[float]) -> str:
        low, high = p99_ratio_interval(a, b)
        return (f"p50 {percentile(a, 50) / percentile(b, 50):.3f}  "
                f"p99 {percentile(a, 99) / percentile(b, 99):.3f} "
                f"(90% interval {low:.2f}-{high:.2f})")

    print(f"iterations: {len(quiet.protect)} per condition (after {args.warmup} warm-up), venue "
          f"in a {args.venue}, {elapsed_s:.0f} s; ms: p50 p90 p99 max")
    print(f"{'condition':<12} {'entry response -> stop ack':<29} bare signed algoOrder RTT")
    conditions = [("quiet", quiet)]
    if loaded is not None:
        conditions += [("idle", loaded[0]), ("slow reader", loaded[1])]
    for name, s in conditions:
        print(f"{name:<12} {figures(s.protect):<29} {figures(s.bare)}")
    print("ratio protect / bare, same condition:")
    for name, s in conditions:
        print(f"  {name:<12} {ratio(s.protect, s.bare)}")
    if loaded is None:
        print("(target: p99 ratio <= 1.2)")
        return
    idle, slow = loaded
    print(f"slow reader: {args.delay_ms} ms positionRisk through the same adapter, blocks of "
          f"{args.block}, held across the fill -> ack window in {slow.held}/{len(slow.protect)}")
    print(f"  protect(slow) / bare(idle)     {ratio(slow.protect, idle.bare)}   "
          "(target p99 <= 1.2)")
    print(f"  protect(slow) / bare(quiet)    {ratio(slow.protect, quiet.bare)}")
    print(f"  protect(slow) / protect(idle)  {ratio(slow.protect, idle.protect)}   "
          "(what the reader costs the stop)")
    print(f"  executor's pre-entry read on the reads lane: p50 {percentile(slow.pre_read, 50):.0f}"
          f"  max {max(slow.pre_read):.0f} ms (waits for the slow read in flight)")


def p99_ratio_interval(a: list[float], b: list[float], rounds: int = 1000) -> tuple[float, float]:
    """Bootstrap interval of p99(a) / p99(b): a few hundred samples put the p99 on the
    third or fourth slowest, so one scheduler hiccup moves it; the interval says how far."""
    draw = random.Random(7)
    ratios = sorted(percentile(draw.choices(a, k=len(a)), 99)
                    / percentile(draw.choices(b, k=len(b)), 99) for _ in range(rounds))
    return ratios[int(0.05 * rounds)], ratios[int(0.95 * rounds) - 1]


class Iterations:
    """One iteration: open a position through the executor (its stop is the sample), then a
    bare stop, its cancel and the close."""

    def __init__(self, rig: BenchRig) -> None:
        self.rig = rig
        self.seq = 0

    def _prices(self) -> None:
        """Per block: a venue in its own process moves its prices."""
        ex = self.rig.adapter
        filters = ex.filters(SYMBOL)
        self.mark = ex.mark_price(SYMBOL)
        self.qty = filters.round_qty(Decimal("200") / self.mark, market=True)
        self.stop = filters.round_price(self.mark * Decimal("0.97"), "down")
        self.lower = filters.round_price(self.mark * Decimal("0.95"), "down")

    def run(self, n: int, into: Samples, reader: SlowReader | None = None,
            pause_s: float = 0.0) -> None:
        rig, ex = self.rig, self.rig.adapter
        self._prices()
        for _ in range(n):
            i = self.seq = self.seq + 1
            if pause_s:
                time.sleep(pause_s)
            result = rig.executor.open_position(Decision(SYMBOL, Direction.LONG, self.qty,
                                                         self.stop))
            if result.protection is None or result.protection.latency_ms is None:
                raise SystemExit(f"iteration {i}: no stop latency "
                                 f"({result.status}: {result.reason})")
            into.protect.append(result.protection.latency_ms)
            read_started, read_ended = rig.timed.last["open_conditional_orders"]
            into.pre_read.append((read_ended - read_started) * 1000)
            if reader is not None and reader.held_across(rig.timed.last["market_order"][1],
                                                         rig.timed.last["place_stop"][1]):
                into.held += 1
            cid = client_ids.make(Purpose.STOP, SYMBOL, "bench", 1000 + i)
            started = time.perf_counter()
            order = ex.place_stop(SYMBOL, Side.SELL, self.lower, cid, quantity=self.qty)
            into.bare.append((time.perf_counter() - started) * 1000)
            ex.cancel_conditional(SYMBOL, algo_id=order.algo_id)
            close_cid = client_ids.make(Purpose.CLOSE, SYMBOL, "bench", i)
            ex.market_order(SYMBOL, Side.SELL, self.qty, close_cid, reduce_only=True)
            for trade in rig.store.open_trades():
                rig.store.close_trade(trade.id, self.mark, "bench", Decimal(0), Decimal(0),
                                      rig.recorder.now())


class SlowReader:
    """A second thread reading positions through the bot's own adapter (so through its reads
    lane, budget and weight books) while the venue delays every positionRisk answer."""

    def __init__(self, rig: BenchRig, delay_s: float) -> None:
        self._adapter = rig.adapter
        self._rig = rig
        rig.control("POST", "fault", {"method": "GET", "path": SLOW_PATH, "kind": "delay",
                                      "delay_s": delay_s, "count": 10**9})
        self._cond = threading.Condition()
        self._wanted = self._busy = self._closing = False
        self._spans: list[tuple[float, float]] = []
        self._since = 0.0  # start of the read in flight
        self._thread = threading.Thread(target=self._run, name="slow-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._wanted or self._closing)
                if self._closing:
                    return
                self._busy = True
                started = self._since = time.perf_counter()
            try:
                self._adapter.positions()
            except Exception:  # the venue is stopping: the bench is over
                return
            finally:
                with self._cond:
                    self._spans.append((started, time.perf_counter()))
                    self._busy = False
                    self._cond.notify_all()

    def resume(self) -> None:
        """Returns once the venue holds a slow read."""
        before = self._remaining()
        with self._cond:
            self._wanted = True
            self._cond.notify_all()
        while self._remaining() == before:
            time.sleep(0.002)

    def _remaining(self) -> int:
        faults = self._rig.control("GET", "state")["faults"]
        return sum(f["remaining"] for f in faults if f["path"] == SLOW_PATH)

    def pause(self) -> None:
        """Returns once no slow read is in flight."""
        with self._cond:
            self._wanted = False
            self._cond.wait_for(lambda: not self._busy)

    def held_across(self, start: float, end: float) -> bool:
        """Was one slow read called before ``start`` and still unanswered at ``end``?"""
        with self._cond:
            spans = self._spans[-3:] + ([(self._since, float("inf"))] if self._busy else [])
        return any(s <= start and e >= end for s, e in spans)

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._wanted = False
            self._cond.notify_all()


if __name__ == "__main__":
    main()
