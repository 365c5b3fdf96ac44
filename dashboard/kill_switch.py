"""The kill switch: HALT, FLATTEN and RESUME, each behind a confirmation dialog.

One callback owns the dialog and the action, keyed by which button fired, so a
second click while the first is in flight lands on the same idempotent path
(HALT twice is HALT) rather than being dropped. The buttons are static in the
layout, never re-rendered, so their click counts never reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, html, no_update
from dash import ctx as dash_ctx

from bot.domain import KillAction, KillState, Snapshot
from dashboard import ids
from dashboard.context import DashContext
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
    """The state in words next to the buttons, with the reason it was engaged."""
    if snap.kill_state == KillState.RUNNING:
        return (html.Span("Trading: new entries allowed", className="text-success"),)
    reason = f" — {snap.kill_reason}" if snap.kill_reason else ""
    return (html.Span(f"{snap.kill_state}{reason}", className="text-warning fw-bold"),)


def poll_part() -> PollPart:
    return PollPart("kill_state", (Output(ids.KILL_STATE, "children"),), render_state)


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Kill switch"),
            dbc.CardBody(
                [
                    html.Div(
                        [
                            dbc.Button(
                                "HALT",
                                id=ids.KILL_HALT,
                                color="warning",
                                size="lg",
                                className="qs-kill-btn fw-bold",
                            ),
                            dbc.Button(
                                "FLATTEN",
                                id=ids.KILL_FLATTEN,
                                color="danger",
                                size="lg",
                                className="qs-kill-btn fw-bold",
                            ),
                            dbc.Button(
                                "RESUME",
                                id=ids.KILL_RESUME,
                                color="success",
                                outline=True,
                                size="lg",
                                className="qs-kill-btn",
                            ),
                        ],
                        className="d-flex gap-2 flex-wrap",
                    ),
                    html.Div(id=ids.KILL_STATE, className="mt-2"),
                    html.Div(id=ids.KILL_RESULT, className="small mt-1"),
                ]
            ),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle("Confirm kill-switch action")),
                    dbc.ModalBody(
                        [
                            html.P(id=ids.KILL_MODAL_BODY),
                            dbc.Input(
                                id=ids.KILL_REASON,
                                placeholder="reason (optional)",
                                type="text",
                                maxLength=200,
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
        if step.open_for is not None:
            return True, CONFIRM_TEXT[step.open_for], step.open_for.value, no_update, no_update
        if step.run is not None:
            result = ctx.control.kill_switch(step.run, ctx.actor(), str(reason or "").strip())
            tone = "text-success" if result.ok else "text-danger"
            text = result.message or (
                f"{step.run.value} done" if result.ok else "; ".join(result.errors)
            )
            return False, no_update, None, html.Span(text, className=tone), ctx.after_control()
        if step.close:
            return False, no_update, None, no_update, no_update
        return no_update, no_update, no_update, no_update, no_update
