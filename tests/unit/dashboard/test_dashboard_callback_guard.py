"""The shape check in front of ``/_dash-update-component``, as a pure function."""

from __future__ import annotations

import pytest

from dashboard.callback_guard import callback_body_problem

CALLBACKS = {
    "a.children": {
        "inputs": [{"id": "i", "property": "n"}],
        "state": [{"id": "s", "property": "v"}],
    }
}
GOOD = {
    "output": "a.children",
    "outputs": {"id": "a", "property": "children"},
    "inputs": [{"id": "i", "property": "n", "value": 1}],
    "state": [{"id": "s", "property": "v", "value": None}],
    "changedPropIds": ["i.n"],
}


def test_a_well_formed_request_passes():
    assert callback_body_problem(GOOD, CALLBACKS) is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"output": "b.children"}, "unknown callback"),
        ({"outputs": "a"}, "outputs"),
        ({"inputs": {}}, "lists"),
        ({"inputs": []}, "number"),
        ({"state": []}, "number"),
        ({"inputs": [{"id": "i"}]}, "id and a property"),
        ({"inputs": [[{"property": "n"}]]}, "id and a property"),
        ({"changedPropIds": "i.n"}, "changedPropIds"),
    ],
)
def test_each_malformed_part_is_named(change, problem):
    assert problem in callback_body_problem({**GOOD, **change}, CALLBACKS)


@pytest.mark.parametrize("body", [None, [], "x", 3])
def test_a_body_that_is_not_an_object_is_refused(body):
    assert callback_body_problem(body, CALLBACKS) == "body must be a JSON object"


SAVE = '{"rule":["MATCH"],"type":"save"}'
PARAMS = '{"param":["ALL"],"rule":["MATCH"],"type":"param"}'
PATTERNS = {"p.children": {"inputs": [{"id": SAVE, "property": "n_clicks"}],
                           "state": [{"id": PARAMS, "property": "value"},
                                     {"id": PARAMS, "property": "id"}]}}
SAVE_ID = {"rule": "r", "type": "save"}
P1, P2 = ({"param": p, "rule": "r", "type": "param"} for p in ("a", "b"))


def _pattern_body(values=None, param_ids=None, changed=None) -> dict:
    return {
        "output": "p.children",
        "outputs": {"id": "p", "property": "children"},
        "inputs": [{"id": SAVE_ID, "property": "n_clicks", "value": 1}],
        "state": [values if values is not None else
                  [{"id": p, "property": "value", "value": "1"} for p in (P1, P2)],
                  param_ids if param_ids is not None else
                  [{"id": p, "property": "id", "value": p} for p in (P1, P2)]],
        "changedPropIds": changed if changed is not None
        else ['{"rule":"r","type":"save"}.n_clicks'],
    }


def test_a_well_formed_pattern_request_passes():
    assert callback_body_problem(_pattern_body(), PATTERNS) is None
    reordered = _pattern_body(changed=['{"type":"save","rule":"r"}.n_clicks'])
    assert callback_body_problem(reordered, PATTERNS) is None


@pytest.mark.parametrize(("body", "problem"), [
    (_pattern_body(param_ids=[{"id": P1, "property": "id", "value": "a"},
                              {"id": P2, "property": "id", "value": P2}]), "own id"),
    (_pattern_body(param_ids=[{"id": P1, "property": "id", "value": None},
                              {"id": P2, "property": "id", "value": P2}]), "own id"),
    (_pattern_body(param_ids=[{"id": P1, "property": "id", "value": 7},
                              {"id": P2, "property": "id", "value": P2}]), "own id"),
    (_pattern_body(param_ids=[{"id": P1, "property": "id", "value": {"rule": "r"}},
                              {"id": P2, "property": "id", "value": P2}]), "own id"),
    (_pattern_body(param_ids=[{"id": P1, "property": "id", "value": P1}]), "do not match"),
    (_pattern_body(param_ids=[{"id": P2, "property": "id", "value": P2},
                              {"id": P1, "property": "id", "value": P1}]), "do not match"),
    (_pattern_body(param_ids={"id": P1, "property": "id", "value": P1}), "do not match"),
    (_pattern_body(values=[{"id": {"rule": "r", "type": "param"}, "property": "value"}],
                   param_ids=[{"id": {"rule": "r", "type": "param"}, "property": "id",
                               "value": {"rule": "r", "type": "param"}}]), "do not match"),
    (_pattern_body(values=[{"id": {**P1, "type": "other"}, "property": "value"}],
                   param_ids=[{"id": {**P1, "type": "other"}, "property": "id",
                               "value": {**P1, "type": "other"}}]), "do not match"),
    (_pattern_body(values=[{"id": {**P1, "param": [1]}, "property": "value"}],
                   param_ids=[{"id": {**P1, "param": [1]}, "property": "id",
                               "value": {**P1, "param": [1]}}]), "do not match"),
    (_pattern_body(changed=['{"rule":.n_clicks']), "changedPropIds"),
    (_pattern_body(changed=["[1].n_clicks"]), "changedPropIds"),
    (_pattern_body(changed=['{"rule":"other","type":"save"}.n_clicks']), "changedPropIds"),
    ({**GOOD, "inputs": [{"id": "other", "property": "n", "value": 1}]}, "do not match"),
])
def test_ids_the_page_could_not_send_are_refused(body, problem):
    callbacks = PATTERNS if body["output"] == "p.children" else CALLBACKS
    assert problem in (callback_body_problem(body, callbacks) or "")
