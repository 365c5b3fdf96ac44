"""Storm coalescing: the first messages pass, the rest become a count, one summary per window."""

from __future__ import annotations

import pytest

from bot.domain import Severity
from bot.domain.notify import NotifyCategory
from bot.notify.coalesce import Coalescer
from bot.notify.message import Notice
from tests.unit.notify.fakes import T0


def notice(symbol="BTCUSDT", category=NotifyCategory.EMERGENCY_CLOSE) -> Notice:
    return Notice(category, Severity.CRITICAL, "t", "b", T0, symbol)


def test_offer_when_storm_on_one_symbol_then_first_passes_rest_counted():
    c = Coalescer(window_s=60)
    results = [c.offer(notice(), now=1000 + i * 0.02) for i in range(500)]
    assert results[0] is True and not any(results[1:])
    [held] = c.due(now=1060)
    assert held.count == 499 and held.symbols == ("BTCUSDT",)


def test_offer_when_new_symbols_then_first_few_pass_then_held():
    c = Coalescer(window_s=60, per_window=3)
    passed = [c.offer(notice(s), now=1000) for s in ("A", "B", "C", "D", "A")]
    assert passed == [True, True, True, False, False]


def test_due_when_storm_continues_then_one_summary_per_window():
    c = Coalescer(window_s=10)
    c.offer(notice(), 0)
    summaries = 0
    for t in range(1, 100):
        c.offer(notice(), t)
        summaries += len(c.due(t))
    assert 8 <= summaries <= 10


def test_offer_when_window_passed_quietly_then_next_one_passes():
    c = Coalescer(window_s=10)
    assert c.offer(notice(), 0)
    assert c.due(11) == []
    assert c.offer(notice(), 12)


def test_flush_when_something_held_then_returned_once():
    c = Coalescer(window_s=60)
    c.offer(notice(), 0)
    c.offer(notice(), 1)
    assert [h.count for h in c.flush()] == [1]
    assert c.flush() == []


def test_offer_when_categories_differ_then_independent():
    c = Coalescer(window_s=60)
    assert c.offer(notice(), 0)
    assert c.offer(notice(category=NotifyCategory.NAKED), 0)


def test_init_when_bad_window_then_refused():
    with pytest.raises(ValueError):
        Coalescer(window_s=0)
