"""Price chart of one position, the equity curve and the regime history: pure figure builders.

The builders take view objects and return plotly figure JSON (dicts), so they
are tested without a server (``go.Figure(fig)`` validates them); the callbacks
only fetch the views and hand them over.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import dash_bootstrap_components as dbc
import plotly.io as pio
from dash import Dash, Input, Output, State, dcc, html, no_update

from bot.domain import ChartView, EquityPoint, Regime, RegimeView, Snapshot
from dashboard import ids
from dashboard.context import DashContext
from dashboard.polling import PollPart

CHART_REFRESH_MS = 10_000
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
        },
    }


def build_price_figure(chart: ChartView | None) -> Figure:
    """Candles with entry (blue), stop (red) and take-profit (green) lines and fill markers."""
    if chart is None:
        return _base("No position selected", 360)
    fig = _base(f"{chart.symbol}", 360)
    if chart.klines:
        fig["data"].append(
            {
                "type": "candlestick",
                "x": [k.open_time.isoformat() for k in chart.klines],
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
                    "text": f"{label} {level}",
                    "showarrow": False,
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "font": {"color": color},
                }
            )
    if chart.fills:
        sides = [side for _, _, side in chart.fills]
        fig["data"].append(
            {
                "type": "scatter",
                "x": [
                    datetime.fromtimestamp(ms / 1000, UTC).isoformat() for ms, _, _ in chart.fills
                ],
                "y": [float(price) for _, price, _ in chart.fills],
                "mode": "markers",
                "marker": {
                    "symbol": ["triangle-up" if s == "BUY" else "triangle-down" for s in sides],
                    "size": 11,
                    "color": ["#20c997" if s == "BUY" else "#fd7e14" for s in sides],
                },
                "text": [f"{side} @ {price}" for _, price, side in chart.fills],
                "hoverinfo": "text+x",
                "name": "fills",
            }
        )
    fig["layout"]["xaxis"] = {"rangeslider": {"visible": False}}
    return fig


def build_equity_figure(points: Sequence[EquityPoint]) -> Figure:
    fig = _base("Equity (USDT)", 260)
    fig["data"].append(
        {
            "type": "scatter",
            "x": [p.at.isoformat() for p in points],
            "y": [float(p.equity) for p in points],
            "mode": "lines",
            "line": {"color": "#0dcaf0", "width": 2},
            "name": "equity",
        }
    )
    return fig


def build_regime_figure(history: Sequence[RegimeView]) -> Figure:
    """The regime as a step line (-1 down, 0 sideways, +1 up); hover shows the inputs."""
    fig = _base("Market regime (BTCUSDT)", 260)
    dated = [h for h in history if h.computed_at is not None]
    fig["data"].append(
        {
            "type": "scatter",
            "x": [h.computed_at.isoformat() for h in dated if h.computed_at],
            "y": [REGIME_LEVEL[h.regime] for h in dated],
            "mode": "lines+markers",
            "line": {"shape": "hv", "color": "#adb5bd"},
            "marker": {"color": [_REGIME_COLOR[h.regime] for h in dated], "size": 8},
            "text": [_inputs_text(h) for h in dated],
            "hovertemplate": "%{x}<br>%{text}<extra></extra>",
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
            className="badge text-bg-secondary me-1 fw-normal",
        )
        for k, v in sorted(current.inputs.items())
    ]


def symbol_options(symbols: Sequence[str]) -> list[dict[str, str]]:
    return [{"label": s, "value": s} for s in sorted(set(symbols))]


def layout() -> html.Div:
    graph_config = {"displaylogo": False, "displayModeBar": False}
    return html.Div(
        [
            dbc.Card(
                [
                    dbc.CardHeader(
                        dbc.Row(
                            [
                                dbc.Col("Position chart", width="auto"),
                                dbc.Col(
                                    dcc.Dropdown(
                                        id=ids.CHART_SYMBOL,
                                        options=[],
                                        placeholder="choose a position",
                                        clearable=False,
                                        className="qs-dropdown",
                                    ),
                                    width=6,
                                ),
                            ],
                            align="center",
                            justify="between",
                        )
                    ),
                    dcc.Graph(
                        id=ids.CHART_PRICE, config=graph_config, figure=build_price_figure(None)
                    ),
                    dcc.Interval(id=ids.CHART_TICK, interval=CHART_REFRESH_MS),
                    dcc.Store(id=ids.CHART_HISTORY_SIGNATURE),
                ],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(dbc.Card(dcc.Graph(id=ids.CHART_EQUITY, config=graph_config)), md=6),
                    dbc.Col(
                        dbc.Card(
                            [
                                dcc.Graph(id=ids.CHART_REGIME, config=graph_config),
                                html.Div(id=ids.CHART_REGIME_INPUTS, className="px-3 pb-2"),
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
