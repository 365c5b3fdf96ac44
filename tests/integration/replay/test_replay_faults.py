"""Seeded faults around the entries: the ladder, the emergency close and the poll's repair
show in the report, and a fault run is as reproducible as any other."""

from __future__ import annotations

from bot.replay.facts import collect
from bot.replay.faults import FaultKind
from bot.replay.session import ReplayConfig, ReplaySession
from tests.integration.replay.conftest import KEEP_TRADING, REPLAYED


def _run(data, kinds):
    config = ReplayConfig(data, REPLAYED, dict(KEEP_TRADING), fault_rate=1.0, fault_kinds=kinds)
    with ReplaySession(config) as session:
        session.start()
        while session.step():
            pass
        return collect(session, wall_s=1.0)


def test_replay_when_every_stop_is_refused_then_emergency_closes_are_reported(small_data):
    facts = _run(small_data, (FaultKind.STOP_2021_ALWAYS,))
    assert facts.faults and {f["kind"] for f in facts.faults} == {"stop_-2021_x3"}
    assert facts.summary["emergency_closes"] >= 1
    assert facts.summary["ladder_rungs"] >= 2 * facts.summary["emergency_closes"]
    assert {t["reason"] for t in facts.trades if t["reason"]} >= {"emergency"}


def test_replay_when_the_venue_drops_stops_then_naked_time_is_measured_and_repeatable(
        small_data):
    kinds = (FaultKind.SILENT_CANCEL, FaultKind.TRIGGER_REJECT)
    first = _run(small_data, kinds)
    assert any(f["kind"] == "silent_cancel" and "algo" in f["detail"] for f in first.faults)
    # the poll repairs a dropped stop at the end of the bar: a spell of virtual time
    assert first.summary["naked_spells"] >= 1 and first.summary["naked_seconds"] > 0
    assert _run(small_data, kinds).ledger_hash == first.ledger_hash
