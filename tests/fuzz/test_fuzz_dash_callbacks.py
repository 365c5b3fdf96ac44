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

from dashboard import ids
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
RULE = "max_positions_per_symbol"
SAVE_ID = {"rule": RULE, "type": ids.RULE_SAVE}
PARAM_ID = {"param": "limit", "rule": RULE, "type": ids.RULE_PARAM}


def rule_save_body(deps: list[dict], value: object = "3") -> dict:
    """A rule's Save click: pattern ids, MATCH on the rule and ALL over its parameters."""
    dep = next(d for d in deps if d["inputs"][0]["id"].startswith("{")
               and ids.RULE_SAVE in d["inputs"][0]["id"])
    return {
        "output": dep["output"],
        "outputs": [{"id": {"rule": RULE, "type": ids.RULE_MESSAGE}, "property": "children"},
                    [{"id": PARAM_ID, "property": "invalid"}],
                    {"id": ids.CONTROL_VERSION, "property": "data"}],
        "inputs": [{"id": SAVE_ID, "property": "n_clicks", "value": 1}],
        "state": [[{"id": PARAM_ID, "property": "value", "value": value}],
                  [{"id": PARAM_ID, "property": "id", "value": PARAM_ID}]],
        "changedPropIds": [json.dumps(SAVE_ID, separators=(",", ":"), sort_keys=True)
                           + ".n_clicks"],
    }



class Dash:
    def __init__(self) -> None:
        self.control = FakeControl()
        self.app = create_app(self.control, mode_label="paper", snapshot_ttl=0)
        self.app.server.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production
        self.client = self.app.server.test_client()
        self.deps = self.client.get("/_dash-dependencies", headers=HOST).get_json()
        self.bodies = [kill_confirm_body(self.deps, "HALT", "fuzz"),
                       chart_body(self.deps, "ATOMUSDT"), poll_body(self.deps),
                       rule_save_body(self.deps)]

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
    assert dash.control.calls_to("set_rule")[-1].args[:3] == (RULE, None, {"limit": "3"})


@FUZZ
@given(which=st.integers(0, 3),
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
@given(which=st.integers(0, 3), index=st.integers(0, 10),
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


def _forged_rule_save(dash: Dash, change: str) -> dict:
    body = rule_save_body(dash.deps)
    values, param_ids = body["state"]
    if change.startswith("id value "):
        param_ids[0]["value"] = json.loads(change.removeprefix("id value "))
    elif change == "no ids":
        param_ids.clear()
    elif change == "ids not a list":
        body["state"][1] = param_ids[0]
    elif change == "an extra id":
        param_ids.append({"id": {**PARAM_ID, "param": "x"}, "property": "id",
                          "value": {**PARAM_ID, "param": "x"}})
    elif change == "ids without param":
        for entry in values + param_ids + body["outputs"][1]:
            entry["id"] = {"rule": RULE, "type": ids.RULE_PARAM}
        param_ids[0]["value"] = param_ids[0]["id"]
    elif change == "changed id not JSON":
        body["changedPropIds"] = ['{"rule":.n_clicks']
    elif change == "changed id not an input":
        body["changedPropIds"] = [f'{{"rule":[1],"type":"{ids.RULE_SAVE}"}}.n_clicks']
    return body


@pytest.mark.parametrize("change", [
    'id value "limit"', "id value null", "id value 7", 'id value {"rule": "x"}', "no ids",
    "ids not a list", "an extra id", "ids without param", "changed id not JSON",
    "changed id not an input",
])
def test_rule_save_with_forged_parameter_ids_when_posted_then_400(dash: Dash, change: str):
    """Dash hands these to the callback as they come; the page can only send its own ids."""
    calls = len(dash.control.calls)
    response = dash.post(_forged_rule_save(dash, change))
    assert response.status_code == 400, (response.status_code, response.get_data()[:200])
    assert len(dash.control.calls) == calls


@pytest.mark.parametrize(("part", "value"), [("n_clicks", None), ("changedPropIds", [])])
def test_rule_save_without_click_or_trigger_when_posted_then_nothing_and_no_500(
        dash: Dash, part: str, value: object):
    body = rule_save_body(dash.deps)
    if part == "n_clicks":
        body["inputs"][0]["value"] = value
    else:
        body[part] = value
    calls = len(dash.control.calls)
    response = dash.post(body)
    assert response.status_code in (200, 204), (response.status_code, response.get_data()[:200])
    assert len(dash.control.calls) == calls
