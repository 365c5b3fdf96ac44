"""The activity log's filters: level, symbol, kind (the tag) and a search text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dash import no_update

from bot.domain import ActivityLine
from dashboard.activity import (
    ANY,
    ActivityFilter,
    build_filter,
    kind_options,
    line_matches,
    plan_update,
    render,
    tag_of,
)
from tests.fixtures.dashboard import FIXED_NOW, FakeControl

NOW = FIXED_NOW
LINES = [
    ActivityLine(NOW - timedelta(seconds=5), "INFO",
                 "[SHIELD] Placing IMMEDIATE SL for ATOMUSDT: SELL @ 2.534"),
    ActivityLine(NOW - timedelta(seconds=4), "WARNING",
                 "[DECIDE] DENIED SHORT BTCUSDT by uptrend_short_block: BTC UPTREND"),
    ActivityLine(NOW - timedelta(seconds=3), "CRITICAL",
                 "[SHIELD] EMERGENCY CLOSE DOGEUSDT: SELL 36504 at market (avg 0.1225)"),
    ActivityLine(NOW - timedelta(seconds=2), "INFO", "[CLOSED] ATOMUSDT take_profit @ 2.7"),
]


def _shown(flt: ActivityFilter) -> list[str]:
    return [ln.text[:14] for ln in LINES if line_matches(ln, flt)]


@pytest.mark.parametrize(("flt", "count"), [
    (ActivityFilter(), 4),
    (ActivityFilter(level="WARNING"), 2),
    (ActivityFilter(level="ERROR"), 1),
    (ActivityFilter(symbol="ATOMUSDT"), 2),
    (ActivityFilter(kind="SHIELD"), 2),
    (ActivityFilter(text="emergency"), 1),
    (ActivityFilter(kind="SHIELD", symbol="ATOMUSDT"), 1),
])
def test_activity_filter_when_applied_then_only_matching_lines(flt, count):
    assert len(_shown(flt)) == count


def test_activity_filter_when_form_sends_junk_then_safe_defaults():
    flt = build_filter("LOUD", "  atomusdt ", "", "x" * 500)
    assert (flt.level, flt.symbol, flt.kind, len(flt.text)) == (ANY, "ATOMUSDT", ANY, 100)
    assert build_filter(None, None, None, None) == ActivityFilter()


def test_activity_kinds_when_lines_tagged_then_each_tag_once():
    assert tag_of(LINES[0]) == "SHIELD" and tag_of(ActivityLine(NOW, "INFO", "no tag")) is None
    assert [o["value"] for o in kind_options(LINES)] == [ANY, "CLOSED", "DECIDE", "SHIELD"]


def test_activity_poll_when_filter_changes_then_full_redraw_then_only_new_matches():
    first = plan_update(LINES, None, ActivityFilter(kind="SHIELD"))
    assert [ln.text[:8] for ln in first.full] == ["[SHIELD]", "[SHIELD]"]
    more = [*LINES, ActivityLine(NOW, "INFO", "[SHIELD] SL already exists for ETHUSDT"),
            ActivityLine(NOW, "INFO", "[DECIDE] ALLOWED LONG ETHUSDT")]
    again = plan_update(more, first.cursor, ActivityFilter(kind="SHIELD"))
    assert again.full is None and [ln.text for ln in again.new] == [
        "[SHIELD] SL already exists for ETHUSDT"]
    other = plan_update(more, again.cursor, ActivityFilter(kind="DECIDE"))
    assert other.full is not None  # drawn with another filter: redraw


def test_activity_render_when_nothing_matches_then_says_so_and_kinds_sent_once():
    fake = FakeControl()
    for line in LINES:
        fake.add_activity(line.text, level=line.level, at=line.at)
    snap = fake.snapshot()
    children, cursor, kinds = render(snap, NOW, None, ANY, "XRPUSDT", ANY, "", None)
    assert "No line matches" in str(children) and cursor["count"] == 0
    assert render(snap, NOW, cursor, ANY, "XRPUSDT", ANY, "", kinds)[2] is no_update
