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
