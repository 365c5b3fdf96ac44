"""Signals and decisions: every signal the bot received, and the rule that let it through or
stopped it, with the rule's reason ("BTC UPTREND: shorts blocked ...").

Newest first, paged and filtered in the database (verdict, symbol, rule); a denial's row
is tinted so a run of refusals stands out. The allowing "rule" is the whole filter
(``filter``: every enabled rule passed), with the size it chose.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, html, no_update
from dash import ctx as dash_ctx

from bot.domain.books import DecisionPage, DecisionQuery, DecisionView
from dashboard import book_table, ids, tabs
from dashboard.book_table import ANY, options
from dashboard.context import DashContext
from dashboard.elements import el
from dashboard.formatting import DASH, fmt_datetime, fmt_qty, utc_attrs

PAGE_SIZE = 50
COLUMNS = ("Time (UTC)", "Symbol", "Side", "Conf.", "Source", "Verdict", "Rule", "Reason", "Qty")
NUMERIC = frozenset({"Conf.", "Qty"})
VERDICTS = {ANY: "All verdicts", "allowed": "Allowed", "denied": "Denied"}
NO_SIGNALS = "No signal received yet"
NO_MATCH = "No signal matches these filters"


def build_query(verdict: object, symbol: object, rule: object, page: int = 0) -> DecisionQuery:
    """The filters as sent; anything the selects cannot hold means "all"."""
    return DecisionQuery(
        symbol=symbol if isinstance(symbol, str) and symbol not in ("", ANY) else None,
        allowed={"allowed": True, "denied": False}.get(verdict if isinstance(verdict, str)
                                                        else ""),
        rule=rule if isinstance(rule, str) and rule not in ("", ANY) else None,
        page=max(0, page),
        page_size=PAGE_SIZE,
    )


def render_rows(decisions: Sequence[DecisionView], filtered: bool) -> list[dict]:
    if not decisions:
        text = NO_MATCH if filtered else NO_SIGNALS
        return [el("Tr", [el("Td", text, colSpan=len(COLUMNS), className="text-muted qs-empty")])]
    return [_row(d) for d in decisions]


def _row(d: DecisionView) -> dict:
    side = d.direction.value if d.direction else DASH
    verdict = "ALLOWED" if d.allowed else "DENIED"
    cells = [
        el("Td", fmt_datetime(d.at), className="small", **utc_attrs(d.at)),
        el("Td", d.symbol or DASH, className="fw-bold"),
        el("Td", side, className="text-success" if side == "LONG" else "text-danger"),
        el("Td", DASH if d.confidence is None else f"{d.confidence:.2f}", className="qs-num"),
        el("Td", d.source or DASH, className="small"),
        el("Td", el("Span", verdict, className="badge text-bg-"
                    + ("success" if d.allowed else "danger"))),
        el("Td", d.rule or DASH, className="qs-mono small"),
        el("Td", d.reason, className="small qs-reason"),
        el("Td", fmt_qty(d.quantity), className="qs-num"),
    ]
    props = {"data-decision-id": str(d.id), "data-verdict": verdict.lower()}
    if not d.allowed:
        props["className"] = "qs-row-denied"
    return el("Tr", cells, **props)


def page_summary(page: DecisionPage) -> str:
    return book_table.range_summary(page.page, page.page_size, len(page.decisions), page.total,
                                    "signals")


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(dbc.Row(
                [
                    dbc.Col(html.H2("Signals and decisions", className="h6 m-0"), xs=12,
                            md=True),
                    book_table.filter_select(
                        ids.SIGNALS_VERDICT, "Verdict",
                        [{"label": v, "value": k} for k, v in VERDICTS.items()], xs=4),
                    book_table.filter_select(ids.SIGNALS_SYMBOL, "Symbol",
                                             options((), "All symbols"), xs=4),
                    book_table.filter_select(ids.SIGNALS_RULE, "Rule",
                                             options((), "All rules"), xs=4),
                ],
                align="center", className="g-2",
            )),
            book_table.table(ids.SIGNALS_TABLE,
                             "Signals, newest first, with the rule that decided each", COLUMNS,
                             NUMERIC, render_rows((), False), "Signals table"),
            book_table.footer(ids.SIGNALS_SUMMARY, ids.SIGNALS_PAGER),
        ],
        id=ids.SIGNALS,
        className="mb-3",
    )


_FILTERS = (ids.SIGNALS_VERDICT, ids.SIGNALS_SYMBOL, ids.SIGNALS_RULE)


def register(app: Dash, ctx: DashContext) -> None:
    @app.callback(
        Output(ids.SIGNALS_TABLE, "children"),
        Output(ids.SIGNALS_SUMMARY, "children"),
        Output(ids.SIGNALS_PAGER, "max_value"),
        Output(ids.SIGNALS_PAGER, "active_page"),
        Output(ids.SIGNALS_SYMBOL, "options"),
        Output(ids.SIGNALS_RULE, "options"),
        Input(ids.PAGE_ACTIVE, "data"),
        Input(ids.BOOKS_INTERVAL, "n_intervals"),
        Input(ids.SIGNALS_VERDICT, "value"),
        Input(ids.SIGNALS_SYMBOL, "value"),
        Input(ids.SIGNALS_RULE, "value"),
        Input(ids.SIGNALS_PAGER, "active_page"),
        State(ids.SIGNALS_SYMBOL, "options"),
        State(ids.SIGNALS_RULE, "options"),
    )
    def refresh_signals(active, _n, verdict, symbol, rule, active_page, shown_symbols,
                        shown_rules):
        if not tabs.is_shown(active, tabs.SIGNALS):
            return (no_update,) * 6
        page = 0 if dash_ctx.triggered_id in _FILTERS else book_table.page_index(active_page)
        query = build_query(verdict, symbol, rule, page)
        result = ctx.control.decisions(query)
        filtered = query.symbol is not None or query.allowed is not None or bool(query.rule)
        symbols = options(result.symbols, "All symbols")
        rules = options(result.rules, "All rules")
        return (
            render_rows(result.decisions, filtered),
            page_summary(result),
            result.pages,
            result.page + 1,
            no_update if symbols == shown_symbols else symbols,
            no_update if rules == shown_rules else rules,
        )
