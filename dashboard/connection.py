"""Connection status: how fresh the page is, and a banner when the server is gone.

Runs in the browser only (``assets/qs-connection.js``), because the one thing it
must survive is the server not answering. A watchdog interval ticks on the
page; each tick compares the time the last poll answer arrived (the poll's
heartbeat) with now and shows "updated 3 s ago", or a red ``DISCONNECTED``
banner once a poll request failed, or ``STALE`` when answers stop coming for
two poll periods. After a failed request it re-enables the poll interval, which
dash-renderer's ``running`` guard leaves disabled after a network error (and
likewise the price chart's interval), so polling resumes by itself when the
server is back. The interval ids are spelled in the JS; a unit test keeps them
in step with ``ids``.
"""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html

from dashboard import ids

JS_NAMESPACE = "qs"
JS_FUNCTION = "connection"
CONNECTING = "connecting…"
STATUS_CLASS = "qs-connection small"


def watchdog_ms(poll_ms: int) -> int:
    """Tick often enough to show the banner well inside two poll periods, at most each second."""
    return max(200, min(1000, poll_ms // 4))


def status_element() -> html.Span:
    """The freshness text, in the sticky header; a polite live region for screen readers."""
    return html.Span(
        CONNECTING,
        id=ids.CONNECTION_STATUS,
        className=STATUS_CLASS,
        role="status",
        **{"aria-live": "polite", "data-state": "connecting"},
    )


def layout(poll_ms: int) -> html.Div:
    return html.Div(
        [
            dcc.Interval(id=ids.LIVE_WATCHDOG, interval=watchdog_ms(poll_ms), n_intervals=0),
            dcc.Store(id=ids.LIVE_HEARTBEAT),
        ],
        hidden=True,
    )


def register(app: Dash) -> None:
    app.clientside_callback(
        ClientsideFunction(JS_NAMESPACE, JS_FUNCTION),
        Output(ids.CONNECTION_STATUS, "children"),
        Output(ids.CONNECTION_STATUS, "className"),
        Output(ids.CONNECTION_STATUS, "data-state"),
        Output(ids.POLL_INTERVAL, "disabled", allow_duplicate=True),
        Output(ids.CHART_TICK, "disabled", allow_duplicate=True),
        Input(ids.LIVE_WATCHDOG, "n_intervals"),
        Input(ids.LIVE_HEARTBEAT, "data"),
        State(ids.POLL_INTERVAL, "disabled"),
        State(ids.POLL_INTERVAL, "interval"),
        State(ids.CHART_TICK, "disabled"),
        prevent_initial_call=True,
    )
