"""Safety rules: a switch and the parameters of each, validated here before anything is saved.

The form is built once per page load from the snapshot and is not redrawn by
the poll, so an operator's half-typed value is never overwritten. Switching a
rule on saves at once; switching one off lowers a protection, so it asks for a
confirmation with a reason first (the reason goes into the audit trail), and
Cancel puts the switch back. Parameters save with their rule's button. Invalid
values get an inline message and ``set_rule`` is not called.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from bot.domain import ControlResult, RuleParam, RuleView
from dashboard import ids
from dashboard.context import DashContext
from dashboard.ids import dom_id

_BOOL_TEXT = {
    "true": "true",
    "1": "true",
    "yes": "true",
    "on": "true",
    "false": "false",
    "0": "false",
    "no": "false",
    "off": "false",
}


def validate_param(param: RuleParam, raw: object) -> tuple[str | None, str | None]:
    """``(clean value, None)`` or ``(None, error)`` for one parameter's raw form value."""
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return None, f"{param.name}: a value is required"
    if param.kind == "bool":
        clean = _BOOL_TEXT.get(text.lower())
        return (clean, None) if clean else (None, f"{param.name}: must be true or false")
    try:
        number = int(text) if param.kind == "int" else float(text)
    except ValueError:
        kind = "a whole number" if param.kind == "int" else "a number"
        return None, f"{param.name}: must be {kind}"
    if isinstance(number, float) and not math.isfinite(number):
        return None, f"{param.name}: must be a finite number"
    if param.minimum is not None and number < param.minimum:
        return None, f"{param.name}: must be ≥ {param.minimum:g}"
    if param.maximum is not None and number > param.maximum:
        return None, f"{param.name}: must be ≤ {param.maximum:g}"
    return str(number), None


def validate_params(
    rule: RuleView, raw: dict[str, object]
) -> tuple[dict[str, str], dict[str, str]]:
    """All of a rule's parameters: the clean values and, per invalid name, its message."""
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for param in rule.params:
        value, error = validate_param(param, raw.get(param.name))
        if error:
            errors[param.name] = error
        elif value is not None:
            clean[param.name] = value
    return clean, errors


def find_rule(rules: Sequence[RuleView], name: object) -> RuleView | None:
    return next((r for r in rules if r.name == name), None)


def result_message(result: ControlResult, success: str) -> html.Span:
    if result.ok:
        return html.Span(success, className="text-success")
    detail = "; ".join(result.errors) or result.message or "refused"
    return html.Span(detail, className="text-danger")


def _param_input(rule: RuleView, p: RuleParam) -> dbc.Row:
    bounds = []
    if p.minimum is not None:
        bounds.append(f"min {p.minimum:g}")
    if p.maximum is not None:
        bounds.append(f"max {p.maximum:g}")
    input_id = {"type": ids.RULE_PARAM, "rule": rule.name, "param": p.name}
    return dbc.Row(
        [
            dbc.Label(
                [p.name, html.Span(f" ({rule.title})", className="visually-hidden")],
                html_for=dom_id(input_id),
                width=5,
                className="small",
            ),
            dbc.Col(
                [
                    dbc.Input(
                        id=input_id,
                        value=p.value,
                        type="text",
                        size="sm",
                    ),
                    dbc.FormText(" · ".join(filter(None, [p.help, ", ".join(bounds)]))),
                ],
                width=7,
            ),
        ],
        className="mb-1",
    )


