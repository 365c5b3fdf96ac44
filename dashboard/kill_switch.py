"""The kill switch: HALT, FLATTEN and RESUME, each behind a confirmation dialog.

The buttons live in the sticky header (reachable from any scroll position and
on a phone); only the moves the bot accepts from the current state are
enabled. One callback owns the dialog and the action, keyed by which button
fired, so a second click while the first is in flight lands on the same
idempotent path (HALT twice is HALT) rather than being dropped. The buttons
are static in the layout, never re-rendered, so their click counts never
reset. Each opening starts clean (no old reason, no old result), and FLATTEN's
confirmation lists the positions and the notional it will close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, html, no_update
from dash import ctx as dash_ctx

from bot.domain import KillAction, KillState, PositionView, Snapshot
from dashboard import ids
from dashboard.context import DashContext
from dashboard.formatting import fmt_money, fmt_qty
from dashboard.polling import PollPart

_BUTTON_ACTION = {
    ids.KILL_HALT: KillAction.HALT,
    ids.KILL_FLATTEN: KillAction.FLATTEN,
    ids.KILL_RESUME: KillAction.RESUME,
}
CONFIRM_TEXT = {
    KillAction.HALT: "HALT: no new entries, pending entry orders cancelled. Stops stay and the "
    "monitor keeps protecting open positions.",
    KillAction.FLATTEN: "FLATTEN: halt, then close EVERY open position at market (reduce-only) "
    "and cancel each stop once its position is gone.",
    KillAction.RESUME: "RESUME: allow new entries again.",
}
# The moves the bot's kill switch accepts (bot.decisions.killswitch); FLATTENING settles
# in HALTED by itself once every position is closed, and only then can it be resumed.
LEGAL_ACTIONS: dict[KillState, frozenset[KillAction]] = {
    KillState.RUNNING: frozenset({KillAction.HALT, KillAction.FLATTEN}),
    KillState.HALTED: frozenset({KillAction.FLATTEN, KillAction.RESUME}),
    KillState.FLATTENING: frozenset(),
}
BUTTON_ORDER = (ids.KILL_HALT, ids.KILL_FLATTEN, ids.KILL_RESUME)


def legal_actions(state: str) -> frozenset[KillAction]:
    """What the operator may ask for now; an unknown state allows nothing but a HALT."""
    try:
        return LEGAL_ACTIONS[KillState(state)]
    except ValueError:
        return frozenset({KillAction.HALT})


def button_disabled(state: str) -> tuple[bool, bool, bool]:
    """``disabled`` of HALT, FLATTEN and RESUME, in that order."""
    legal = legal_actions(state)
    return tuple(_BUTTON_ACTION[b] not in legal for b in BUTTON_ORDER)  # type: ignore[return-value]


@dataclass(frozen=True)
class FlattenLine:
    symbol: str
    side: str
    quantity: str
    notional: Decimal


def flatten_lines(positions: Sequence[PositionView]) -> list[FlattenLine]:
    """What FLATTEN will close: each position at its mark price, largest notional first."""
    lines = [
        FlattenLine(p.symbol, p.direction.value, fmt_qty(p.quantity, p.qty_decimals),
                    abs(p.quantity * p.mark_price))
        for p in positions
    ]
    return sorted(lines, key=lambda ln: (-ln.notional, ln.symbol))


def confirm_body(action: KillAction, positions: Sequence[PositionView]) -> list:
    """The dialog's text; FLATTEN adds the list of positions and the total notional."""
    body: list = [html.P(CONFIRM_TEXT[action])]
    if action is not KillAction.FLATTEN:
        return body
    lines = flatten_lines(positions)
    if not lines:
        body.append(html.P("No open positions: nothing to close.", className="text-muted"))
        return body
    total = sum((ln.notional for ln in lines), Decimal(0))
    rows = [
        html.Tr([html.Td(ln.symbol), html.Td(ln.side), html.Td(ln.quantity, className="qs-num"),
                 html.Td(fmt_money(ln.notional), className="qs-num")])
        for ln in lines
    ]
    body.append(
        html.Div(
            html.Table(
                [
                    html.Caption(
                        f"{len(lines)} position{'s' if len(lines) != 1 else ''} to close, "
                        f"{fmt_money(total)} USDT notional at mark",
                        className="caption-top fw-bold",
                    ),
                    html.Thead(html.Tr([html.Th("Symbol", scope="col"),
                                        html.Th("Side", scope="col"),
                                        html.Th("Qty", scope="col", className="qs-num"),
                                        html.Th("Notional (USDT)", scope="col",
                                                className="qs-num")])),
                    html.Tbody(rows),
                ],
                className="table table-sm mb-0",
                id=ids.KILL_FLATTEN_LIST,
            ),
            className="qs-scroll qs-flatten-list",
        )
    )
    return body


@dataclass(frozen=True)
class KillStep:
    """What one click does to the dialog: open it for an action, close it, or run the action."""

    open_for: KillAction | None = None
    run: KillAction | None = None
    close: bool = False


