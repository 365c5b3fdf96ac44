"""The pages of the dashboard as tabs: the live view first, then the books.

The live tab is what the 2 s poll keeps fresh. The books (closed trades, performance,
signals, audit) are database reads: each card refreshes only while its tab is shown,
on its own slow interval (``BOOKS_REFRESH_MS``), which is off on the live tab.

The tab bar is plain buttons with the WAI-ARIA tab roles (dbc.Tabs gives every tab the
same id and an ``aria-controls`` pointing nowhere). Switching runs in the browser: no
request, and the active page (``ids.PAGE_ACTIVE``) survives a reload of the tab.
"""

from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, dcc, html

from dashboard import ids
from dashboard.ids import dom_id

LIVE = "live"
TRADES = "trades"
PERFORMANCE = "performance"
SIGNALS = "signals"
AUDIT = "audit"
BOOKS_REFRESH_MS = 10_000
_TAB_CLASS = "nav-link qs-tab"


def tab_id(tab: str) -> dict:
    return {"type": ids.PAGE_TAB, "tab": tab}


def panel_id(tab: str) -> dict:
    return {"type": ids.PAGE_PANEL, "tab": tab}


def layout(pages: list[tuple[str, str, object]]) -> list:
    """``pages``: (tab, label, content); the first one is shown until another is chosen."""
    first = pages[0][0]
    bar = html.Div(
        [
            html.Button(
                label,
                id=tab_id(tab),
                type="button",
                role="tab",
                className=_TAB_CLASS + (" active" if tab == first else ""),
                **{"aria-selected": "true" if tab == first else "false",
                   "aria-controls": dom_id(panel_id(tab)), "data-tab": tab},
            )
            for tab, label, _ in pages
        ],
        role="tablist",
        className="nav nav-tabs qs-tabs mt-2 mb-3",
        **{"aria-label": "Pages"},
    )
    panels = [
        html.Div(content, id=panel_id(tab), role="tabpanel", hidden=tab != first,
                 **{"aria-labelledby": dom_id(tab_id(tab)), "data-page": tab})
        for tab, _, content in pages
    ]
    return [
        dcc.Store(id=ids.PAGE_ACTIVE, data=first, storage_type="session"),
        dcc.Interval(id=ids.BOOKS_INTERVAL, interval=BOOKS_REFRESH_MS, disabled=True),
        bar,
        *panels,
    ]


def is_shown(active: object, tab: str) -> bool:
    return active == tab


_SWITCH_JS = """
function(clicks, active, tabIds) {
    var ctx = window.dash_clientside.callback_context;
    var chosen = active || tabIds[0].tab;
    var hit = ctx.triggered_id;
    if (hit && hit.tab && ctx.triggered.some(function (t) { return t.value; })) {
        chosen = hit.tab;
    }
    if (!tabIds.some(function (t) { return t.tab === chosen; })) { chosen = tabIds[0].tab; }
    return [
        chosen,
        tabIds.map(function (t) { return '__TAB_CLASS__' + (t.tab === chosen ? ' active' : ''); }),
        tabIds.map(function (t) { return t.tab === chosen ? 'true' : 'false'; }),
        tabIds.map(function (t) { return t.tab !== chosen; }),
        chosen === '__LIVE__'
    ];
}
""".replace("__TAB_CLASS__", _TAB_CLASS).replace("__LIVE__", LIVE)


def register(app: Dash) -> None:
    """One browser-side callback: the chosen tab, its buttons' state, the panels shown, and
    the books' interval (off on the live tab)."""
    app.clientside_callback(
        _SWITCH_JS,
        Output(ids.PAGE_ACTIVE, "data"),
        Output(tab_id(ALL), "className"),
        Output(tab_id(ALL), "aria-selected"),
        Output(panel_id(ALL), "hidden"),
        Output(ids.BOOKS_INTERVAL, "disabled"),
        Input(tab_id(ALL), "n_clicks"),
        Input(ids.PAGE_ACTIVE, "data"),  # also when the session's choice is restored
        State(tab_id(ALL), "id"),
    )