def render_rule(rule: RuleView) -> html.Div:
    header = dbc.Row(
        [
            dbc.Col(
                [
                    html.Div(rule.title, className="fw-bold"),
                    html.Div(rule.description, className="small text-muted"),
                ]
            ),
            dbc.Col(
                dbc.Switch(
                    id={"type": ids.RULE_SWITCH, "rule": rule.name},
                    value=rule.enabled,
                    disabled=not rule.toggleable,
                    label=[
                        html.Span(f"{rule.title} enabled", className="visually-hidden"),
                        html.Span("always on" if not rule.toggleable else "", **{
                            "aria-hidden": "true"}),
                    ],
                ),
                width="auto",
            ),
        ],
        align="center",
    )
    body: list = [header]
    if rule.params:
        body.extend(_param_input(rule, p) for p in rule.params)
        body.append(
            dbc.Button(
                ["Save", html.Span(f" {rule.title.lower()}", className="visually-hidden")],
                id={"type": ids.RULE_SAVE, "rule": rule.name},
                size="sm",
                color="primary",
                className="mt-1",
            )
        )
    body.append(html.Div(id={"type": ids.RULE_MESSAGE, "rule": rule.name}, className="small mt-1"))
    return html.Div(body, className="list-group-item qs-rule", **{"data-rule": rule.name})


def layout(rules: Sequence[RuleView]) -> dbc.Card:
    items = [render_rule(r) for r in rules] or [
        html.Div("No rules reported", className="list-group-item")
    ]
    return dbc.Card(
        [
            dbc.CardHeader("Safety rules"),
            html.Div(items, className="list-group list-group-flush", id=ids.RULES_CARD),
            dcc.Store(id=ids.RULES_PENDING),
            _confirm_modal(),
        ],
        className="mb-3",
    )


def _confirm_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Switch a safety rule off?")),
            dbc.ModalBody(
                [
                    html.Div(id=ids.RULES_MODAL_BODY),
                    dbc.Label("Reason (required, kept in the audit trail)",
                              html_for=ids.RULES_REASON, className="small mt-2"),
                    dbc.Input(id=ids.RULES_REASON, type="text", maxLength=200, value="",
                              placeholder="why this protection may go"),
                    html.Div(id=ids.RULES_MODAL_ERROR, className="small text-danger mt-1",
                             role="alert"),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button("Cancel", id=ids.RULES_CANCEL, color="secondary"),
                    dbc.Button("Switch off", id=ids.RULES_CONFIRM, color="danger",
                               className="fw-bold"),
                ]
            ),
        ],
        id=ids.RULES_MODAL,
        is_open=False,
        centered=True,
        backdrop="static",  # only Cancel or Switch off close it: never a rule left half-off
        keyboard=False,
    )


def confirm_text(rule: RuleView) -> list:
    return [
        html.P([html.Strong(rule.title), " stops being checked on the next signal."]),
        html.P(rule.description, className="small text-muted") if rule.description else None,
    ]


def clean_reason(raw: object) -> str:
    return " ".join(str(raw or "").split())[:200]


def switch_values(switch_ids: list[dict], rule: str, value: bool) -> list:
    """The value for one rule's switch in an ALL output, no_update for every other."""
    return [value if sid.get("rule") == rule else no_update for sid in switch_ids]


