"""Reject malformed callback requests with 400 before Dash dispatches them.

Dash answers a body it cannot parse with a 500 and a stack trace in the log;
an operator's tool or a probe sending junk should get a plain client error and
change nothing, and real server faults should stay distinguishable from it.
"""

from __future__ import annotations

import logging

from dash import Dash
from flask import Response, request

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"


def callback_body_problem(body: object, callback_map: dict) -> str | None:
    """Why ``body`` is not a request for one of this app's callbacks, or None if it is."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "unknown callback output"
    if not isinstance(body.get("outputs"), dict | list):
        return "outputs must be an object or a list"
    spec = callback_map[output]
    inputs, state = body.get("inputs"), body.get("state", [])
    if not isinstance(inputs, list) or not isinstance(state, list):
        return "inputs and state must be lists"
    if len(inputs) != len(spec["inputs"]) or len(state) != len(spec["state"]):
        return "wrong number of inputs or state values"
    for item in (*inputs, *state):
        entries = item if isinstance(item, list) else [item]
        if not all(isinstance(e, dict) and "id" in e and "property" in e for e in entries):
            return "each input needs an id and a property"
    if not isinstance(body.get("changedPropIds", []), list):
        return "changedPropIds must be a list"
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
