"""The panel's callbacks over HTTP, posting what the dash renderer posts, with the runtime's
NotificationControl over a notifier whose channel is a hand-written sender."""

from __future__ import annotations

import json

import pytest

from bot.domain import Kpis
from bot.domain.notify import NotifyCategory, NotifyLevel
from bot.notify.channel import Channel, DeliveryPolicy
from bot.notify.notifier import Notifier
from bot.runtime.notify_control import NotificationControl
from dashboard import create_app, ids
from dashboard.kpis import build_kpi_tiles
from tests.fixtures.dashboard import FakeControl, dependency_body, find_dependency
from tests.fixtures.paper import eventually
from tests.unit.notify.fakes import FakeSender
from tests.unit.notify.test_notify_settings import FakeLevelStore

HOST = {"Host": "127.0.0.1:8050"}


@pytest.fixture
def rig():
    sender = FakeSender()
    notifier = Notifier([Channel("json://127.0.0.1:9", sender, DeliveryPolicy())])
    notifier.start()
    store = FakeLevelStore({})
    app = create_app(FakeControl(), mode_label="paper", snapshot_ttl=0,
                     notifications=NotificationControl(notifier, store))
    yield app.server.test_client(), notifier, sender, store
    notifier.stop(timeout=2)


def level_body(category: str, value: str) -> dict:
    def pid(kind: str) -> dict:
        return {"category": category, "type": kind}

    pattern = '{"category":["MATCH"],"type":"%s"}'
    return {
        "output": f"..{pattern % ids.NOTIFY_LEVEL_MSG}.children...{pattern % ids.NOTIFY_LEVEL}"
                  ".value..",
        "outputs": [{"id": pid(ids.NOTIFY_LEVEL_MSG), "property": "children"},
                    {"id": pid(ids.NOTIFY_LEVEL), "property": "value"}],
        "inputs": [{"id": pid(ids.NOTIFY_LEVEL), "property": "value", "value": value}],
        "changedPropIds": [json.dumps(pid(ids.NOTIFY_LEVEL), separators=(",", ":"))
                           + ".value"],
        "state": [],
    }


def post(client, body) -> dict:
    resp = client.post("/_dash-update-component", json=body, headers=HOST)
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"]


def test_layout_when_notifier_wired_then_panel_lists_channel_and_levels(rig):
    client, *_ = rig
    layout = client.get("/_dash-layout", headers=HOST).get_data(as_text=True)
    assert ids.NOTIFY_CARD in layout and "json:\\u002f\\u002f127.0.0.1:9" in layout
    assert "Position naked past grace" in layout


def test_level_callback_when_entry_set_silent_then_effective_and_saved(rig):
    client, notifier, _, store = rig
    response = post(client, level_body("entry", "silent"))
    assert "entry silent" in json.dumps(response)
    assert notifier.level(NotifyCategory.ENTRY) is NotifyLevel.SILENT
    assert store.saved == {"notify.level.entry": "silent"}


def test_level_callback_when_always_on_set_off_then_refused_and_reverted(rig):
    client, notifier, _, store = rig
    response = post(client, level_body("naked", "off"))
    reverted = response[json.dumps({"category": "naked", "type": ids.NOTIFY_LEVEL},
                                   separators=(",", ":"))]
    assert reverted["value"] == "on" and "always on" in json.dumps(response)
    assert notifier.level(NotifyCategory.NAKED) is NotifyLevel.ON and store.saved == {}


def test_test_button_when_clicked_then_message_goes_to_channel(rig):
    client, notifier, sender, _ = rig
    body = {"output": f"{ids.NOTIFY_TEST_RESULT}.children",
            "outputs": {"id": ids.NOTIFY_TEST_RESULT, "property": "children"},
            "inputs": [{"id": ids.NOTIFY_TEST, "property": "n_clicks", "value": 1}],
            "changedPropIds": [f"{ids.NOTIFY_TEST}.n_clicks"], "state": []}
    assert "test queued" in json.dumps(post(client, body))
    eventually(lambda: sender.sent)
    assert sender.sent[0].title == "INFO: test notification"


def poll_body(client, **values) -> dict:
    dep = find_dependency(client, HOST, input_id=ids.POLL_INTERVAL, output_prefix=ids.HEADER_STATUS)
    kpi_ids = [{"kpi": t.key, "type": ids.KPI_VALUE} for t in build_kpi_tiles(Kpis())]
    return dependency_body(dep, {f"{ids.POLL_INTERVAL}.n_intervals": 1, **values},
                           [f"{ids.POLL_INTERVAL}.n_intervals"], expand={ids.KPI_VALUE: kpi_ids})


def test_poll_when_delivery_happened_then_history_redrawn_once(rig):
    client, notifier, sender, _ = rig
    notifier.send_test("alice")
    eventually(lambda: notifier.status().history)
    first = post(client, poll_body(client))
    assert "INFO: test notification" in json.dumps(first[ids.NOTIFY_HISTORY])
    signature = first[ids.NOTIFY_SIGNATURE]["data"]
    again = post(client, poll_body(client, **{f"{ids.NOTIFY_SIGNATURE}.data": signature}))
    assert ids.NOTIFY_HISTORY not in again  # unchanged: no_update