def register(app: Dash, ctx: DashContext) -> None:
    @app.callback(
        Output({"type": ids.RULE_MESSAGE, "rule": MATCH}, "children"),
        Output({"type": ids.RULE_SWITCH, "rule": MATCH}, "value"),
        Output(ids.CONTROL_VERSION, "data", allow_duplicate=True),
        Output(ids.RULES_MODAL, "is_open"),
        Output(ids.RULES_PENDING, "data"),
        Output(ids.RULES_MODAL_BODY, "children"),
        Output(ids.RULES_REASON, "value"),
        Input({"type": ids.RULE_SWITCH, "rule": MATCH}, "value"),
        prevent_initial_call=True,
    )
    def toggle_rule(enabled: bool | None) -> tuple:
        """Save a switch flipped on; for one flipped off, ask why first (the dialog).
        If the bot refuses, the switch goes back to the truth."""
        unchanged = (no_update,) * 7
        name = dash_ctx.triggered_id["rule"] if isinstance(dash_ctx.triggered_id, dict) else None
        rule = find_rule(ctx.source.get().rules, name)
        if rule is None or enabled is None:
            return unchanged
        if not rule.toggleable:
            refusal = html.Span("this rule cannot be switched off", className="text-danger")
            return (refusal, rule.enabled) + unchanged[2:]
        if bool(enabled) == rule.enabled:
            return unchanged
        if not enabled:  # lowering a protection: confirm, with a reason
            waiting = html.Span("waiting for the confirmation…", className="text-warning")
            return (waiting, no_update, no_update, True, rule.name, confirm_text(rule), "")
        result = ctx.control.set_rule(rule.name, True, {}, ctx.actor())
        message = result_message(result, f"{rule.title} switched on")
        return (message, (no_update if result.ok else rule.enabled), ctx.after_control(),
                no_update, no_update, no_update, no_update)

    @app.callback(
        Output({"type": ids.RULE_MESSAGE, "rule": ALL}, "children", allow_duplicate=True),
        Output({"type": ids.RULE_SWITCH, "rule": ALL}, "value", allow_duplicate=True),
        Output(ids.CONTROL_VERSION, "data", allow_duplicate=True),
        Output(ids.RULES_MODAL, "is_open", allow_duplicate=True),
        Output(ids.RULES_PENDING, "data", allow_duplicate=True),
        Output(ids.RULES_MODAL_ERROR, "children"),
        Input(ids.RULES_CONFIRM, "n_clicks"),
        Input(ids.RULES_CANCEL, "n_clicks"),
        State(ids.RULES_PENDING, "data"),
        State(ids.RULES_REASON, "value"),
        State({"type": ids.RULE_SWITCH, "rule": ALL}, "id"),
        prevent_initial_call=True,
    )
    def confirm_off(_confirm, _cancel, pending, reason, switch_ids) -> tuple:
        """Switch off with the reason, or put the switch back on; the dialog closes either
        way, except when the reason is missing."""
        nothing = [no_update] * len(switch_ids)
        rule = find_rule(ctx.source.get().rules, pending)
        if rule is None:
            return nothing, nothing, no_update, False, None, ""
        if dash_ctx.triggered_id == ids.RULES_CANCEL:
            kept = html.Span(f"{rule.title} kept on", className="text-muted")
            return (switch_values(switch_ids, rule.name, kept),
                    switch_values(switch_ids, rule.name, True), no_update, False, None, "")
        why = clean_reason(reason)
        if not why:
            return nothing, nothing, no_update, True, no_update, "A reason is required."
        result = ctx.control.set_rule(rule.name, False, {}, ctx.actor(), why)
        message = result_message(result, f"{rule.title} switched off: {why}")
        restore = nothing if result.ok else switch_values(switch_ids, rule.name, True)
        return (switch_values(switch_ids, rule.name, message), restore, ctx.after_control(),
                False, None, "")

    @app.callback(
        Output({"type": ids.RULE_MESSAGE, "rule": MATCH}, "children", allow_duplicate=True),
        Output({"type": ids.RULE_PARAM, "rule": MATCH, "param": ALL}, "invalid"),
        Output(ids.CONTROL_VERSION, "data", allow_duplicate=True),
        Input({"type": ids.RULE_SAVE, "rule": MATCH}, "n_clicks"),
        State({"type": ids.RULE_PARAM, "rule": MATCH, "param": ALL}, "value"),
        State({"type": ids.RULE_PARAM, "rule": MATCH, "param": ALL}, "id"),
        prevent_initial_call=True,
    )
    def save_params(clicks: int | None, values: list, param_ids: list[dict]) -> tuple:
        name = dash_ctx.triggered_id["rule"] if isinstance(dash_ctx.triggered_id, dict) else None
        rule = find_rule(ctx.source.get().rules, name)
        if not clicks or rule is None:  # the ALL output takes one no_update per parameter
            return no_update, [no_update] * len(param_ids), no_update
        raw = {pid["param"]: v for pid, v in zip(param_ids, values, strict=True)}
        clean, errors = validate_params(rule, raw)
        invalid = [pid["param"] in errors for pid in param_ids]
        if errors:
            message = html.Span("; ".join(errors.values()), className="text-danger qs-invalid")
            return message, invalid, no_update
        result = ctx.control.set_rule(rule.name, None, clean, ctx.actor())
        return result_message(result, f"{rule.title} saved"), invalid, ctx.after_control()
