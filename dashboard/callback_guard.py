"""Reject malformed callback requests with 400 before Dash dispatches them.

Dash answers a body it cannot parse with a 500 and a stack trace in the log;
an operator's tool or a probe sending junk should get a plain client error and
change nothing, and real server faults should stay distinguishable from it.
"""

from __future__ import annotations

import json
import logging

from dash import Dash
from flask import Response, request

from dashboard import ids

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"

# Values our own page can only ever send with these types; anything else is forged.
VALUE_TYPES: dict[tuple[str, str], tuple[type, ...]] = {
    (ids.CHART_SYMBOL, "value"): (str, type(None)),
    (ids.ACTIVITY_CURSOR, "data"): (dict, type(None)),
    (ids.PAGE_ACTIVE, "data"): (str, type(None)),
    (ids.TRADES_SYMBOL, "value"): (str, type(None)),
    (ids.TRADES_REASON, "value"): (str, type(None)),
    (ids.TRADES_SIDE, "value"): (str, type(None)),
    (ids.TRADES_PAGER, "active_page"): (int, type(None)),
    (ids.PERF_RANGE, "value"): (str, type(None)),
    (ids.SIGNALS_VERDICT, "value"): (str, type(None)),
    (ids.SIGNALS_SYMBOL, "value"): (str, type(None)),
    (ids.SIGNALS_RULE, "value"): (str, type(None)),
    (ids.SIGNALS_PAGER, "active_page"): (int, type(None)),
    (ids.ACTIVITY_LEVEL, "value"): (str, type(None)),
    (ids.ACTIVITY_SYMBOL, "value"): (str, type(None)),
    (ids.ACTIVITY_KIND, "value"): (str, type(None)),
    (ids.ACTIVITY_SEARCH, "value"): (str, type(None)),
}
# What Dash allows at a wildcard's place in a pattern-matching id.
ID_VALUE_TYPES = (str, int, float, bool)


def callback_body_problem(body: object, callback_map: dict) -> str | None:
    """Why ``body`` is not a request for one of this app's callbacks, or None if it is."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "unknown callback output"
    spec = callback_map[output]
    lists: dict[str, list[object]] = {}
    if "output" in spec:
        problem = _outputs_problem(body.get("outputs"), spec["output"], lists)
        if problem:
            return problem
    elif not isinstance(body.get("outputs"), dict | list):
        return "outputs must be an object or a list"
    inputs, state = body.get("inputs"), body.get("state", [])
    if not isinstance(inputs, list) or not isinstance(state, list):
        return "inputs and state must be lists"
    if len(inputs) != len(spec["inputs"]) or len(state) != len(spec["state"]):
        return "wrong number of inputs or state values"
    for item, expected in zip((*inputs, *state), (*spec["inputs"], *spec["state"]),
                              strict=True):
        entries = item if isinstance(item, list) else [item]
        if not all(isinstance(e, dict) and isinstance(e.get("id"), str | dict)
                   and isinstance(e.get("property"), str) for e in entries):
            return "each input needs an id and a property"
        if any(e["property"] != expected.get("property", e["property"]) for e in entries):
            return "inputs do not match the callback"
        if _ids_problem(item, expected["id"], lists):
            return "inputs do not match the callback"
        if any(e["property"] == "id" and e.get("value") != e["id"] for e in entries):
            return "an id property must hold the component's own id"
        for e in entries:
            allowed = VALUE_TYPES.get((e["id"], e["property"])) if isinstance(e["id"], str) \
                else None
            if allowed and not isinstance(e.get("value"), allowed):
                return f"{e['id']}.{e['property']} has a value of the wrong type"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds must be a list of strings"
    sent = [(e["id"], e["property"]) for item in inputs
            for e in (item if isinstance(item, list) else [item])]
    if any(_prop_id(c) not in sent for c in changed):
        return "changedPropIds must name inputs of the callback"
    return None


def _ids_problem(item: object, spec_id: str, lists: dict[str, list[object]]) -> bool:
    """True unless the ids in ``item`` are ones the page could send for ``spec_id``.

    A plain id must be that id. A pattern (JSON) needs a list exactly when it has ALL or
    ALLSMALLER, its keys, its fixed values and a plain value at each wildcard; lists for the
    same pattern (outputs, inputs, state) must name the same components, in the same order.
    """
    if not spec_id.startswith("{"):
        return not isinstance(item, dict) or item.get("id") != spec_id
    pattern = json.loads(spec_id)
    many = any(v in (["ALL"], ["ALLSMALLER"]) for v in pattern.values())
    if isinstance(item, list) != many:
        return True
    sent = [e.get("id") for e in (item if isinstance(item, list) else [item])]
    if not all(_fits(component_id, pattern) for component_id in sent):
        return True
    return many and lists.setdefault(spec_id, sent) != sent


def _fits(component_id: object, pattern: dict) -> bool:
    return isinstance(component_id, dict) and component_id.keys() == pattern.keys() and all(
        isinstance(component_id[key], ID_VALUE_TYPES) if isinstance(want, list)
        else component_id[key] == want for key, want in pattern.items())


def _prop_id(changed: str) -> tuple[object, str] | None:
    """``"<id>.<property>"`` as (id, property); a pattern id is JSON (its key order free)."""
    component_id, _, prop = changed.rpartition(".")
    if not component_id.startswith("{"):
        return component_id, prop
    try:
        return json.loads(component_id), prop
    except (ValueError, RecursionError):
        return None


def _outputs_problem(
    outputs: object, expected: object, lists: dict[str, list[object]],
) -> str | None:
    """The request's outputs must name exactly the callback's outputs, in order."""
    many = isinstance(expected, list | tuple)
    wanted = list(expected) if many else [expected]
    given = outputs if many else [outputs]
    if not isinstance(given, list) or len(given) != len(wanted):
        return "outputs do not match the callback"
    for item, out in zip(given, wanted, strict=True):
        if out is None:
            return "outputs do not match the callback"
        if isinstance(item, list) and not isinstance(out.component_id, dict):
            return "outputs do not match the callback"  # only ALL/ALLSMALLER patterns send lists
        matches = item if isinstance(item, list) else [item]  # pattern outputs: one per match
        for one in matches:
            if not isinstance(one, dict) or not isinstance(one.get("property"), str):
                return "each output needs an id and a property"
            if one["property"].split("@", 1)[0] != out.component_property:
                return "outputs do not match the callback"
            if isinstance(out.component_id, str) and one.get("id") != out.component_id:
                return "outputs do not match the callback"
        if isinstance(out.component_id, dict) and _ids_problem(item, out.component_id_str(),
                                                               lists):
            return "outputs do not match the callback"
    return None


def install_request_validation(app: Dash) -> None:
    prefix = app.config.requests_pathname_prefix.rstrip("/")

    def _qs_validate_callback() -> Response | None:
        if request.method != "POST" or request.path != prefix + CALLBACK_PATH:
            return None
        problem = callback_body_problem(request.get_json(silent=True), app.callback_map)
        if problem is None:
            return None
        log.warning("[DASH] Rejected malformed callback request: %s", problem)
        return Response(problem, status=400, mimetype="text/plain")

    # right after the security guard, before Dash's own request setup
    funcs = app.server.before_request_funcs.setdefault(None, [])
    funcs.insert(min(1, len(funcs)), _qs_validate_callback)
