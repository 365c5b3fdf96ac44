"""The audit trail: every change to a safety rule or the kill switch, who made it and why.

Newest first, from the store's audit table (written in the same transaction as the
change itself). A rule switched off shows the reason its confirmation asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, html, no_update

from bot.domain.books import AuditView
from dashboard import ids, tabs
from dashboard.context import DashContext
from dashboard.elements import el
from dashboard.formatting import DASH, fmt_datetime, utc_attrs

LIMIT = 200
COLUMNS = ("Time (UTC)", "What", "Change", "Who", "Reason")
NO_CHANGES = "No change recorded yet"
RULE_PREFIX = "rule."
_LOWERING = frozenset({"false", "HALTED", "FLATTENING"})


def describe_key(key: str) -> str:
    """``rule.uptrend_short_block.enabled`` → ``uptrend_short_block · enabled``."""
    if key.startswith(RULE_PREFIX):
        name, _, field = key[len(RULE_PREFIX):].rpartition(".")
        return f"{name} · {field}" if name else field
    return key.replace("_", " ")


def render_rows(entries: Sequence[AuditView]) -> list[dict]:
    if not entries:
        return [el("Tr", [el("Td", NO_CHANGES, colSpan=len(COLUMNS),
                             className="text-muted qs-empty")])]
    return [_row(a) for a in entries]


def _row(a: AuditView) -> dict:
    lowered = (a.new or "") in _LOWERING
    change = [el("Span", a.old if a.old is not None else DASH, className="text-muted"), " → ",
              el("Span", a.new if a.new is not None else DASH,
                 className="fw-bold text-warning" if lowered else "fw-bold")]
    cells = [
        el("Td", fmt_datetime(a.at), className="small", **utc_attrs(a.at)),
        el("Td", describe_key(a.key), className="qs-mono small"),
        el("Td", change),
        el("Td", a.actor),
        el("Td", a.note or DASH, className="small qs-reason"),
    ]
    return el("Tr", cells, **{"data-audit-key": a.key})


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Audit trail: rules and kill switch", className="h6 m-0")),
            html.Div(
                html.Table(
                    [
                        html.Caption("Changes to safety rules and the kill switch, newest first",
                                     className="visually-hidden"),
                        html.Thead(html.Tr([html.Th(c, scope="col") for c in COLUMNS])),
                        html.Tbody(id=ids.AUDIT_TABLE, children=render_rows(())),
                    ],
                    className="table table-sm align-middle mb-0 qs-books",
                ),
                className="table-responsive qs-scroll qs-books-scroll",
                tabIndex="0",
                **{"aria-label": "Audit trail"},
            ),
        ],
        id=ids.AUDIT,
        className="mb-3",
    )


def register(app: Dash, ctx: DashContext) -> None:
    @app.callback(
        Output(ids.AUDIT_TABLE, "children"),
        Input(ids.PAGE_ACTIVE, "data"),
        Input(ids.BOOKS_INTERVAL, "n_intervals"),
        Input(ids.CONTROL_VERSION, "data"),  # a change made from this page shows at once
    )
    def refresh_audit(active, _n, _version):
        if not tabs.is_shown(active, tabs.AUDIT):
            return no_update
        return render_rows(ctx.control.audit_trail(LIMIT))
