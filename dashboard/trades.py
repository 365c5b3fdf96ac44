"""Closed trades: the books, newest close first, paged and filtered in the database.

Each row says how the trade went in the operator's terms: the exit reason (stop,
take-profit, trailing, emergency, flatten, manual, liquidation), the R multiple
(what it made in units of the risk taken to its own stop), the PnL net of fees and
the fees. Only one page (``PAGE_SIZE`` rows) leaves the bot per request; the CSV
export asks for every matching trade, with exact numbers (no display rounding).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from bot.domain import Direction, ExitReason, Trade
from bot.domain.books import MAX_PAGE_SIZE, TradePage, TradeQuery
from dashboard import book_table, ids, tabs
from dashboard.book_table import ANY
from dashboard.context import DashContext
from dashboard.elements import el, sign_tone, tone_class
from dashboard.formatting import (
    DASH,
    age_seconds,
    fmt_datetime,
    fmt_duration,
    fmt_money,
    fmt_price,
    fmt_qty,
    fmt_r,
    fmt_signed,
    utc_attrs,
)

PAGE_SIZE = 50
COLUMNS = ("Symbol", "Side", "Qty", "Opened (UTC)", "Entry", "Closed (UTC)", "Exit", "Reason",
           "R", "PnL net (USDT)", "Fees", "Held")
NUMERIC = frozenset({"Qty", "Entry", "Exit", "R", "PnL net (USDT)", "Fees", "Held"})
REASON_LABELS = {
    ExitReason.STOP.value: "stop",
    ExitReason.TAKE_PROFIT.value: "take profit",
    ExitReason.TRAILING.value: "trailing",
    ExitReason.EMERGENCY.value: "emergency",
    ExitReason.FLATTEN.value: "flatten",
    ExitReason.MANUAL.value: "manual",
    ExitReason.LIQUIDATION.value: "liquidation",
    ExitReason.UNKNOWN.value: "unknown",
}
_ALARMING = frozenset({ExitReason.EMERGENCY.value, ExitReason.LIQUIDATION.value})
NO_TRADES = "No closed trades yet"
NO_MATCH = "No closed trade matches these filters"
CSV_FIELDS = ("id", "symbol", "side", "quantity", "opened_at", "entry_price", "closed_at",
              "exit_price", "exit_reason", "stop_price", "r_multiple", "pnl_usdt", "fees_usdt",
              "duration_s")


def r_multiple(t: Trade) -> Decimal | None:
    """(exit − entry) / (entry − stop): +1R made what the stop risked, −1R lost it.

    The same formula holds for both sides (a short's stop lies above its entry);
    None without a stop, an exit, or any distance between entry and stop.
    """
    if t.exit_price is None or t.stop_price is None or t.entry_price == t.stop_price:
        return None
    return ((t.exit_price - t.entry_price) / (t.entry_price - t.stop_price)).quantize(
        Decimal("0.01"))


def reason_label(reason: str | None) -> str:
    return REASON_LABELS.get(reason or "", reason or DASH)


@dataclass(frozen=True)
class TradeRow:
    id: int | None
    symbol: str
    side: str
    reason: str
    cells: tuple[str, ...]  # the text of COLUMNS[2:], in order
    pnl_tone: str
    r_tone: str
    opened_attrs: tuple[tuple[str, str], ...] = ()
    closed_attrs: tuple[tuple[str, str], ...] = ()


def build_trade_rows(trades: Sequence[Trade]) -> list[TradeRow]:
    return [_row(t) for t in trades]


def _row(t: Trade) -> TradeRow:
    r = r_multiple(t)
    held = age_seconds(t.opened_at, t.closed_at) if t.closed_at else None
    return TradeRow(
        id=t.id,
        symbol=t.symbol,
        side=t.direction.value,
        reason=t.close_reason or "",
        cells=(
            fmt_qty(t.quantity),
            fmt_datetime(t.opened_at),
            fmt_price(t.entry_price),
            fmt_datetime(t.closed_at),
            fmt_price(t.exit_price),
            reason_label(t.close_reason),
            fmt_r(r),
            fmt_signed(t.pnl_usdt),
            fmt_money(t.fees_usdt),
            fmt_duration(held),
        ),
        pnl_tone=sign_tone(t.pnl_usdt),
        r_tone=sign_tone(r),
        opened_attrs=tuple(utc_attrs(t.opened_at).items()),
        closed_attrs=tuple(utc_attrs(t.closed_at).items()),
    )


def render_rows(rows: list[TradeRow], filtered: bool) -> list[dict]:
    if not rows:
        text = NO_MATCH if filtered else NO_TRADES
        return [el("Tr", [el("Td", text, colSpan=len(COLUMNS), className="text-muted qs-empty")])]
    return [_render_row(r) for r in rows]


def _render_row(r: TradeRow) -> dict:
    qty, opened, entry, closed, exit_, reason, rm, pnl, fees, held = r.cells
    reason_class = "text-danger fw-bold" if r.reason in _ALARMING else ""
    cells = [
        el("Td", r.symbol, className="fw-bold"),
        el("Td", r.side, className="text-success" if r.side == "LONG" else "text-danger"),
        el("Td", qty, className="qs-num"),
        el("Td", opened, className="small text-muted", **dict(r.opened_attrs)),
        el("Td", entry, className="qs-num"),
        el("Td", closed, className="small", **dict(r.closed_attrs)),
        el("Td", exit_, className="qs-num"),
        el("Td", reason, className=reason_class, **{"data-reason": r.reason}),
        el("Td", rm, className=tone_class("qs-num", r.r_tone)),
        el("Td", pnl, className=tone_class("qs-num fw-bold", r.pnl_tone)),
        el("Td", fees, className="qs-num small text-muted"),
        el("Td", held, className="qs-num small"),
    ]
    return el("Tr", cells, **{"data-trade-id": str(r.id), "data-symbol": r.symbol})


def page_summary(page: TradePage) -> str:
    return book_table.range_summary(page.page, page.page_size, len(page.trades), page.total,
                                    "closed trades")


def build_trades_csv(trades: Sequence[Trade]) -> str:
    """Every field exact (Decimal as written, times ISO 8601 UTC): for a spreadsheet or a tax
    report, not rounded for the eye."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for t in trades:
        held = age_seconds(t.opened_at, t.closed_at) if t.closed_at else None
        r = r_multiple(t)
        writer.writerow([
            t.id, t.symbol, t.direction.value, _plain(t.quantity), _iso(t.opened_at),
            _plain(t.entry_price), _iso(t.closed_at), _plain(t.exit_price), t.close_reason or "",
            _plain(t.stop_price), _plain(r), _plain(t.pnl_usdt), _plain(t.fees_usdt),
            "" if held is None else int(held),
        ])
    return out.getvalue()


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _iso(at) -> str:
    return "" if at is None else at.isoformat().replace("+00:00", "Z")


def build_query(symbol: object, reason: object, side: object, page: int = 0,
                page_size: int = PAGE_SIZE) -> TradeQuery:
    """The filters as the page sent them; anything the selects cannot hold means "all"."""
    direction = side if side in (Direction.LONG.value, Direction.SHORT.value) else None
    return TradeQuery(
        symbol=symbol if isinstance(symbol, str) and symbol not in ("", ANY) else None,
        reason=reason if isinstance(reason, str) and reason in REASON_LABELS else None,
        direction=Direction(direction) if direction else None,
        page=max(0, page),
        page_size=page_size,
    )


def symbol_options(symbols: Sequence[str]) -> list[dict[str, str]]:
    return book_table.options(symbols, "All symbols")


def layout() -> dbc.Card:
    reasons = [{"label": "All reasons", "value": ANY}] + [
        {"label": text, "value": value} for value, text in REASON_LABELS.items()]
    sides = [{"label": "Both sides", "value": ANY}, {"label": "LONG", "value": "LONG"},
             {"label": "SHORT", "value": "SHORT"}]
    return dbc.Card(
        [
            dbc.CardHeader(
                dbc.Row(
                    [
                        dbc.Col(html.H2("Closed trades", className="h6 m-0"), xs=12, md=True),
                        book_table.filter_select(ids.TRADES_SYMBOL, "Symbol",
                                                 symbol_options(())),
                        book_table.filter_select(ids.TRADES_REASON, "Exit reason", reasons),
                        book_table.filter_select(ids.TRADES_SIDE, "Side", sides),
                        dbc.Col(
                            [
                                dbc.Button("Export CSV", id=ids.TRADES_EXPORT, size="sm",
                                           color="light", outline=True),
                                dcc.Download(id=ids.TRADES_DOWNLOAD),
                            ],
                            xs=6, md="auto", className="align-self-end",
                        ),
                    ],
                    align="center",
                    className="g-2",
                )
            ),
            book_table.table(ids.TRADES_TABLE,
                             "Closed trades, newest close first; PnL net of fees", COLUMNS,
                             NUMERIC, render_rows([], filtered=False), "Closed trades table"),
            book_table.footer(ids.TRADES_SUMMARY, ids.TRADES_PAGER),
        ],
        id=ids.CLOSED_TRADES,
        className="mb-3",
    )


_FILTERS = (ids.TRADES_SYMBOL, ids.TRADES_REASON, ids.TRADES_SIDE)


def register(app: Dash, ctx: DashContext) -> None:
    @app.callback(
        Output(ids.TRADES_TABLE, "children"),
        Output(ids.TRADES_SUMMARY, "children"),
        Output(ids.TRADES_PAGER, "max_value"),
        Output(ids.TRADES_PAGER, "active_page"),
        Output(ids.TRADES_SYMBOL, "options"),
        Input(ids.PAGE_ACTIVE, "data"),
        Input(ids.BOOKS_INTERVAL, "n_intervals"),
        Input(ids.TRADES_SYMBOL, "value"),
        Input(ids.TRADES_REASON, "value"),
        Input(ids.TRADES_SIDE, "value"),
        Input(ids.TRADES_PAGER, "active_page"),
        State(ids.TRADES_SYMBOL, "options"),
    )
    def refresh_trades(active_tab, _n, symbol, reason, side, active_page, shown_options):
        if not tabs.is_shown(active_tab, tabs.TRADES):
            return (no_update,) * 5
        page = 0 if dash_ctx.triggered_id in _FILTERS else book_table.page_index(active_page)
        query = build_query(symbol, reason, side, page)
        result = ctx.control.closed_trades(query)
        filtered = bool(query.symbol or query.reason or query.direction)
        options = symbol_options(result.symbols)
        return (
            render_rows(build_trade_rows(result.trades), filtered),
            page_summary(result),
            result.pages,
            result.page + 1,
            no_update if options == shown_options else options,
        )

    @app.callback(
        Output(ids.TRADES_DOWNLOAD, "data"),
        Input(ids.TRADES_EXPORT, "n_clicks"),
        State(ids.TRADES_SYMBOL, "value"),
        State(ids.TRADES_REASON, "value"),
        State(ids.TRADES_SIDE, "value"),
        prevent_initial_call=True,
    )
    def export_trades(clicks, symbol, reason, side):
        if not clicks:
            return no_update
        result = ctx.control.closed_trades(
            build_query(symbol, reason, side, 0, page_size=MAX_PAGE_SIZE))
        return {"content": build_trades_csv(result.trades), "filename": "closed-trades.csv",
                "type": "text/csv", "base64": False}
