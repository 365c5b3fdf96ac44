"""Notifications: where messages go, how loudly each kind is sent, what was delivered, and a
button that sends a test message.

The panel talks to ``NotificationsApi`` (the runtime implements it), never to the
notifier. Channels show scheme and host only, as the runtime reports them. The
level selectors are built once per page load (like the rules form) so a poll
never swaps one out under the operator's cursor; channels and history ride on
the one shared poll, redrawn only when they change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import MATCH, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from bot.control.notify_api import NotificationsApi
from bot.domain import Snapshot
from bot.domain.notify import (
    CATEGORY_SPECS,
    ChannelStatus,
    DeliveryRecord,
    NotifierStatus,
    NotifyCategory,
    NotifyLevel,
)
from dashboard import ids
from dashboard.formatting import fmt_time
from dashboard.polling import PollPart

HISTORY_SHOWN = 20
_LEVEL_OPTIONS = [lv.value for lv in NotifyLevel]


# pure builders ------------------------------------------------------------------------------
def channel_rows(status: NotifierStatus) -> list:
    if not status.channels:
        return [html.Div("No channel: set QT_NOTIFY_URLS (see the README).",
                         className="text-muted small")]
    return [_channel_row(c) for c in status.channels]


def _channel_row(c: ChannelStatus) -> html.Div:
    healthy = not c.last_error or (c.last_ok_at is not None and c.last_attempt_at is not None
                                   and c.last_ok_at >= c.last_attempt_at)
    badge = html.Span("ok" if healthy else "failing",
                      className=f"badge text-bg-{'success' if healthy else 'danger'} me-2")
    counts = f"sent {c.sent} · failed {c.failed} · dropped {c.dropped} · queued {c.queued}"
    detail = [html.Span(counts, className="text-muted")]
    detail.append(html.Span(f" · last attempt {fmt_time(c.last_attempt_at)}",
                            className="text-muted"))
    if c.last_error:
        detail.append(html.Div(f"last error: {c.last_error}", className="text-danger"))
    return html.Div([badge, html.Code(c.label), html.Div(detail, className="small")],
                    className="qs-notify-channel mb-2", **{"data-channel": c.label})


def history_rows(status: NotifierStatus) -> list:
    shown = status.history[:HISTORY_SHOWN]
    if not shown:
        return [html.Div("Nothing sent yet", className="text-muted small")]
    return [_history_row(r) for r in shown]


def _history_row(r: DeliveryRecord) -> html.Div:
    mark = html.Span("sent" if r.ok else "failed",
                     className=f"badge text-bg-{'success' if r.ok else 'danger'} me-1")
    tries = f" after {r.attempts} attempts" if r.attempts > 1 else ""
    return html.Div([
        html.Span(fmt_time(r.at), className="text-muted me-2"), mark,
        html.Span(r.title, className="me-2"),
        html.Span(f"→ {r.channel}{tries}", className="text-muted"),
        html.Div(r.error, className="text-danger") if r.error else None,
    ], className="small qs-notify-delivery")


def summary_line(status: NotifierStatus) -> str:
    parts = []
    if status.dropped:
        parts.append(f"{status.dropped} event(s) dropped (queue full)")
    if status.coalesced:
        parts.append(f"{status.coalesced} folded into storm summaries")
    if status.daily_at:
        parts.append(f"daily summary at {status.daily_at} UTC")
    return " · ".join(parts)


def history_signature(status: NotifierStatus) -> list:
    return [[c.label, c.sent, c.failed, c.dropped, c.queued, c.last_error]
            for c in status.channels] + [len(status.history), status.dropped, status.coalesced,
                                         status.history[0].at.isoformat() if status.history
                                         else None]


def _level_row(category: NotifyCategory, level: NotifyLevel) -> html.Div:
    spec = CATEGORY_SPECS[category]
    options = [{"label": v, "value": v, "disabled": spec.always_on and v == NotifyLevel.OFF}
               for v in _LEVEL_OPTIONS]
    return html.Div([
        dbc.Row([
            dbc.Col([html.Span(spec.label, className="small"),
                     html.Span(" always on", className="small text-muted") if spec.always_on
                     else None], width=6),
            dbc.Col(dbc.RadioItems(id={"type": ids.NOTIFY_LEVEL, "category": category.value},
                                   options=options, value=level.value, inline=True,
                                   className="small"), width=6),
        ]),
        html.Div(id={"type": ids.NOTIFY_LEVEL_MSG, "category": category.value},
                 className="small"),
    ], className="mb-1 qs-notify-level", **{"data-category": category.value})


def level_rows(status: NotifierStatus) -> list:
    return [_level_row(c, lv) for c, lv in status.levels]


# layout and callbacks -----------------------------------------------------------------------
def layout(api: NotificationsApi | None) -> dbc.Card:
    if api is None:
        body = [html.Div("Notifications are not wired in this process.",
                         className="text-muted small")]
    else:
        status = api.notifications()
        body = [
            html.H6("Channels", className="mt-1"),
            html.Div(channel_rows(status), id=ids.NOTIFY_CHANNELS),
            html.Div(summary_line(status), id=ids.NOTIFY_SUMMARY, className="small text-muted"),
            dbc.Button("Send test notification", id=ids.NOTIFY_TEST, size="sm",
                       color="secondary", className="my-2", disabled=not status.enabled),
            html.Div(id=ids.NOTIFY_TEST_RESULT, className="small"),
            html.H6("What is sent", className="mt-2"),
            html.Div(level_rows(status)),
            html.H6("Delivery history", className="mt-2"),
            html.Div(history_rows(status), id=ids.NOTIFY_HISTORY, className="qs-scroll"),
            dcc.Store(id=ids.NOTIFY_SIGNATURE),
        ]
    return dbc.Card([dbc.CardHeader("Notifications"), dbc.CardBody(body)], className="mb-3",
                    id=ids.NOTIFY_CARD)


def poll_part(api: NotificationsApi) -> PollPart:
    """Channels and history on the shared poll; the snapshot is not needed."""

    def render(_snap: Snapshot, _now: datetime, shown: list | None) -> tuple:
        status = api.notifications()
        signature = history_signature(status)
        if shown == signature:
            return no_update, no_update, no_update, no_update
        return (channel_rows(status), history_rows(status), summary_line(status), signature)

    return PollPart(
        "notifications",
        (Output(ids.NOTIFY_CHANNELS, "children"), Output(ids.NOTIFY_HISTORY, "children"),
         Output(ids.NOTIFY_SUMMARY, "children"), Output(ids.NOTIFY_SIGNATURE, "data")),
        render,
        (State(ids.NOTIFY_SIGNATURE, "data"),),
    )


def register(app: Dash, api: NotificationsApi, actor: Callable[[], str]) -> None:
    @app.callback(
        Output({"type": ids.NOTIFY_LEVEL_MSG, "category": MATCH}, "children"),
        Output({"type": ids.NOTIFY_LEVEL, "category": MATCH}, "value"),
        Input({"type": ids.NOTIFY_LEVEL, "category": MATCH}, "value"),
        prevent_initial_call=True,
    )
    def change_level(value: str | None) -> tuple:
        """Save a level; if the bot refuses, the selector goes back to the truth."""
        trigger = dash_ctx.triggered_id
        category = trigger.get("category") if isinstance(trigger, dict) else None
        if not isinstance(category, str) or not isinstance(value, str):
            return no_update, no_update
        result = api.set_notify_level(category, value, actor())
        if result.ok:
            return html.Span(result.message, className="text-success"), no_update
        truth = dict((c.value, lv.value) for c, lv in api.notifications().levels)
        text = "; ".join(result.errors) or result.message
        return html.Span(text, className="text-danger"), truth.get(category, no_update)

    @app.callback(
        Output(ids.NOTIFY_TEST_RESULT, "children"),
        Input(ids.NOTIFY_TEST, "n_clicks"),
        prevent_initial_call=True,
    )
    def send_test(clicks: int | None) -> object:
        if not clicks:
            return no_update
        result = api.send_test_notification(actor())
        text = result.message if result.ok else "; ".join(result.errors) or result.message
        return html.Span(text, className="text-success" if result.ok else "text-danger")
