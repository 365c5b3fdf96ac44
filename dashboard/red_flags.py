"""Red-flag alerts, newest first, each acknowledgeable by the operator.

The list is re-rendered only when a flag arrives or changes its acknowledged
state (a signature in a store says which), so a poll does not rebuild it and
an acknowledge button is never swapped out under the operator's cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, html, no_update
from dash import ctx as dash_ctx

from bot.domain import RedFlagView, Severity, Snapshot
from dashboard import ids
from dashboard.context import DashContext
from dashboard.formatting import fmt_time
from dashboard.polling import PollPart

SEVERITY_COLORS = {Severity.CRITICAL: "danger", Severity.WARNING: "warning", Severity.INFO: "info"}
MAX_SHOWN = 100


def order_flags(flags: Sequence[RedFlagView]) -> list[RedFlagView]:
    """Newest first; unacknowledged before acknowledged at the same instant."""
    return sorted(flags, key=lambda f: (f.at, not f.acknowledged, f.id), reverse=True)[:MAX_SHOWN]


def flags_signature(flags: Sequence[RedFlagView]) -> list[list]:
    return [[f.id, f.acknowledged] for f in order_flags(flags)]


def render_flags(flags: Sequence[RedFlagView]) -> list:
    ordered = order_flags(flags)
    if not ordered:
        return [html.Div("No red flags", className="text-muted small p-2")]
    return [_render_flag(f) for f in ordered]


def _render_flag(f: RedFlagView) -> html.Div:
    color = SEVERITY_COLORS.get(f.severity, "secondary")
    ack = (
        html.Span("acknowledged", className="small text-muted")
        if f.acknowledged
        else dbc.Button(
            "Acknowledge",
            id={"type": ids.FLAG_ACK_BUTTON, "flag": f.id},
            size="sm",
            color="light",
            outline=True,
        )
    )
    return html.Div(
        [
            html.Div(
                [
                    html.Span(f.severity.value, className=f"badge text-bg-{color} me-1"),
                    html.Span(f.label, className="badge text-bg-dark border me-1 qs-flag-label"),
                    html.Strong(f.symbol or "", className="me-2"),
                    html.Span(fmt_time(f.at), className="small text-muted"),
                ]
            ),
            html.Div(f.message, className="small my-1"),
            ack,
        ],
        className="qs-flag border-start border-3 ps-2 py-1 mb-2 border-"
        + color
        + (" opacity-50" if f.acknowledged else ""),
        **{"data-flag-id": str(f.id), "data-flag-label": f.label},
    )


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Red flags"),
            dbc.CardBody(
                [
                    html.Div(id=ids.FLAGS_ACK_RESULT, className="small"),
                    html.Div(id=ids.FLAGS_LIST, className="qs-scroll qs-flags"),
                ]
            ),
        ],
        className="mb-3 h-100",
    )


def render(snap: Snapshot, _now: datetime, shown: list | None) -> tuple:
    signature = flags_signature(snap.red_flags)
    if shown == signature:
        return no_update, no_update
    return render_flags(snap.red_flags), signature


def poll_part() -> PollPart:
    return PollPart(
        "red_flags",
        (Output(ids.FLAGS_LIST, "children"), Output(ids.FLAGS_SIGNATURE, "data")),
        render,
        (State(ids.FLAGS_SIGNATURE, "data"),),
    )


def register(app: Dash, ctx: DashContext) -> None:
    @app.callback(
        Output(ids.FLAGS_ACK_RESULT, "children"),
        Output(ids.CONTROL_VERSION, "data", allow_duplicate=True),
        Input({"type": ids.FLAG_ACK_BUTTON, "flag": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def acknowledge(clicks: list[int | None]) -> tuple:
        flag_id = clicked_flag(dash_ctx.triggered_id, dash_ctx.triggered)
        if flag_id is None:
            return no_update, no_update
        result = ctx.control.acknowledge(flag_id, ctx.actor())
        text = result.message or ("acknowledged" if result.ok else "; ".join(result.errors))
        return (
            html.Span(text, className="text-success" if result.ok else "text-danger"),
            ctx.after_control(),
        )


def clicked_flag(triggered_id: object, triggered: Sequence[dict]) -> int | None:
    """The flag whose button was really clicked; a button merely re-rendered has no clicks."""
    if not isinstance(triggered_id, dict) or triggered_id.get("type") != ids.FLAG_ACK_BUTTON:
        return None
    if not any(t.get("value") for t in triggered):
        return None
    flag = triggered_id.get("flag")
    return flag if isinstance(flag, int) else None
