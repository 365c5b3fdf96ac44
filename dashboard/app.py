"""The Dash app factory: layout, callbacks and the security hook, over a ``ControlApi``.

``create_app`` builds a fresh app each call (tests build several); nothing is
read at import time. The dashboard only ever talks to the control API, so a
page load or a poll never reaches the exchange.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import dash_bootstrap_components as dbc
from dash import Dash, dcc, html

from bot.control.api import ControlApi
from bot.control.notify_api import NotificationsApi
from bot.domain import Mode, Snapshot
from dashboard import (
    activity,
    audit,
    charts,
    connection,
    header,
    ids,
    kill_switch,
    kpis,
    performance,
    positions,
    red_flags,
    replay_page,
    rules,
    signals,
    tabs,
    trades,
)
from dashboard import notifications as notify_panel
from dashboard.callback_guard import install_request_validation
from dashboard.context import DashContext, SnapshotSource, utc_now
from dashboard.polling import register_poll
from dashboard.security import BasicAuthConfig, current_actor, install_security

log = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
POLL_MS = 2000

_INDEX = """<!DOCTYPE html>
<html lang="en" data-bs-theme="dark">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def parse_mode(mode_label: str | Mode) -> Mode:
    try:
        return mode_label if isinstance(mode_label, Mode) else Mode(str(mode_label).lower())
    except ValueError as exc:
        raise ValueError(
            f"mode_label must be one of {', '.join(Mode)}; got {mode_label!r}"
        ) from exc


def build_layout(ctx: DashContext, mode: Mode, poll_ms: int,
                 notifications: NotificationsApi | None = None) -> html.Div:
    """The page; built per load so the rules form shows the rules as they are now."""
    snap = ctx.source.get()
    return html.Div(
        [
            dcc.Interval(id=ids.POLL_INTERVAL, interval=poll_ms, n_intervals=0),
            dcc.Store(id=ids.CONTROL_VERSION, data=0),
            dcc.Store(id=ids.FLAGS_SIGNATURE),
            dcc.Store(id=ids.ACTIVITY_CURSOR),
            dcc.Store(id=ids.KILL_PENDING),
            connection.layout(poll_ms),
            header.layout(mode),
            html.Main(dbc.Container(
                tabs.layout([
                    (tabs.LIVE, "Live", live_layout(snap, notifications)),
                    (tabs.TRADES, "Closed trades", trades.layout()),
                    (tabs.PERFORMANCE, "Performance", performance.layout()),
                    (tabs.SIGNALS, "Signals", signals.layout()),
                    (tabs.AUDIT, "Audit", audit.layout()),
                    (replay_page.REPLAY_TAB, "Replay", replay_page.layout()),
                ]),
                fluid=True,
                className="pb-4",
            )),
        ],
        className="qs-root",
    )


def live_layout(snap: Snapshot, notifications: NotificationsApi | None) -> html.Div:
    """The live tab: what the 2 s poll keeps fresh."""
    return html.Div([
        kpis.layout(),
        positions.layout(),
        dbc.Row(
            [
                dbc.Col(charts.layout(), lg=8),
                dbc.Col(red_flags.layout(), lg=4, className="mb-3"),
            ],
            className="g-3",
        ),
        dbc.Row(
            [
                dbc.Col(rules.layout(snap.rules), lg=6),
                dbc.Col([kill_switch.layout(), activity.layout()], lg=6),
            ],
            className="g-3",
        ),
        notify_panel.layout(notifications),
    ])


def register_callbacks(
    app: Dash, control: ControlApi, ctx: DashContext | None = None,
    notifications: NotificationsApi | None = None,
) -> DashContext:
    """Attach every card's callbacks to ``app`` (not to a global), so several apps can coexist."""
    ctx = ctx or DashContext(control=control, source=SnapshotSource(control))
    parts = [
        header.poll_part(),
        kpis.poll_part(),
        positions.poll_part(),
        *charts.poll_parts(),
        red_flags.poll_part(),
        activity.poll_part(),
        kill_switch.poll_part(),
    ]
    if notifications is not None:
        parts.append(notify_panel.poll_part(notifications))
        notify_panel.register(app, notifications, ctx.actor)
    register_poll(app, ctx, parts)
    for card in (charts, red_flags, rules, kill_switch, activity, trades, performance, signals,
                 audit):
        card.register(app, ctx)
    connection.register(app)
    replay_page.register(app)
    tabs.register(app)
    return ctx


def create_app(
    control: ControlApi,
    *,
    mode_label: str | Mode,
    auth: BasicAuthConfig | None = None,
    trusted_hosts: Iterable[str] | None = ("127.0.0.1", "localhost", "::1"),
    auth_exempt_paths: Iterable[str] = (),
    notifications: NotificationsApi | None = None,
    poll_ms: int = POLL_MS,
    snapshot_ttl: float = 0.5,
    now: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
    title: str = "QuantShield",
) -> Dash:
    """A ready Dash app; ``app.server`` is the Flask server (register the webhook blueprint there).

    ``trusted_hosts`` lists the Host header names accepted (a leading dot allows
    subdomains); pass ``None`` to accept any, e.g. behind a proxy that checks it.
    ``auth_exempt_paths`` (e.g. ``("/api/signals",)``) skip Basic auth because
    they check their own token; everything else, ``/_dash-update-component``
    included, needs the credentials when ``auth`` is set.
    """
    mode = parse_mode(mode_label)
    if poll_ms < 250:
        raise ValueError("poll_ms must be at least 250 ms")
    app = Dash(
        __name__,
        title=title,
        update_title=None,
        assets_folder=str(ASSETS_DIR),
        serve_locally=True,
        external_stylesheets=[],
        external_scripts=[],
        suppress_callback_exceptions=True,
        compress=False,
    )
    app.index_string = _INDEX
    install_security(app.server, auth, trusted_hosts, auth_exempt_paths)
    install_request_validation(app)
    source = SnapshotSource(control, ttl=snapshot_ttl, clock=monotonic)
    ctx = DashContext(control=control, source=source, now=now, actor=current_actor)
    app.layout = lambda: build_layout(ctx, mode, poll_ms, notifications)
    register_callbacks(app, control, ctx, notifications)
    log.info("[DASH] Dashboard ready: mode=%s auth=%s", mode.value.upper(), "on" if auth else "off")
    return app
