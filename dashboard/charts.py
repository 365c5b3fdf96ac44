"""Price chart of one position, the equity curve and the regime history: pure figure builders.

The builders take view objects and return plotly figure JSON (dicts), so they
are tested without a server (``go.Figure(fig)`` validates them); the callbacks
only fetch the views and hand them over. Times are the bot's, in UTC; with no
data a figure says so in words instead of drawing an empty grid, and every
graph has a fixed height so the page does not jump when the data arrives.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import dash_bootstrap_components as dbc
import plotly.io as pio
from dash import Dash, Input, Output, State, dcc, html, no_update

from bot.domain import ChartView, EquityPoint, Regime, RegimeView, Snapshot
from dashboard import ids
from dashboard.context import DashContext
from dashboard.formatting import fmt_price, plot_time
from dashboard.polling import PollPart

CHART_REFRESH_MS = 10_000
PRICE_HEIGHT = 360
HISTORY_HEIGHT = 260
SINGLE_POINT_SPAN = timedelta(hours=1)  # x-range around a lone point (no sub-ms ticks)
_BUY_SIDES = frozenset({"BUY", "LONG"})
_SELL_SIDES = frozenset({"SELL", "SHORT"})
_UP_COLOR, _DOWN_COLOR, _EXIT_COLOR = "#3dd68c", "#ff6b6b", "#ffc107"
_TEMPLATE = "plotly_dark"
_BG = "rgba(0,0,0,0)"
REGIME_LEVEL = {Regime.DOWNTREND: -1, Regime.SIDEWAYS: 0, Regime.UPTREND: 1}
_REGIME_COLOR = {Regime.DOWNTREND: "#dc3545", Regime.SIDEWAYS: "#adb5bd", Regime.UPTREND: "#198754"}


Figure = dict[str, Any]


@functools.cache
def _dark_template() -> dict:
    """plotly's dark template, expanded once: plotly.js knows no template names."""
    return pio.templates[_TEMPLATE].to_plotly_json()


def _base(title: str, height: int) -> Figure:
    """A figure as plain plotly JSON: building ``go.Figure`` objects (with their
    validation) cost ~20 ms per figure, most of a poll's budget."""
    return {
        "data": [],
        "layout": {
            "template": _dark_template(),
            "title": {"text": title, "font": {"size": 14}},
            "height": height,
            "margin": {"l": 50, "r": 20, "t": 40, "b": 30},
            "paper_bgcolor": _BG,
            "plot_bgcolor": _BG,
            "showlegend": False,
            "uirevision": title,
            "shapes": [],
            "annotations": [],
            "xaxis": {"title": {"text": "UTC", "font": {"size": 11}}},
        },
    }


def _empty(title: str, height: int, message: str) -> Figure:
    """No grid, no axes: just the message, at the figure's usual height."""
    fig = _base(title, height)
    fig["layout"]["xaxis"] = {"visible": False}
    fig["layout"]["yaxis"] = {"visible": False}
    fig["layout"]["annotations"].append(
        {
            "text": message,
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "showarrow": False,
            "font": {"size": 14, "color": "#adb5bd"},
        }
    )
    return fig


def _time_axis(times: Sequence[datetime]) -> dict:
    """An x-axis in UTC; one instant alone gets a readable span around it."""
    axis: dict = {"title": {"text": "UTC", "font": {"size": 11}}, "type": "date"}
    if times and len(set(times)) == 1:
        axis["range"] = [plot_time(times[0] - SINGLE_POINT_SPAN),
                         plot_time(times[0] + SINGLE_POINT_SPAN)]
    return axis


def fill_marker(side: str) -> tuple[str, str]:
    """(symbol, colour) of an entry fill: a LONG/BUY fill points up in green, SHORT/SELL down."""
    key = str(side).upper()
    if key in _BUY_SIDES:
        return "triangle-up", _UP_COLOR
    if key in _SELL_SIDES:
        return "triangle-down", _DOWN_COLOR
    return "circle", "#adb5bd"


def _ms_time(ms: int) -> str:
    return plot_time(datetime.fromtimestamp(ms / 1000, UTC))


