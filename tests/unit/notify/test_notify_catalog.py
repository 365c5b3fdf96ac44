"""The one table from event kind to category: detail-dependent rows and what is never sent."""

from __future__ import annotations

import pytest

from bot.domain import EventKind
from bot.domain.notify import CATEGORY_SPECS, NotifyCategory
from bot.notify.catalog import ROUTES, SEVERITY, route
from tests.unit.notify.fakes import event

C = NotifyCategory


@pytest.mark.parametrize(("kind", "details", "expected"), [
    (EventKind.NAKED_PAST_GRACE, {}, C.NAKED),
    (EventKind.NAKED_DETECTED, {"ineffective": ["qs-1"]}, C.STOP_FAILED),
    (EventKind.NAKED_DETECTED, {"ineffective": []}, C.STOP_REPAIRED),
    (EventKind.STOP_CANCELED_WHILE_OPEN, {}, C.STOP_REPAIRED),
    (EventKind.STOP_STUCK, {}, C.STOP_FAILED),
    (EventKind.STOP_LOST, {"status": "REJECTED"}, C.STOP_FAILED),
    (EventKind.EMERGENCY_CLOSE, {"rejections": 3}, C.LADDER_EXHAUSTED),
    (EventKind.EMERGENCY_CLOSE, {"rejections": 1}, C.EMERGENCY_CLOSE),
    (EventKind.EXCHANGE_ERROR, {"protect": "failed"}, C.EMERGENCY_CLOSE),
    (EventKind.EXCHANGE_ERROR, {}, None),
    (EventKind.KILL_SWITCH, {"actor": "alice", "trigger": "manual"}, C.KILL_SWITCH),
    (EventKind.KILL_SWITCH, {"actor": "system", "trigger": "red_flag_storm"}, C.AUTO_TRIP),
    (EventKind.KILL_SWITCH, {"actor": "system", "trigger": "daily_loss"}, C.AUTO_TRIP),
    (EventKind.KILL_SWITCH, {"actor": "system", "trigger": "flat"}, C.KILL_SWITCH),
    (EventKind.LEASE, {"action": "lost"}, C.LEASE_LOST),
    (EventKind.LEASE, {"action": "acquire"}, None),
    (EventKind.TRAILING_DISABLED, {}, C.TRAILING_DISABLED),
    (EventKind.LOSS_OVER_LIMIT, {}, C.LOSS_OVER_LIMIT),
    (EventKind.ENTRY_FILLED, {}, C.ENTRY),
    (EventKind.POSITION_CLOSED, {}, C.CLOSE),
    (EventKind.MONITOR_CYCLE, {}, None),
    (EventKind.STOP_KEPT, {}, None),
])
def test_route_when_event_given_then_its_category(kind, details, expected):
    assert route(event(kind, **details)) is expected


def test_severity_when_any_routed_category_then_defined_and_has_a_spec():
    routed = {route(event(kind)) for kind in ROUTES} - {None}
    assert routed <= set(SEVERITY) and set(SEVERITY) == set(CATEGORY_SPECS)


def test_always_on_when_listed_in_issue_then_cannot_default_off():
    always = {c for c, spec in CATEGORY_SPECS.items() if spec.always_on}
    assert always == {C.NAKED, C.STOP_FAILED, C.EMERGENCY_CLOSE, C.LADDER_EXHAUSTED,
                      C.KILL_SWITCH, C.AUTO_TRIP, C.LEASE_LOST, C.STREAM_DOWN, C.LIFECYCLE}
    assert {c for c, s in CATEGORY_SPECS.items() if s.default.value == "off"} == {
        C.ENTRY, C.CLOSE, C.DAILY}
