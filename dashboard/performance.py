"""Performance: what the closed trades made, net of fees, and how the equity moved.

Tiles for realized PnL today / 7 d / total, fees, win rate, profit factor and the
maximum drawdown of the cumulative realized PnL; where it was made or lost (per
symbol, per exit reason); daily PnL bars; and the equity curve split into its
realized part (the wallet) and its unrealized part (open positions), over a range
the operator picks. The bot aggregates; the builders here only lay it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update

from bot.domain.books import EquityHistory, PerformanceView, PnlGroup
from dashboard import ids, tabs
from dashboard.charts import HISTORY_HEIGHT, base_figure, empty_figure, time_axis
from dashboard.context import DashContext
from dashboard.elements import el, sign_tone, tone_class
from dashboard.formatting import DASH, MINUS, fmt_money, fmt_ratio_pct, fmt_signed, plot_time
from dashboard.trades import reason_label

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30),
          "all": None}
DEFAULT_RANGE = "7d"
DAILY_DAYS = 30
EQUITY_HEIGHT = 320
_GAIN, _LOSS, _EQUITY, _WALLET = "#3dd68c", "#ff6b6b", "#0dcaf0", "#adb5bd"
NO_TRADES = "No closed trades yet"


@dataclass(frozen=True)
class PerfTile:
    key: str
    title: str
    value: str
    tone: str  # a Bootstrap text colour


def fmt_profit_factor(view: PerformanceView) -> str:
    factor = view.profit_factor
    if factor is not None:
        return f"{factor:.2f}"
    return "∞" if view.gross_profit > 0 else DASH  # wins and not one loss yet


def build_performance_tiles(view: PerformanceView) -> list[PerfTile]:
    """Money net of fees, signed; the drawdown is a loss, so it shows with a minus."""
    factor = view.profit_factor
    drawdown = f"{MINUS}{fmt_money(view.max_drawdown)}" if view.max_drawdown else "0.00"
    return [
        PerfTile("today", "Realized today (UTC)", fmt_signed(view.realized_today),
                 sign_tone(view.realized_today)),
        PerfTile("7d", "Realized 7 d", fmt_signed(view.realized_7d), sign_tone(view.realized_7d)),
        PerfTile("total", "Realized total", fmt_signed(view.realized_total),
                 sign_tone(view.realized_total)),
        PerfTile("fees", "Fees paid", fmt_money(view.fees_total), "light"),
        PerfTile("trades", "Closed trades", f"{view.trades:,}", "light"),
        PerfTile("win-rate", "Win rate", fmt_ratio_pct(view.win_rate), "light"),
        PerfTile("profit-factor", "Profit factor", fmt_profit_factor(view),
                 "light" if factor is None else ("success" if factor >= 1 else "danger")),
        PerfTile("drawdown", "Max drawdown", drawdown, "danger" if view.max_drawdown else "light"),
    ]


def render_group_rows(groups: Sequence[PnlGroup], label=lambda key: key) -> list[dict]:
    if not groups:
        return [el("Tr", [el("Td", NO_TRADES, colSpan=5, className="text-muted qs-empty")])]
    return [
        el("Tr", [
            el("Td", label(g.key), className="fw-bold"),
            el("Td", f"{g.trades:,}", className="qs-num"),
            el("Td", fmt_ratio_pct(g.win_rate), className="qs-num"),
            el("Td", fmt_signed(g.pnl_usdt), className=tone_class("qs-num",
                                                                  sign_tone(g.pnl_usdt))),
            el("Td", fmt_money(g.fees_usdt), className="qs-num small text-muted"),
        ], **{"data-group": g.key})
        for g in groups
    ]


def build_daily_figure(view: PerformanceView, days: int = DAILY_DAYS) -> dict:
    """Realized PnL per UTC day with a close, the last ``days`` of them: gains green."""
    title = f"Daily realized PnL (USDT, last {days} days)"
    if view.as_of is None or not view.daily:
        return empty_figure(title, HISTORY_HEIGHT, NO_TRADES)
    first = view.as_of.date() - timedelta(days=days - 1)
    shown = [d for d in view.daily if d.day >= first]
    if not shown:
        return empty_figure(title, HISTORY_HEIGHT, f"No close in the last {days} days")
    fig = base_figure(title, HISTORY_HEIGHT)
    fig["data"].append({
        "type": "bar",
        "x": [d.day.isoformat() for d in shown],
        "y": [float(d.pnl_usdt) for d in shown],
        "marker": {"color": [_GAIN if d.pnl_usdt >= 0 else _LOSS for d in shown]},
        "text": [f"{fmt_signed(d.pnl_usdt)} USDT, {d.trades} trade{'s' * (d.trades != 1)}"
                 for d in shown],
        "textposition": "none",
        "hovertemplate": "%{x}<br>%{text}<extra></extra>",
        "name": "daily PnL",
    })
    fig["layout"]["xaxis"] = {"type": "date", "title": {"text": "UTC day", "font": {"size": 11}}}
    return fig


def build_equity_split(history: EquityHistory) -> list[tuple[datetime, Decimal, Decimal]]:
    """(time, equity, realized) per point; unrealized = equity − realized.

    Realized is the wallet balance: now, the last equity minus the open positions'
    unrealized PnL; earlier, that minus the PnL booked after the point (walked back
    through the closes). Funding and transfers are not in the books, so they show up
    as unrealized until the next close.
    """
    points = history.points
    if not points:
        return []
    closes = sorted(history.closes)
    wallet = points[-1].equity - history.unrealized_now
    out: list[tuple[datetime, Decimal, Decimal]] = []
    i = len(closes) - 1
    booked_after = Decimal(0)
    last_at = points[-1].at
    while i >= 0 and closes[i][0] > last_at:  # booked after the last point: already in it
        i -= 1
    for p in reversed(points):
        while i >= 0 and closes[i][0] > p.at:
            booked_after += closes[i][1]
            i -= 1
        out.append((p.at, p.equity, wallet - booked_after))
    out.reverse()
    return out


def build_equity_split_figure(history: EquityHistory) -> dict:
    title = "Equity: realized (wallet) and unrealized (USDT)"
    split = build_equity_split(history)
    if not split:
        return empty_figure(title, EQUITY_HEIGHT, "No equity history in this range")
    fig = base_figure(title, EQUITY_HEIGHT)
    xs = [plot_time(at) for at, _, _ in split]
    unrealized = [float(eq - realized) for _, eq, realized in split]
    fig["data"].extend([
        {"type": "scatter", "x": xs, "y": [float(r) for _, _, r in split], "mode": "lines",
         "line": {"color": _WALLET, "width": 1.5, "shape": "hv"}, "name": "realized (wallet)",
         "hovertemplate": "%{x} UTC<br>realized %{y:,.2f}<extra></extra>"},
        {"type": "scatter", "x": xs, "y": [float(eq) for _, eq, _ in split], "mode": "lines",
         "line": {"color": _EQUITY, "width": 2}, "fill": "tonexty",
         "fillcolor": "rgba(13,202,240,0.15)", "name": "equity", "customdata": unrealized,
         "hovertemplate": "%{x} UTC<br>equity %{y:,.2f}<br>unrealized %{customdata:+,.2f}"
                          "<extra></extra>"},
    ])
    fig["layout"]["xaxis"] = time_axis([at for at, _, _ in split])
    fig["layout"]["showlegend"] = True
    fig["layout"]["legend"] = {"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right",
                               "yanchor": "bottom"}
    return fig


def range_span(choice: object) -> timedelta | None:
    """The span the range picker names; anything else is the default range."""
    if isinstance(choice, str) and choice in RANGES:
        return RANGES[choice]
    return RANGES[DEFAULT_RANGE]


def performance_signature(view: PerformanceView) -> list:
    """Changes with the books (a close) or the day; not with the clock alone."""
    day = view.as_of.date().isoformat() if view.as_of else None
    return [view.trades, str(view.realized_total), str(view.fees_total), day]


def _tile(t: PerfTile) -> dbc.Col:
    return dbc.Col(
        html.Div(
            [
                html.Div(t.title, className="qs-kpi-title small text-muted"),
                html.Div(t.value, id={"type": ids.PERF_VALUE, "tile": t.key},
                         className=f"qs-kpi-value fs-5 fw-bold text-{t.tone}"),
            ],
            className="card card-body qs-kpi h-100",
            **{"data-perf": t.key},
        ),
        xs=6, md=3, xl=True, className="mb-2",
    )


def _group_table(body_id: str, first: str, caption: str) -> html.Div:
    heads = [(first, None), ("Trades", "qs-num"), ("Win rate", "qs-num"),
             ("PnL net", "qs-num"), ("Fees", "qs-num")]
    return html.Div(
        html.Table(
            [
                html.Caption(caption, className="caption-top small text-muted"),
                html.Thead(html.Tr([html.Th(h, scope="col", className=c) for h, c in heads])),
                html.Tbody(id=body_id, children=render_group_rows(())),
            ],
            className="table table-sm align-middle mb-0 qs-books",
        ),
        className="table-responsive qs-scroll",
        tabIndex="0",
        **{"aria-label": caption},
    )


def _graph(graph_id: str, figure: dict, height: int) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=figure,
                     config={"displaylogo": False, "displayModeBar": False},
                     style={"height": f"{height}px", "minHeight": f"{height}px"},
                     className="qs-graph")


def layout() -> html.Div:
    loading = PerformanceView()
    return html.Div(
        [
            dcc.Store(id=ids.PERF_SIGNATURE),
            dbc.Row([_tile(t) for t in build_performance_tiles(loading)], className="g-2 mb-2"),
            dbc.Card(
                [
                    dbc.CardHeader(dbc.Row([
                        dbc.Col(html.H2("Equity", className="h6 m-0"), width="auto"),
                        dbc.Col(dbc.RadioItems(
                            id=ids.PERF_RANGE,
                            options=[{"label": k, "value": k} for k in RANGES],
                            value=DEFAULT_RANGE, inline=True,
                            className="btn-group btn-group-sm", inputClassName="btn-check",
                            labelClassName="btn btn-outline-light btn-sm",
                            labelCheckedClassName="active",
                        ), width="auto"),
                    ], align="center", justify="between")),
                    _graph(ids.PERF_EQUITY, empty_figure(
                        "Equity: realized (wallet) and unrealized (USDT)", EQUITY_HEIGHT,
                        "Loading…"), EQUITY_HEIGHT),
                ],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(dbc.Card(_graph(ids.PERF_DAILY, empty_figure(
                        "Daily realized PnL (USDT)", HISTORY_HEIGHT, "Loading…"),
                        HISTORY_HEIGHT)), lg=6, className="mb-3"),
                    dbc.Col(dbc.Card(dbc.CardBody([
                        _group_table(ids.PERF_BY_SYMBOL, "Symbol", "Per symbol"),
                        _group_table(ids.PERF_BY_REASON, "Exit reason", "Per exit reason"),
                    ])), lg=6, className="mb-3"),
                ],
                className="g-3",
            ),
        ],
        id=ids.PERFORMANCE,
    )


def register(app: Dash, ctx: DashContext) -> None:
    @app.callback(
        Output({"type": ids.PERF_VALUE, "tile": ALL}, "children"),
        Output({"type": ids.PERF_VALUE, "tile": ALL}, "className"),
        Output(ids.PERF_BY_SYMBOL, "children"),
        Output(ids.PERF_BY_REASON, "children"),
        Output(ids.PERF_DAILY, "figure"),
        Output(ids.PERF_SIGNATURE, "data"),
        Input(ids.PAGE_ACTIVE, "data"),
        Input(ids.BOOKS_INTERVAL, "n_intervals"),
        State(ids.PERF_SIGNATURE, "data"),
    )
    def refresh_performance(active, _n, shown):
        n_tiles = len(build_performance_tiles(PerformanceView()))
        unchanged = ([no_update] * n_tiles, [no_update] * n_tiles) + (no_update,) * 4
        if not tabs.is_shown(active, tabs.PERFORMANCE):
            return unchanged
        view = ctx.control.performance()
        signature = performance_signature(view)
        if signature == shown:
            return unchanged
        tiles = build_performance_tiles(view)
        return (
            [t.value for t in tiles],
            [f"qs-kpi-value fs-5 fw-bold text-{t.tone}" for t in tiles],
            render_group_rows(view.by_symbol),
            render_group_rows(view.by_reason, reason_label),
            build_daily_figure(view),
            signature,
        )

    @app.callback(
        Output(ids.PERF_EQUITY, "figure"),
        Input(ids.PAGE_ACTIVE, "data"),
        Input(ids.BOOKS_INTERVAL, "n_intervals"),
        Input(ids.PERF_RANGE, "value"),
    )
    def refresh_equity(active, _n, choice):
        if not tabs.is_shown(active, tabs.PERFORMANCE):
            return no_update
        return build_equity_split_figure(ctx.control.equity_history(range_span(choice)))
