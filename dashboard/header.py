"""The sticky header: mode, bot status, regime, kill switch, freshness and the bot's clock.

The kill-switch badge refreshes on every control action as well as on the
poll, so HALTED is visible the moment the operator confirms it. The HALT /
FLATTEN / RESUME buttons sit here too (``kill_switch.buttons``), and the
connection status (``connection.status_element``). Every time shown is the
bot's (``Snapshot.taken_at``) in UTC; the browser adds local time on hover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import Output, html

from bot.domain import KillState, Mode, Regime, Snapshot, StreamState
from dashboard import connection, ids, kill_switch
from dashboard.formatting import age_seconds, fmt_age, fmt_time_utc, utc_attrs
from dashboard.polling import PollPart

MODE_COLORS = {Mode.PAPER: "info", Mode.TESTNET: "warning", Mode.DEMO: "warning",
               Mode.LIVE: "danger"}
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
    clock: str = ""
    clock_attrs: tuple[tuple[str, str], ...] = ()
    stream: str = "OFF"
    stream_color: str = "secondary"
    stream_title: str = ""
    budget: str = ""
    budget_class: str = "small text-muted"


def build_header_view(snap: Snapshot, now: datetime) -> HeaderView:
    """What the header says; a monitor silent for 30 s (by the bot's clock) is stale."""
    regime = snap.regime.regime if snap.regime else None
    regime_stale = bool(snap.regime and snap.regime.stale)
    age = age_seconds(snap.last_monitor_at, now)
    stale = age is None or age > STALE_MONITOR_SECONDS
    stream, stream_color, stream_title = _stream(snap, now)
    budget, budget_class = _budget(snap)
    return HeaderView(
        status=snap.status.upper(),
        status_color=STATUS_COLORS.get(snap.status, "secondary"),
        regime=(f"{regime.value if regime else 'NO REGIME'} · STALE" if regime_stale
                else regime.value if regime else "NO REGIME"),
        regime_color=("danger" if regime_stale else REGIME_COLORS.get(regime, "secondary")
                      if regime else "secondary"),
        kill=snap.kill_state,
        kill_color=KILL_COLORS.get(snap.kill_state, "danger"),
        monitor_age=f"monitor {fmt_age(age)} ago" if age is not None else "monitor: no cycle yet",
        monitor_stale=stale,
        clock=f"bot clock {fmt_time_utc(snap.taken_at or now)}",
        clock_attrs=tuple(utc_attrs(snap.taken_at or now).items()),
        stream=stream, stream_color=stream_color, stream_title=stream_title,
        budget=budget, budget_class=budget_class,
    )


def _stream(snap: Snapshot, now: datetime) -> tuple[str, str, str]:
    """The stream badge: UP, DOWN for how long, or OFF (the poll alone)."""
    st = snap.stream
    detail = f"{st.reconnects} reconnects, {st.events} events"
    last = age_seconds(st.last_event_at, now)
    if last is not None:
        detail += f", last event {fmt_age(last)} ago"
    if st.state is StreamState.UP:
        return "UP", "success", detail
    if st.state in (StreamState.DOWN, StreamState.CONNECTING):
        down = age_seconds(st.since, now)
        label = f"DOWN {fmt_age(down)}" if down is not None else "DOWN"
        return label, "danger", f"{detail}; {st.last_error}".strip("; ")
    return "OFF", "secondary", "no user-data stream: the poll alone"


def _budget(snap: Snapshot) -> tuple[str, str]:
    """Request weight used this minute; warning past the share kept for protection."""
    b = snap.request_budget
    if b is None:
        return "", "small text-muted"
    if b.banned_until is not None:
        return f"rate limited until {fmt_time_utc(b.banned_until)}", "small text-danger fw-bold"
    text = f"weight {b.used_weight}/{b.weight_limit}"
    over = b.reserve_share is not None and b.used_weight > b.reserve_share * b.weight_limit
    return text, "small " + ("text-warning fw-bold" if over else "text-muted")


def layout(mode: Mode) -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                html.Div(
                    [
                        html.H1("QuantShield", className="navbar-brand fw-bold m-0 qs-brand"),
                        dbc.Badge(
                            mode.value.upper(),
                            id=ids.HEADER_MODE,
                            color=MODE_COLORS[mode],
                            className=f"qs-mode qs-mode-{mode.value}",
                        ),
                        connection.status_element(),
                        html.Div(kill_switch.buttons(), className="ms-auto"),
                    ],
                    className="d-flex align-items-center gap-2 flex-wrap w-100",
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
                        _labelled(
                            "red flags", dbc.Badge("…", id=ids.HEADER_FLAGS, color="secondary",
                                                   title="unacknowledged red flags")
                        ),
                        _labelled(
                            "stream", dbc.Badge("…", id=ids.HEADER_STREAM, color="secondary")
                        ),
                        html.Span("", id=ids.HEADER_BUDGET, className="small text-muted"),
                        html.Span("", id=ids.HEADER_MONITOR_AGE, className="small text-muted"),
                        html.Span("", id=ids.HEADER_CLOCK, className="small text-muted"),
                    ],
                    className="d-flex align-items-center gap-3 flex-wrap w-100 mt-1",
                ),
            ],
            fluid=True,
            className="flex-wrap",
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
        html.Span(view.clock, **dict(view.clock_attrs)),
        view.stream,
        view.stream_color,
        view.stream_title,
        view.budget,
        view.budget_class,
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
            Output(ids.HEADER_CLOCK, "children"),
            Output(ids.HEADER_STREAM, "children"),
            Output(ids.HEADER_STREAM, "color"),
            Output(ids.HEADER_STREAM, "title"),
            Output(ids.HEADER_BUDGET, "children"),
            Output(ids.HEADER_BUDGET, "className"),
        ),
        render,
    )
