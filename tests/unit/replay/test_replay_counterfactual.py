"""Blocked shorts walked over the following bars, as the venue plays them."""

from __future__ import annotations

import pytest

from bot.paper.market.csv_files import list_files
from bot.replay.counterfactual import BlockedShort, simulate

T0 = 1_767_225_600_000  # 2026-01-01T00:00Z
MIN = 60_000


def _write(folder, bars):
    """bars: (open, high, low, close) per minute from T0."""
    lines = [f"{T0 + i * MIN},{o},{h},{lo},{c},1,{T0 + i * MIN + MIN - 1},1,1,0,0,0"
             for i, (o, h, lo, c) in enumerate(bars)]
    (folder / "ABCUSDT-1m-2026-01-01.csv").write_text("\n".join(lines) + "\n")
    return list_files(folder)["ABCUSDT"]


def _short(at_min=0, stop=105.0, target=90.0):
    return BlockedShort("ABCUSDT", T0 + at_min * MIN, stop, target, equity=10_000, risk=0.01)


def test_counterfactual_when_the_price_gaps_over_the_stop_then_the_short_exits_at_the_gap(
        tmp_path):
    files = _write(tmp_path, [(100, 101, 99, 100), (100, 102, 99, 101), (110, 111, 109, 110)])
    [done] = simulate([_short()], files, T0 + 10 * MIN)
    assert (done.entry, done.exit, done.outcome) == (100, 110, "stop")
    assert done.r_multiple == pytest.approx(-2.0)
    assert done.pnl_usdt == pytest.approx(-200 - 0.0004 * 20 * 210)


def test_counterfactual_when_the_target_is_reached_first_then_it_exits_there(tmp_path):
    # a falling minute plays its high before its low: 104 (no stop), then 89 (target)
    files = _write(tmp_path, [(100, 101, 99, 100), (100, 104, 89, 95)])
    [done] = simulate([_short()], files, T0 + 10 * MIN)
    assert (done.exit, done.outcome, done.exit_ms) == (89, "target", T0 + MIN)


def test_counterfactual_when_nothing_is_hit_then_it_is_marked_at_the_last_close(tmp_path):
    files = _write(tmp_path, [(100, 101, 99, 100), (100, 101, 98, 99)])
    [done] = simulate([_short(target=None)], files, T0 + 10 * MIN)
    assert (done.exit, done.outcome, done.exit_ms) == (99, "open at end", T0 + MIN)
