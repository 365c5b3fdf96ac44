"""The dashboard's positions and KPIs are built for a reader: on the monitor's thread while
the dashboard reads them (a poll stays a read of memory), on the first read after nobody did,
and not at all while nobody reads them (a replay's monitor cycles cost no store read for
them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app import make_dash
from bot.domain import Coverage
from bot.runtime.bot import Bot
from bot.runtime.control import BotControl
from tests.integration.runtime.test_runtime_app import post_signal, start_bot


class Counting:
    """Wraps a store method: counts its calls, and raises while ``failing`` is set."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self.method = method
        self.calls = 0
        self.failing = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.failing:
            raise RuntimeError("store unavailable")
        return self.method(*args, **kwargs)


@pytest.fixture
def bot(tmp_path, paper_exchange):
    bot = start_bot(tmp_path, paper_exchange)
    client = make_dash(bot).server.test_client()
    assert post_signal(client, "ATOMUSDT", "BUY").status_code == 202
    bot.run_executor()
    yield bot
    bot.shutdown()


def _count_events(bot: Bot, monkeypatch) -> Counting:
    """The event log reads of the views (their coverage history); the monitor makes none
    while its position is covered."""
    events = Counting(bot.c.store.events)
    monkeypatch.setattr(bot.c.store, "events", events)
    return events


def test_views_when_cycles_are_not_read_then_built_once_on_read(bot, monkeypatch):
    bot.run_monitor()  # for the dashboard built by the fixture, which read them
    events = _count_events(bot, monkeypatch)
    for _ in range(3):
        bot.run_monitor()
    assert events.calls == 0

    [view] = bot.positions()
    assert (view.symbol, view.coverage) == ("ATOMUSDT", Coverage.COVERED)
    assert view.opened_at is not None and view.risk_stop is not None
    assert events.calls == 1
    assert bot.positions() == (view,) and bot.kpis().covered_positions == 1
    BotControl(bot).snapshot()
    assert events.calls == 1  # same picture: no rebuild


def test_views_when_dashboard_reads_them_then_built_by_the_monitor_not_the_poll(
    bot, monkeypatch
):
    bot.positions()
    events = _count_events(bot, monkeypatch)
    bot.run_monitor()  # read since the last picture: built here
    assert events.calls == 1
    [view] = BotControl(bot).snapshot().positions
    assert view.coverage is Coverage.COVERED and events.calls == 1
    bot.run_monitor()  # read again since: built again
    assert events.calls == 2
    bot.run_monitor()  # not read since: left to the next reader
    assert events.calls == 2
    bot.positions()
    assert events.calls == 3


def test_views_when_rebuild_fails_then_last_views_kept_and_tried_again(bot, monkeypatch):
    bot.run_monitor()
    [view] = bot.positions()
    events = _count_events(bot, monkeypatch)
    events.failing = True
    bot.run_monitor()  # read since: rebuilt here, and that fails
    assert events.calls == 1

    assert bot.positions() == (view,)
    assert bot.kpis().open_positions == 1
    events.failing = False
    [again] = bot.positions()
    assert again.symbol == "ATOMUSDT" and again.verified_at >= view.verified_at
    assert events.calls == 4


def _count_kpi_reads(bot: Bot, monkeypatch) -> Counting:
    """A read only the KPIs make (the rollup's trips count events too)."""
    reads = Counting(bot.c.store.latency_percentiles)
    monkeypatch.setattr(bot.c.store, "latency_percentiles", reads)
    return reads


def test_kpis_when_nobody_reads_then_rollup_leaves_them_to_the_first_read(bot, monkeypatch):
    bot.run_monitor()
    bot.rollup()  # for the dashboard built by the fixture, which read them
    reads = _count_kpi_reads(bot, monkeypatch)
    bot.rollup()
    assert reads.calls == 0

    assert bot.kpis().open_positions == 1  # computed by this read
    assert reads.calls == 1
    bot.kpis()
    assert reads.calls == 1

    bot.rollup()  # read since the last computation: the rollup keeps them fresh
    assert reads.calls == 2
    bot.rollup()
    assert reads.calls == 2


def test_kpis_when_computing_fails_then_last_ones_kept_and_tried_again(bot, monkeypatch):
    bot.run_monitor()
    bot.rollup()  # for the dashboard built by the fixture, which read them
    reads = _count_kpi_reads(bot, monkeypatch)
    bot.rollup()
    reads.failing = True
    kept = bot.kpis()
    assert kept.open_positions == 1 and reads.calls == 1
    assert bot.kpis() == kept and reads.calls == 2
    reads.failing = False
    assert bot.kpis().sl_success_rate_24h == 1.0 and reads.calls == 3
    assert bot.kpis() and reads.calls == 3
