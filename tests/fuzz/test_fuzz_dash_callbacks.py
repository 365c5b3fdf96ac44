"""``/_dash-update-component`` under malformed bodies: a client error, never a 500.

Starts from the bodies the renderer really posts (kill switch, chart, poll) and
breaks one part at a time. A refused request must not reach the control API.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.app import create_app
from tests.fixtures.dashboard import FakeControl
from tests.fixtures.security import chart_body, kill_confirm_body, poll_body

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
HOST = {"Host": "127.0.0.1:8050"}
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)



class Dash:
    def __init__(self) -> None:
        self.control = FakeControl()
        self.app = create_app(self.control, mode_label="paper", snapshot_ttl=0)
        self.app.server.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production
        self.client = self.app.server.test_client()
        self.deps = self.client.get("/_dash-dependencies", headers=HOST).get_json()
        self.bodies = [kill_confirm_body(self.deps, "HALT", "fuzz"),
                       chart_body(self.deps, "ATOMUSDT"), poll_body(self.deps)]

    def post(self, body: object):
        return self.client.post("/_dash-update-component", data=json.dumps(body),
                                content_type="application/json", headers=HOST)


@pytest.fixture(scope="module")
def dash() -> Dash:
    return Dash()


def test_real_bodies_when_posted_then_200(dash: Dash):
    """The positive control: unbroken bodies are answered, and the kill switch runs."""
    for body in dash.bodies:
        assert dash.post(body).status_code in (200, 204)
    assert dash.control.calls_to("kill_switch")


@FUZZ
@given(which=st.integers(0, 2),
       part=st.sampled_from(["output", "outputs", "inputs", "state", "changedPropIds"]),
       value=JSON)
def test_one_part_replaced_when_posted_then_never_500(dash: Dash, which, part, value):
    body = copy.deepcopy(dash.bodies[which])
    body[part] = value
    calls = len(dash.control.calls)
    response = dash.post(body)
    assert response.status_code < 500, (part, value, response.get_data()[:200])
    if response.status_code >= 400:
        assert len(dash.control.calls) == calls


@FUZZ
@given(which=st.integers(0, 2), index=st.integers(0, 10),
       field=st.sampled_from(["id", "property", "value"]), value=JSON)
def test_one_input_field_replaced_when_posted_then_never_500(dash: Dash, which, index, field,
                                                             value):
    body = copy.deepcopy(dash.bodies[which])
    items = body["inputs"] + body["state"]
    target = items[index % len(items)]
    if isinstance(target, list):
        if not target:
            return
        target = target[0]
    target[field] = value
    response = dash.post(body)
    assert response.status_code < 500, (field, value, response.get_data()[:200])


@pytest.mark.parametrize("mutate", ["empty", "hash_suffix", "other_id"])
def test_outputs_not_matching_callback_when_posted_then_400(dash: Dash, mutate: str):
    body = copy.deepcopy(dash.bodies[0])
    if mutate == "empty":
        body["outputs"] = []
    elif mutate == "hash_suffix":
        body["outputs"][-1]["property"] = body["output"].rsplit(".", 1)[1].rstrip(".")
    else:
        body["outputs"][-1]["id"] = "no-such-component"
    calls = len(dash.control.calls)
    response = dash.post(body)
    assert response.status_code == 400, response.status_code
    assert len(dash.control.calls) == calls


@pytest.mark.parametrize("value", [[None], {"a": 1}, ["ATOMUSDT"]])
def test_chart_symbol_not_a_string_when_posted_then_4xx(dash: Dash, value):
    body = copy.deepcopy(dash.bodies[1])
    body["inputs"][0]["value"] = value
    assert 400 <= dash.post(body).status_code < 500


@pytest.mark.parametrize("value", [[None], [1, 2], "cursor"])
def test_activity_cursor_not_an_object_when_polled_then_4xx_or_full_refresh(dash: Dash, value):
    body = copy.deepcopy(dash.bodies[2])
    [cursor] = [s for s in body["state"] if s["id"] == "activity-cursor"]
    cursor["value"] = value
    assert dash.post(body).status_code < 500
