"""The header: mode, bot status, regime, kill-switch state and monitor freshness.

The kill-switch badge refreshes on every control action as well as on the
poll, so HALTED is visible the moment the operator confirms it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import Output, html

from bot.domain import KillState, Mode, Regime, Snapshot
from dashboard import ids
from dashboard.formatting import age_seconds, fmt_age
from dashboard.polling import PollPart

MODE_COLORS = {Mode.PAPER: "info", Mode.TESTNET: "warning", Mode.LIVE: "danger"}
STATUS_COLORS = {
    "running": "success",
    "starting": "info",
    "stopped": "secondary",
    "error": "danger",
}
REGIME_COLORS = {
    Regime.UPTREND: "success",
    Regime.DOWNTREND: "danger",
    Regime.SIDEWAYS: "secondary",
}
KILL_COLORS = {
    KillState.RUNNING: "success",
    KillState.HALTED: "warning",
    KillState.FLATTENING: "danger",
}
STALE_MONITOR_SECONDS = 30.0


@dataclass(frozen=True)
class HeaderView:
    status: str
    status_color: str
    regime: str
    regime_color: str
    kill: str
    kill_color: str
    monitor_age: str
    monitor_stale: bool


def build_header_view(snap: Snapshot, now: datetime) -> HeaderView:
    """What the header says; a monitor silent for 30 s is shown as stale."""
    regime = snap.regime.regime if snap.regime else None
    age = age_seconds(snap.last_monitor_at, now)
    stale = age is None or age > STALE_MONITOR_SECONDS
    return HeaderView(
        status=snap.status.upper(),
        status_color=STATUS_COLORS.get(snap.status, "secondary"),
        regime=regime.value if regime else "NO REGIME",
        regime_color=REGIME_COLORS.get(regime, "secondary") if regime else "secondary",
        kill=snap.kill_state,
        kill_color=KILL_COLORS.get(snap.kill_state, "danger"),
        monitor_age=f"monitor {fmt_age(age)} ago" if age is not None else "monitor: no cycle yet",
        monitor_stale=stale,
    )


def layout(mode: Mode) -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                html.Span("QuantShield", className="navbar-brand fw-bold me-3"),
                dbc.Badge(
                    mode.value.upper(),
                    id=ids.HEADER_MODE,
                    color=MODE_COLORS[mode],
                    className=f"qs-mode qs-mode-{mode.value} me-3",
                ),
                html.Div(
                    [
                        _labelled("bot", dbc.Badge("…", id=ids.HEADER_STATUS, color="secondary")),
                        _labelled(
                            "regime", dbc.Badge("…", id=ids.HEADER_REGIME, color="secondary")
                        ),
                        _labelled(
                            "kill switch", dbc.Badge("…", id=ids.HEADER_KILL, color="secondary")
                        ),
                        html.Span("", id=ids.HEADER_MONITOR_AGE, className="small text-muted"),
                    ],
                    className="d-flex align-items-center gap-3 flex-wrap",
                ),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        sticky="top",
        className=f"qs-header border-bottom qs-header-{mode.value}",
    )


def _labelled(label: str, badge: dbc.Badge) -> html.Span:
    return html.Span([html.Span(label, className="small text-muted me-1"), badge])


def render(snap: Snapshot, now: datetime) -> tuple:
    view = build_header_view(snap, now)
    age_class = "small " + ("text-danger fw-bold" if view.monitor_stale else "text-muted")
    return (
        view.status,
        view.status_color,
        view.regime,
        view.regime_color,
        view.kill,
        view.kill_color,
        view.monitor_age,
        age_class,
    )


def poll_part() -> PollPart:
    return PollPart(
        "header",
        (
            Output(ids.HEADER_STATUS, "children"),
            Output(ids.HEADER_STATUS, "color"),
            Output(ids.HEADER_REGIME, "children"),
            Output(ids.HEADER_REGIME, "color"),
            Output(ids.HEADER_KILL, "children"),
            Output(ids.HEADER_KILL, "color"),
            Output(ids.HEADER_MONITOR_AGE, "children"),
            Output(ids.HEADER_MONITOR_AGE, "className"),
        ),
        render,
    )
