"""Red flags grouped into incidents, what the bot did, acknowledging, the count in the title."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.domain import Direction, Severity
from dashboard import create_app, ids
from dashboard.incidents import group_incidents
from dashboard.red_flags import render_incidents, shown_up_to, title_for
from tests.fixtures.dashboard import FIXED_NOW, FakeControl

HOST = {"Host": "127.0.0.1:8050"}
NOW = FIXED_NOW


def ladder_incident(fake: FakeControl, start=NOW - timedelta(minutes=10)) -> None:
    """A stop refused, its two retries refused, the emergency close and the loss."""
    fake.add_red_flag("-2021", symbol="DOGEUSDT", severity=Severity.WARNING, at=start,
                      message="stop would trigger immediately")
    for rung in (1, 2):
        fake.add_red_flag("-2021", symbol="DOGEUSDT", severity=Severity.WARNING,
                          at=start + timedelta(seconds=rung), details={"rung": rung},
                          message=f"retry {rung} would trigger")
    fake.add_red_flag("EMERGENCY CLOSE", symbol="DOGEUSDT", at=start + timedelta(seconds=3),
                      details={"quantity": "36504", "avg_price": "0.1225", "rejections": 3},
                      message="no stop could be placed: closed 36504 at market")
    fake.add_closed_trade("DOGEUSDT", Direction.LONG, entry="0.1227", exit_price="0.1225",
                          quantity="36504", stop="0.1215", reason="emergency", fees="0",
                          closed_at=start + timedelta(seconds=3))


def test_incidents_when_ladder_ends_in_emergency_close_then_one_incident_saying_so():
    fake = FakeControl()
    ladder_incident(fake)
    fake.add_red_flag("STREAM DOWN", severity=Severity.CRITICAL, kind="STREAM_DOWN",
                      at=NOW - timedelta(minutes=1))
    snap = fake.snapshot()
    stream, ladder = group_incidents(snap.red_flags, snap.recent_trades)
    assert stream.labels == [("STREAM DOWN", 1)] and stream.symbol is None
    assert ladder.labels == [("-2021", 3), ("EMERGENCY CLOSE", 1)]
    assert ladder.severity is Severity.CRITICAL and len(ladder.unacknowledged) == 4
    assert ladder.outcome == "retry 2 refused → closed 36,504 at 0.1225, −7.30 USDT"


def test_incidents_when_same_symbol_far_apart_then_two_incidents():
    fake = FakeControl()
    fake.add_red_flag("NAKED", symbol="ATOMUSDT", at=NOW - timedelta(hours=2))
    fake.add_red_flag("NAKED", symbol="ATOMUSDT", at=NOW)
    fake.add_red_flag("NAKED", symbol="ETHUSDT", at=NOW)
    incidents = group_incidents(fake.snapshot().red_flags)
    assert sorted(len(i.flags) for i in incidents) == [1, 1, 1]


@pytest.mark.parametrize(("label", "words"), [
    ("STOP CANCELED", "stop canceled outside the bot"), ("STOP STUCK", "stuck in TRIGGERING"),
    ("STOP LOST", "rejected or expired"), ("AT RISK", "beyond the liquidation price"),
])
def test_incidents_when_new_stop_trouble_kinds_then_named_in_the_outcome(label, words):
    fake = FakeControl()
    fake.add_red_flag(label, symbol="ATOMUSDT")
    (incident,) = group_incidents(fake.snapshot().red_flags)
    assert words in incident.outcome and incident.labels == [(label, 1)]


def test_incidents_render_when_several_flags_then_folded_with_one_button():
    fake = FakeControl()
    ladder_incident(fake)
    snap = fake.snapshot()
    (card,) = render_incidents(group_incidents(snap.red_flags, snap.recent_trades))
    data = json.dumps(card, ensure_ascii=False)
    assert data.count('"data-flag-id"') == 4 and data.count(ids.FLAG_ACK_BUTTON) == 1
    assert "-2021 ×3" in data and "−7.30 USDT" in data


def test_incidents_title_and_up_to_when_flags_shown_then_count_and_newest_id():
    assert title_for(0) == "QuantShield" and title_for(3) == "(3) QuantShield"
    assert shown_up_to({"flags": [[4, False], [9, True], [2, False]]}) == 9
    assert shown_up_to({"flags": [[True, False]]}) is None and shown_up_to("junk") is None


def test_incidents_acknowledge_when_incident_button_clicked_then_each_of_its_flags():
    fake = FakeControl()
    ladder_incident(fake)
    other = fake.add_red_flag("NAKED", symbol="ETHUSDT")
    client = create_app(fake, mode_label="paper", snapshot_ttl=0).server.test_client()
    deps = client.get("/_dash-dependencies", headers=HOST).get_json()
    (dep,) = [d for d in deps if ids.FLAG_ACK_BUTTON in json.dumps(d["inputs"])]
    button = {"type": ids.FLAG_ACK_BUTTON, "flag": 1}
    body = {"output": dep["output"], "outputs": [
        {"id": ids.FLAGS_ACK_RESULT, "property": "children"},
        {"id": ids.CONTROL_VERSION, "property": dep["output"].split(f"{ids.CONTROL_VERSION}.")[1]
         .rstrip(".")}],
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]], "state": [],
        "changedPropIds": [json.dumps(button, separators=(",", ":"), sort_keys=True)
                           + ".n_clicks"]}
    resp = client.post("/_dash-update-component", json=body, headers=HOST)
    assert resp.status_code == 200, resp.data[:300]
    assert sorted(c.args[0] for c in fake.calls_to("acknowledge")) == [1, 2, 3, 4]
    assert "4 flags acknowledged" in resp.get_data(as_text=True)
    assert other.id not in [c.args[0] for c in fake.calls_to("acknowledge")]


def test_incidents_acknowledge_all_when_clicked_then_up_to_the_newest_flag_shown():
    fake = FakeControl()
    ladder_incident(fake)
    client = create_app(fake, mode_label="paper", snapshot_ttl=0).server.test_client()
    deps = client.get("/_dash-dependencies", headers=HOST).get_json()
    (dep,) = [d for d in deps if any(i["id"] == ids.FLAGS_ACK_ALL for i in d["inputs"])]
    outs = dep["output"].strip(".").split("...")
    body = {"output": dep["output"],
            "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
                        for o in outs],
            "inputs": [{"id": ids.FLAGS_ACK_ALL, "property": "n_clicks", "value": 1}],
            "state": [{"id": ids.FLAGS_SIGNATURE, "property": "data",
                       "value": {"flags": [[3, False], [2, False]]}}],
            "changedPropIds": [f"{ids.FLAGS_ACK_ALL}.n_clicks"]}
    resp = client.post("/_dash-update-component", json=body, headers=HOST)
    assert resp.status_code == 200, resp.data[:300]
    assert [c.args for c in fake.calls_to("acknowledge_all")] == [("local", 3)]
    assert {f.id: f.acknowledged for f in fake.red_flags} == {1: True, 2: True, 3: True,
                                                                4: False}


def test_incidents_ack_button_when_rendered_as_json_then_what_dbc_would_send():
    import dash_bootstrap_components as dbc
    from dash import html
    from plotly.io.json import to_json_plotly

    fake = FakeControl()
    fake.add_red_flag("NAKED", symbol="ETHUSDT")
    (card,) = render_incidents(group_incidents(fake.snapshot().red_flags))
    button = card["props"]["children"][-1]
    expected = dbc.Button(["Acknowledge", html.Span(" NAKED ETHUSDT", className="visually-hidden")],
                          id={"type": ids.FLAG_ACK_BUTTON, "flag": 1}, size="sm", color="light",
                          outline=True)
    assert json.loads(to_json_plotly(expected)) == button
