"""The kill switch: only legal moves enabled, a clean dialog each time, FLATTEN's list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dash import html

from bot.domain import Coverage, Direction, KillAction, KillState
from dashboard import create_app, ids
from dashboard.kill_switch import button_disabled, confirm_body, flatten_lines, render_state
from tests.fixtures.dashboard import FakeControl

HOST = {"Host": "127.0.0.1:8050"}


@pytest.mark.parametrize(
    ("state", "halt", "flatten", "resume"),
    [
        (KillState.RUNNING, False, False, True),
        (KillState.HALTED, True, False, False),
        (KillState.FLATTENING, True, True, True),
    ],
)
def test_kill_buttons_when_state_given_then_only_legal_moves_enabled(state, halt, flatten, resume):
    assert button_disabled(state) == (halt, flatten, resume)
    fake = FakeControl()
    fake.kill_state = state
    _text, *disabled = render_state(fake.snapshot(), fake.now)
    assert tuple(disabled) == (halt, flatten, resume)


def _fake_with_positions() -> FakeControl:
    fake = FakeControl()
    fake.add_position("ATOMUSDT", quantity="100", entry="2.5", mark="2.534")
    fake.add_position("ETHUSDT", Direction.SHORT, quantity="0.5", entry="3120.5", mark="3101.2",
                      stop="3190", coverage=Coverage.COVERED)
    return fake


def test_kill_flatten_lines_when_positions_open_then_notional_at_mark_largest_first():
    lines = flatten_lines(_fake_with_positions().snapshot().positions)
    assert [(ln.symbol, ln.side, ln.quantity, ln.notional) for ln in lines] == [
        ("ETHUSDT", "SHORT", "0.5", Decimal("1550.600")),
        ("ATOMUSDT", "LONG", "100", Decimal("253.400")),
    ]


def test_kill_confirm_body_when_flatten_then_lists_positions_and_total_notional():
    body = html.Div(confirm_body(KillAction.FLATTEN, _fake_with_positions().snapshot().positions))
    text = str(body.to_plotly_json())
    assert "2 positions to close, 1,804.00 USDT notional at mark" in text
    assert "ETHUSDT" in text and "1,550.60" in text and "253.40" in text
    halt = html.Div(confirm_body(KillAction.HALT, _fake_with_positions().snapshot().positions))
    assert "ETHUSDT" not in str(halt.to_plotly_json())


def test_kill_confirm_body_when_flatten_with_nothing_open_then_says_nothing_to_close():
    text = str(html.Div(confirm_body(KillAction.FLATTEN, ())).to_plotly_json())
    assert "nothing to close" in text


def _open_dialog_body(client, button: str, old_reason: str) -> dict:
    deps = client.get("/_dash-dependencies", headers=HOST).get_json()
    dep = next(d for d in deps if d["output"].startswith(f"..{ids.KILL_MODAL}"))
    return {
        "output": dep["output"],
        "outputs": [
            {"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
            for o in dep["output"].strip(".").split("...")
        ],
        "inputs": [
            {"id": i["id"], "property": "n_clicks", "value": 2 if i["id"] == button else 1}
            for i in dep["inputs"]
        ],
        "state": [
            {"id": ids.KILL_PENDING, "property": "data", "value": None},
            {"id": ids.KILL_REASON, "property": "value", "value": old_reason},
        ],
        "changedPropIds": [f"{button}.n_clicks"],
    }


@pytest.mark.parametrize("button", [ids.KILL_HALT, ids.KILL_FLATTEN])
def test_kill_dialog_when_opened_again_then_old_reason_and_result_cleared(button):
    fake = _fake_with_positions()
    client = create_app(fake, mode_label="paper", snapshot_ttl=0).server.test_client()
    body = _open_dialog_body(client, button, "last week's drill")
    resp = client.post("/_dash-update-component", json=body, headers=HOST)
    assert resp.status_code == 200, resp.data[:300]
    props = resp.get_json()["response"]
    assert props[ids.KILL_MODAL]["is_open"] is True
    assert props[ids.KILL_REASON]["value"] == ""
    assert props[ids.KILL_RESULT]["children"] == ""
    listed = "ETHUSDT" in str(props[ids.KILL_MODAL_BODY]["children"])
    assert listed is (button == ids.KILL_FLATTEN)
    assert fake.calls_to("kill_switch") == []