def build_price_figure(chart: ChartView | None) -> Figure:
    """Candles with entry (blue), stop (red) and take-profit (green) lines and fill markers."""
    if chart is None:
        return _empty("Position chart", PRICE_HEIGHT, "No open positions")
    if not chart.klines and chart.entry is None and not chart.fills:
        return _empty(chart.symbol, PRICE_HEIGHT, f"No candles for {chart.symbol} yet")
    fig = _base(f"{chart.symbol}", PRICE_HEIGHT)
    if chart.klines:
        fig["data"].append(
            {
                "type": "candlestick",
                "x": [plot_time(k.open_time) for k in chart.klines],
                "open": [float(k.open) for k in chart.klines],
                "high": [float(k.high) for k in chart.klines],
                "low": [float(k.low) for k in chart.klines],
                "close": [float(k.close) for k in chart.klines],
                "name": "price",
            }
        )
    for level, label, color in (
        (chart.entry, "entry", "#0d6efd"),
        (chart.stop, "stop", "#dc3545"),
        (chart.take_profit, "take-profit", "#198754"),
    ):
        if level is not None:
            y = float(level)
            fig["layout"]["shapes"].append(
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "yref": "y",
                    "y0": y,
                    "y1": y,
                    "line": {
                        "color": color,
                        "width": 1.5,
                        "dash": "solid" if label == "stop" else "dash",
                    },
                }
            )
            fig["layout"]["annotations"].append(
                {
                    "xref": "paper",
                    "x": 0,
                    "yref": "y",
                    "y": y,
                    "text": f"{label} {fmt_price(level)}",
                    "showarrow": False,
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "font": {"color": color},
                }
            )
    if chart.fills:
        markers = [fill_marker(side) for _, _, side in chart.fills]
        fig["data"].append(
            {
                "type": "scatter",
                "x": [_ms_time(ms) for ms, _, _ in chart.fills],
                "y": [float(price) for _, price, _ in chart.fills],
                "mode": "markers",
                "marker": {
                    "symbol": [symbol for symbol, _ in markers],
                    "size": 12,
                    "color": [color for _, color in markers],
                    "line": {"width": 1, "color": "#11151a"},
                },
                "text": [_marker_text("entry", side, price) for _, price, side in chart.fills],
                "hoverinfo": "text+x",
                "name": "fills",
            }
        )
    if chart.exits:
        fig["data"].append(
            {
                "type": "scatter",
                "x": [_ms_time(ms) for ms, _, _ in chart.exits],
                "y": [float(price) for _, price, _ in chart.exits],
                "mode": "markers",
                "marker": {"symbol": "x", "size": 11, "color": _EXIT_COLOR},
                "text": [_marker_text("exit", reason, price) for _, price, reason in chart.exits],
                "hoverinfo": "text+x",
                "name": "exits",
            }
        )
    fig["layout"]["xaxis"] = {**_time_axis([k.open_time for k in chart.klines]),
                              "rangeslider": {"visible": False}}
    return fig


def _marker_text(kind: str, label: str, price: Decimal) -> str:
    return f"{kind} {label} @ {fmt_price(price)}"


def build_equity_figure(points: Sequence[EquityPoint]) -> Figure:
    if not points:
        return _empty("Equity (USDT)", HISTORY_HEIGHT, "No equity history yet")
    fig = _base("Equity (USDT)", HISTORY_HEIGHT)
    fig["layout"]["xaxis"] = _time_axis([p.at for p in points])
    fig["data"].append(
        {
            "type": "scatter",
            "x": [plot_time(p.at) for p in points],
            "y": [float(p.equity) for p in points],
            "mode": "lines",
            "line": {"color": "#0dcaf0", "width": 2},
            "name": "equity",
        }
    )
    return fig


def build_regime_figure(history: Sequence[RegimeView]) -> Figure:
    """The regime as a step line (-1 down, 0 sideways, +1 up); hover shows the inputs."""
    title = "Market regime (BTCUSDT)"
    dated = [h for h in history if h.computed_at is not None]
    if not dated:
        return _empty(title, HISTORY_HEIGHT, "No regime reading yet")
    fig = _base(title, HISTORY_HEIGHT)
    fig["layout"]["xaxis"] = _time_axis([h.computed_at for h in dated if h.computed_at])
    fig["data"].append(
        {
            "type": "scatter",
            "x": [plot_time(h.computed_at) for h in dated if h.computed_at],
            "y": [REGIME_LEVEL[h.regime] for h in dated],
            "mode": "lines+markers",
            "line": {"shape": "hv", "color": "#adb5bd"},
            "marker": {"color": [_REGIME_COLOR[h.regime] for h in dated], "size": 8},
            "text": [_inputs_text(h) for h in dated],
            "hovertemplate": "%{x} UTC<br>%{text}<extra></extra>",
            "name": "regime",
        }
    )
    fig["layout"]["yaxis"] = {
        "tickvals": [-1, 0, 1],
        "ticktext": ["DOWN", "SIDEWAYS", "UP"],
        "range": [-1.4, 1.4],
    }
    return fig