def next_step(trigger: object, pending: str | None) -> KillStep:
    """Pure dialog logic: a main button opens the dialog, confirm runs the pending action."""
    if trigger in _BUTTON_ACTION:
        return KillStep(open_for=_BUTTON_ACTION[trigger])
    if trigger == ids.KILL_CANCEL:
        return KillStep(close=True)
    if trigger == ids.KILL_CONFIRM:
        try:
            return KillStep(run=KillAction(pending), close=True)
        except ValueError:
            return KillStep(close=True)
    return KillStep()


def render_state(snap: Snapshot, _now: datetime) -> tuple:
    """The state in words, with the reason it was engaged, and which buttons are live."""
    halt, flatten, resume = button_disabled(snap.kill_state)
    if snap.kill_state == KillState.RUNNING:
        text = html.Span("Trading: new entries allowed", className="text-success")
    else:
        reason = f" — {snap.kill_reason}" if snap.kill_reason else ""
        text = html.Span(f"{snap.kill_state}{reason}", className="text-warning fw-bold")
    return text, halt, flatten, resume


def poll_part() -> PollPart:
    return PollPart(
        "kill_state",
        (
            Output(ids.KILL_STATE, "children"),
            Output(ids.KILL_HALT, "disabled"),
            Output(ids.KILL_FLATTEN, "disabled"),
            Output(ids.KILL_RESUME, "disabled"),
        ),
        render_state,
    )


def buttons() -> html.Div:
    """HALT / FLATTEN / RESUME for the sticky header; disabled until the first snapshot."""
    return html.Div(
        [
            dbc.Button("HALT", id=ids.KILL_HALT, color="warning", size="sm", disabled=True,
                       className="qs-kill-btn fw-bold"),
            dbc.Button("FLATTEN", id=ids.KILL_FLATTEN, color="danger", size="sm", disabled=True,
                       className="qs-kill-btn fw-bold"),
            dbc.Button("RESUME", id=ids.KILL_RESUME, color="success", size="sm", disabled=True,
                       className="qs-kill-btn fw-bold"),
        ],
        className="d-flex gap-2 qs-kill-buttons",
        role="group",
        **{"aria-label": "Kill switch"},
    )


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Kill switch"),
            dbc.CardBody(
                [
                    html.Div(id=ids.KILL_STATE),
                    html.Div(id=ids.KILL_RESULT, className="small mt-1", role="status"),
                    html.P(
                        "HALT, FLATTEN and RESUME are in the header, always in reach.",
                        className="small text-muted mt-2 mb-0",
                    ),
                ]
            ),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle("Confirm kill-switch action")),
                    dbc.ModalBody(
                        [
                            html.Div(id=ids.KILL_MODAL_BODY),
                            dbc.Label("Reason (optional)", html_for=ids.KILL_REASON,
                                      className="small mt-2"),
                            dbc.Input(
                                id=ids.KILL_REASON,
                                placeholder="why, for the audit log",
                                type="text",
                                maxLength=200,
                                value="",
                            ),
                        ]
                    ),
                    dbc.ModalFooter(
                        [
                            dbc.Button("Cancel", id=ids.KILL_CANCEL, color="secondary"),
                            dbc.Button(
                                "Confirm", id=ids.KILL_CONFIRM, color="danger", className="fw-bold"
                            ),
                        ]
                    ),
                ],
                id=ids.KILL_MODAL,
                is_open=False,
                centered=True,
                backdrop="static",
            ),
        ],
        className="mb-3 qs-kill",
    )


def register(app: Dash, ctx: DashContext) -> None:
    @app.callback(
        Output(ids.KILL_MODAL, "is_open"),
        Output(ids.KILL_MODAL_BODY, "children"),
        Output(ids.KILL_PENDING, "data"),
        Output(ids.KILL_RESULT, "children"),
        Output(ids.CONTROL_VERSION, "data", allow_duplicate=True),
        Output(ids.KILL_REASON, "value"),
        Input(ids.KILL_HALT, "n_clicks"),
        Input(ids.KILL_FLATTEN, "n_clicks"),
        Input(ids.KILL_RESUME, "n_clicks"),
        Input(ids.KILL_CANCEL, "n_clicks"),
        Input(ids.KILL_CONFIRM, "n_clicks"),
        State(ids.KILL_PENDING, "data"),
        State(ids.KILL_REASON, "value"),
        prevent_initial_call=True,
    )
    def kill_dialog(*args: object) -> tuple:
        pending, reason = args[-2], args[-1]
        step = next_step(dash_ctx.triggered_id, pending if isinstance(pending, str) else None)
        if step.open_for is not None:  # a fresh dialog: no old reason, no old result
            ctx.source.invalidate()  # list what FLATTEN would close now, not 0.5 s ago
            body = confirm_body(step.open_for, ctx.source.get().positions)
            return True, body, step.open_for.value, "", no_update, ""
        if step.run is not None:
            result = ctx.control.kill_switch(step.run, ctx.actor(), str(reason or "").strip())
            tone = "text-success" if result.ok else "text-danger"
            text = result.message or (
                f"{step.run.value} done" if result.ok else "; ".join(result.errors)
            )
            shown = html.Span(text, className=tone)
            return False, no_update, None, shown, ctx.after_control(), no_update
        if step.close:
            return False, no_update, None, no_update, no_update, no_update
        return (no_update,) * 6
