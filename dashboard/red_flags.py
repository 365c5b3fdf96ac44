"""Red-flag alerts as incidents, newest first, each acknowledgeable by the operator.

One failure raises several flags (a stop refused twice, the emergency close, the
loss); the card shows them as one incident with what the bot did about it
(``dashboard.incidents``), the flags themselves folded beneath. The count of
unacknowledged flags shows in the card, in the header and in the browser tab's title,
and "Acknowledge all" clears every flag the page has shown (not one that arrived since).

The list is re-rendered only when a flag arrives, changes its acknowledged state or an
incident's trade is booked (a signature in a store says which), so a poll does not
rebuild it and an acknowledge button is never swapped out under the operator's cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from bot.domain import RedFlagView, Severity, Snapshot, Trade
from dashboard import ids
from dashboard.context import DashContext
from dashboard.elements import el
from dashboard.formatting import fmt_time, fmt_time_utc, utc_attrs
from dashboard.incidents import Incident, group_incidents
from dashboard.polling import PollPart

SEVERITY_COLORS = {Severity.CRITICAL: "danger", Severity.WARNING: "warning", Severity.INFO: "info"}
MAX_SHOWN = 100
TITLE = "QuantShield"


def order_flags(flags: Sequence[RedFlagView]) -> list[RedFlagView]:
    """Newest first; unacknowledged before acknowledged at the same instant."""
    return sorted(flags, key=lambda f: (f.at, not f.acknowledged, f.id), reverse=True)[:MAX_SHOWN]


def flags_signature(flags: Sequence[RedFlagView], trades: Sequence[Trade] = (),
                    unacknowledged: int = 0) -> dict:
    return {"flags": [[f.id, f.acknowledged] for f in order_flags(flags)],
            "closes": [t.id for t in trades], "unacknowledged": unacknowledged}


def shown_up_to(signature: object) -> int | None:
    """The newest flag id the page showed: "acknowledge all" stops there."""
    if not isinstance(signature, dict) or not isinstance(signature.get("flags"), list):
        return None
    flag_ids = [f[0] for f in signature["flags"]
                if isinstance(f, list) and f and isinstance(f[0], int)
                and not isinstance(f[0], bool)]
    return max(flag_ids) if flag_ids else None


def build_incidents(snap: Snapshot) -> list[Incident]:
    return group_incidents(order_flags(snap.red_flags), snap.recent_trades)


def title_for(unacknowledged: int) -> str:
    return f"({unacknowledged}) {TITLE}" if unacknowledged else TITLE


def render_incidents(incidents: Sequence[Incident]) -> list:
    """Wire JSON (``elements.el``): a first load draws up to 100 flags."""
    if not incidents:
        return [el("Div", "No red flags", className="text-muted small p-2")]
    return [_render_incident(i) for i in incidents]


def _labels(incident: Incident) -> list:
    return [el("Span", f"{label} ×{n}" if n > 1 else label,
               className="badge text-bg-dark border me-1 qs-flag-label")
            for label, n in incident.labels]


def _when(incident: Incident) -> dict:
    text = fmt_time_utc(incident.started)
    if incident.ended != incident.started:
        text = f"{fmt_time(incident.started)}–{fmt_time_utc(incident.ended)}"
    return el("Span", text, className="small text-muted", **utc_attrs(incident.started))


def _render_flag_line(f: RedFlagView) -> dict:
    return el(
        "Li",
        [el("Span", fmt_time(f.at), className="text-muted me-1", **utc_attrs(f.at)),
         el("Span", f.label, className="qs-flag-label me-1"), f.message],
        className="small",
        **{"data-flag-id": str(f.id), "data-flag-label": f.label},
    )


def _ack_button(incident: Incident, name: str) -> dict:
    """A dbc.Button as wire JSON (its id is the pattern the acknowledge callback listens to)."""
    label = f" {name} {incident.symbol or ''}".rstrip()
    return {
        "type": "Button",
        "namespace": "dash_bootstrap_components",
        "props": {
            "children": ["Acknowledge", el("Span", label, className="visually-hidden")],
            "id": {"type": ids.FLAG_ACK_BUTTON, "flag": incident.id},
            "size": "sm", "color": "light", "outline": True,
        },
    }


def _render_incident(incident: Incident) -> dict:
    color = SEVERITY_COLORS.get(incident.severity, "secondary")
    name = " ".join(label for label, _ in incident.labels)
    ack = (el("Span", "acknowledged", className="small text-muted") if incident.acknowledged
           else _ack_button(incident, name))
    count = len(incident.flags)
    body: list = [
        el("Div", [
            el("Span", incident.severity.value, className=f"badge text-bg-{color} me-1"),
            *_labels(incident),
            el("Strong", incident.symbol or "", className="me-2"),
            _when(incident),
        ]),
    ]
    if incident.outcome:
        body.append(el("Div", incident.outcome, className="small fw-bold my-1 qs-outcome"))
    if count == 1:
        body.append(el("Div", incident.flags[0].message, className="small my-1"))
    else:
        body.append(el("Details", [
            el("Summary", f"{count} flags", className="small"),
            el("Ul", [_render_flag_line(f) for f in incident.flags],
               className="list-unstyled mb-1 ms-2"),
        ], className="my-1", **{"data-keep-open": f"incident {incident.id}"}))
    body.append(ack)
    return el(
        "Div",
        body,
        className="qs-flag border-start border-3 ps-2 py-1 mb-2 border-"
        + color
        + (" opacity-50" if incident.acknowledged else ""),
        **{"data-incident-id": str(incident.id), "data-incident-labels": name,
           "data-flag-label": incident.flags[0].label, "data-flags": str(count)},
    )


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(
                    [
                        html.Span("Red flags", className="me-2"),
                        dbc.Badge("0", id=ids.FLAGS_BADGE, color="secondary", className="me-auto",
                                  title="unacknowledged"),
                        dbc.Button("Acknowledge all", id=ids.FLAGS_ACK_ALL, size="sm",
                                   color="light", outline=True, disabled=True),
                    ],
                    className="d-flex align-items-center",
                )
            ),
            dbc.CardBody(
                [
                    dcc.Store(id=ids.FLAGS_COUNT, data=0),
                    dcc.Store(id=ids.FLAGS_TITLE),
                    html.Div(id=ids.FLAGS_ACK_RESULT, className="small", role="status"),
                    html.Div(id=ids.FLAGS_LIST, className="qs-scroll qs-flags", tabIndex="0",
                             **{"aria-label": "Red flags"}),
                ]
            ),
        ],
        className="mb-3 h-100",
    )


def render(snap: Snapshot, _now: datetime, shown: dict | None) -> tuple:
    signature = flags_signature(snap.red_flags, snap.recent_trades, snap.unacknowledged_flags)
    if shown == signature:
        return (no_update,) * 8
    n = snap.unacknowledged_flags
    color = "danger" if n else "secondary"
    return (render_incidents(build_incidents(snap)), signature, n, str(n), color, str(n), color,
            n == 0)


def poll_part() -> PollPart:
    return PollPart(
        "red_flags",
        (
            Output(ids.FLAGS_LIST, "children"),
            Output(ids.FLAGS_SIGNATURE, "data"),
            Output(ids.FLAGS_COUNT, "data"),
            Output(ids.HEADER_FLAGS, "children"),
            Output(ids.HEADER_FLAGS, "color"),
            Output(ids.FLAGS_BADGE, "children"),
            Output(ids.FLAGS_BADGE, "color"),
            Output(ids.FLAGS_ACK_ALL, "disabled"),
        ),
        render,
        (State(ids.FLAGS_SIGNATURE, "data"),),
    )


def register(app: Dash, ctx: DashContext) -> None:
    app.clientside_callback(
        f"function(n) {{ document.title = n ? '(' + n + ') {TITLE}' : '{TITLE}'; return n; }}",
        Output(ids.FLAGS_TITLE, "data"),
        Input(ids.FLAGS_COUNT, "data"),
    )

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
        incident = next((i for i in build_incidents(ctx.source.get()) if i.id == flag_id), None)
        targets = incident.unacknowledged if incident is not None else [flag_id]
        actor = ctx.actor()
        results = [ctx.control.acknowledge(t, actor) for t in targets]
        failed = [e for r in results if not r.ok for e in r.errors]
        text = "; ".join(failed) if failed else (
            "acknowledged" if len(targets) <= 1 else f"{len(targets)} flags acknowledged")
        return (html.Span(text, className="text-danger" if failed else "text-success"),
                ctx.after_control())

    @app.callback(
        Output(ids.FLAGS_ACK_RESULT, "children", allow_duplicate=True),
        Output(ids.CONTROL_VERSION, "data", allow_duplicate=True),
        Input(ids.FLAGS_ACK_ALL, "n_clicks"),
        State(ids.FLAGS_SIGNATURE, "data"),
        prevent_initial_call=True,
    )
    def acknowledge_all(clicks: int | None, shown: object) -> tuple:
        up_to = shown_up_to(shown)
        if not clicks or up_to is None:
            return no_update, no_update
        result = ctx.control.acknowledge_all(ctx.actor(), up_to)
        text = result.message or ("; ".join(result.errors) or "refused")
        return (html.Span(text, className="text-success" if result.ok else "text-danger"),
                ctx.after_control())


def clicked_flag(triggered_id: object, triggered: Sequence[dict]) -> int | None:
    """The flag whose button was really clicked; a button merely re-rendered has no clicks."""
    if not isinstance(triggered_id, dict) or triggered_id.get("type") != ids.FLAG_ACK_BUTTON:
        return None
    if not any(t.get("value") for t in triggered):
        return None
    flag = triggered_id.get("flag")
    return flag if isinstance(flag, int) and not isinstance(flag, bool) else None
