"""Messages a person can act on: severity and symbol in the title, what happened, what the bot
did, the dashboard link when set; plain text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import EventKind
from bot.domain.notify import NotifyCategory
from bot.notify.catalog import route
from bot.notify.message import notice_for, storm_notice
from tests.unit.notify.fakes import event

URL = "https://qs.example.com"


@pytest.mark.parametrize(("kind", "details", "title"), [
    (EventKind.EMERGENCY_CLOSE, {"rejections": 3, "quantity": Decimal("0.010"),
                                 "avg_price": Decimal("64210.5")},
     "CRITICAL: BTCUSDT Stop ladder exhausted"),
    (EventKind.NAKED_PAST_GRACE, {}, "CRITICAL: BTCUSDT NAKED past grace"),
    (EventKind.TRAILING_DISABLED, {}, "WARNING: BTCUSDT trailing stop off"),
    (EventKind.EXCHANGE_ERROR, {"protect": "failed"}, "CRITICAL: BTCUSDT EMERGENCY CLOSE FAILED"),
])
def test_notice_when_red_flag_then_title_has_severity_and_symbol(kind, details, title):
    e = event(kind, message="m", **details)
    n = notice_for(e, route(e), URL)
    assert n.title == title
    lines = n.body.splitlines()
    assert lines[0].startswith("What happened: ") and lines[1].startswith("What the bot did: ")
    assert lines[-1] == f"Dashboard: {URL}"
    assert "<" not in n.body and "*" not in n.body  # plain text, no markup


def test_notice_when_ladder_then_says_what_was_closed():
    e = event(EventKind.EMERGENCY_CLOSE, rejections=3, quantity=Decimal("0.010"),
              avg_price=Decimal("64210.5"))
    body = notice_for(e, route(e), None).body
    assert "3 times" in body and "Closed 0.01 at market (avg price 64210.5)" in body
    assert "Dashboard" not in body


def test_notice_when_kill_switch_then_names_who_and_why():
    e = event(EventKind.KILL_SWITCH, symbol=None, state="HALTED", previous="RUNNING",
              actor="alice", reason="exchange maintenance", trigger="manual")
    n = notice_for(e, route(e), None)
    assert n.title == "WARNING: kill switch HALTED"
    assert "RUNNING -> HALTED by alice: exchange maintenance" in n.body
    assert "No new entries" in n.body


def test_storm_notice_when_many_held_then_count_and_symbols():
    e = event(EventKind.NAKED_PAST_GRACE)
    first = notice_for(e, NotifyCategory.NAKED, None)
    n = storm_notice(first, 499, ["BTCUSDT", "ETHUSDT"], 60, first.at, URL)
    assert n.title.startswith("CRITICAL: 499 more: Position naked past grace on BTCUSDT, ETHUSDT")
    assert len(n.title) < 120