def fmt_input(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _inputs_text(h: RegimeView) -> str:
    parts = [h.regime.value] + [f"{k}: {fmt_input(v)}" for k, v in sorted(h.inputs.items())]
    return "<br>".join(parts)


def render_regime_inputs(current: RegimeView | None) -> list:
    if current is None or not current.inputs:
        return [html.Span("No regime inputs yet", className="text-muted small")]
    return [
        html.Span(
            [html.Span(f"{k} ", className="text-muted"), fmt_input(v)],
            className="badge text-bg-dark border me-1 fw-normal",
        )
        for k, v in sorted(current.inputs.items())
    ]


def symbol_options(symbols: Sequence[str]) -> list[dict[str, str]]:
    return [{"label": s, "value": s} for s in sorted(set(symbols))]


def loading_figure(title: str, height: int) -> Figure:
    return _empty(title, height, "Loading…")


def _graph(graph_id: str, figure: Figure, height: int) -> dcc.Graph:
    """A graph whose box has its final height from the first paint (no layout shift)."""
    return dcc.Graph(
        id=graph_id,
        figure=figure,
        config={"displaylogo": False, "displayModeBar": False},
        style={"height": f"{height}px", "minHeight": f"{height}px"},
        className="qs-graph",
    )


def layout() -> html.Div:
    return html.Div(
        [
            dbc.Card(
                [
                    dbc.CardHeader(
                        dbc.Row(
                            [
                                dbc.Col(
                                    dbc.Label("Position chart", html_for=ids.CHART_SYMBOL,
                                              className="m-0"),
                                    width="auto",
                                ),
                                dbc.Col(
                                    dbc.Select(
                                        id=ids.CHART_SYMBOL,
                                        options=[],
                                        placeholder="choose a position",
                                        size="sm",
                                        className="qs-symbol-select",
                                    ),
                                    xs=7,
                                    sm=6,
                                ),
                            ],
                            align="center",
                            justify="between",
                            className="g-2",
                        )
                    ),
                    _graph(ids.CHART_PRICE, loading_figure("Position chart", PRICE_HEIGHT),
                           PRICE_HEIGHT),
                    dcc.Interval(id=ids.CHART_TICK, interval=CHART_REFRESH_MS),
                    dcc.Store(id=ids.CHART_HISTORY_SIGNATURE),
                ],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            _graph(ids.CHART_EQUITY,
                                   loading_figure("Equity (USDT)", HISTORY_HEIGHT),
                                   HISTORY_HEIGHT)
                        ),
                        md=6,
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                _graph(ids.CHART_REGIME,
                                       loading_figure("Market regime (BTCUSDT)", HISTORY_HEIGHT),
                                       HISTORY_HEIGHT),
                                html.Div(id=ids.CHART_REGIME_INPUTS,
                                         className="px-3 pb-2 qs-regime-inputs"),
                            ]
                        ),
                        md=6,
                    ),
                ],
                className="g-3 mb-3",
            ),
        ]
    )


def history_signature(snap: Snapshot) -> list:
    """Changes when a new equity point or regime reading arrives (the figures are append-only)."""
    eq, rh = snap.equity_curve, snap.regime_history
    return [
        len(eq),
        eq[-1].at.isoformat() if eq else None,
        len(rh),
        rh[-1].computed_at.isoformat() if rh and rh[-1].computed_at else None,
        snap.regime.regime.value if snap.regime else None,
    ]


def render_history(snap: Snapshot, _now: datetime, shown: list | None) -> tuple:
    signature = history_signature(snap)
    if shown == signature:
        return no_update, no_update, no_update, no_update
    return (
        build_equity_figure(snap.equity_curve),
        build_regime_figure(snap.regime_history),
        render_regime_inputs(snap.regime),
        signature,
    )


def render_symbols(
    snap: Snapshot, _now: datetime, current: str | None, shown: list | None
) -> tuple:
    """New options only when the set of symbols changed; keep the operator's choice if open."""
    symbols = [p.symbol for p in snap.positions]
    options = symbol_options(symbols)
    new_options = no_update if options == shown else options
    if current in symbols:
        return new_options, no_update
    return new_options, (options[0]["value"] if options else None)


def poll_parts() -> list[PollPart]:
    return [
        PollPart(
            "chart_symbols",
            (Output(ids.CHART_SYMBOL, "options"), Output(ids.CHART_SYMBOL, "value")),
            render_symbols,
            (State(ids.CHART_SYMBOL, "value"), State(ids.CHART_SYMBOL, "options")),
        ),
        PollPart(
            "history",
            (
                Output(ids.CHART_EQUITY, "figure"),
                Output(ids.CHART_REGIME, "figure"),
                Output(ids.CHART_REGIME_INPUTS, "children"),
                Output(ids.CHART_HISTORY_SIGNATURE, "data"),
            ),
            render_history,
            (State(ids.CHART_HISTORY_SIGNATURE, "data"),),
        ),
    ]


def register(app: Dash, ctx: DashContext) -> None:
    """The price chart follows the chosen symbol and, slower than the poll, its candles."""

    @app.callback(
        Output(ids.CHART_PRICE, "figure"),
        Input(ids.CHART_SYMBOL, "value"),
        Input(ids.CHART_TICK, "n_intervals"),
        running=[(Output(ids.CHART_TICK, "disabled"), True, False)],
    )
    def refresh_price(symbol: str | None, _n: int | None) -> Figure:
        wanted = symbol if isinstance(symbol, str) and symbol else None
        return build_price_figure(ctx.control.chart(wanted) if wanted else None)


# the figure scaffolding, for the other cards' builders (performance)
base_figure = _base
empty_figure = _empty
time_axis = _time_axis
