"""The connection watchdog's wiring: the browser side lives in assets/qs-connection.js."""

from __future__ import annotations

import re

from dashboard import create_app, ids
from dashboard.app import ASSETS_DIR
from dashboard.connection import JS_FUNCTION, JS_NAMESPACE, watchdog_ms
from tests.fixtures.dashboard import FakeControl

HOST = {"Host": "127.0.0.1:8050"}
JS = ASSETS_DIR / "qs-connection.js"


def _deps():
    app = create_app(FakeControl(), mode_label="paper", poll_ms=2000)
    return app.server.test_client().get("/_dash-dependencies", headers=HOST).get_json()


def test_connection_watchdog_when_registered_then_clientside_and_can_reenable_both_polls():
    (dep,) = [d for d in _deps()
              if (d.get("clientside_function") or {}).get("namespace") == JS_NAMESPACE]
    assert dep["clientside_function"] == {"namespace": JS_NAMESPACE, "function_name": JS_FUNCTION}
    outputs = dep["output"].strip(".").split("...")
    assert outputs[0] == f"{ids.CONNECTION_STATUS}.children"
    assert any(o.startswith(f"{ids.POLL_INTERVAL}.disabled") for o in outputs)
    assert any(o.startswith(f"{ids.CHART_TICK}.disabled") for o in outputs)
    assert {i["id"] for i in dep["inputs"]} == {ids.LIVE_WATCHDOG, ids.LIVE_HEARTBEAT}


def test_connection_poll_when_registered_then_heartbeat_is_an_output():
    (poll,) = [d for d in _deps() if any(i["id"] == ids.POLL_INTERVAL for i in d["inputs"])]
    assert poll["output"].strip(".").split("...")[-1] == f"{ids.LIVE_HEARTBEAT}.data"


def test_connection_js_when_read_then_watches_the_ids_the_python_side_uses():
    source = JS.read_text()
    guarded = re.search(r"var GUARDED = \[([^\]]*)\]", source).group(1)
    assert [s.strip().strip('"') for s in guarded.split(",")] == [ids.POLL_INTERVAL,
                                                                  ids.CHART_TICK]
    assert f'"{ids.LIVE_HEARTBEAT}.' in source
    assert f"dash_clientside.{JS_NAMESPACE} =" in source and f"{JS_FUNCTION}: " in source


def test_connection_layout_when_served_then_status_element_and_watchdog_on_page():
    app = create_app(FakeControl(), mode_label="paper", poll_ms=2000)
    layout = app.server.test_client().get("/_dash-layout", headers=HOST).get_data(as_text=True)
    assert ids.CONNECTION_STATUS in layout and ids.LIVE_WATCHDOG in layout
    assert watchdog_ms(2000) == 500 and watchdog_ms(500) == 200 and watchdog_ms(60_000) == 1000
