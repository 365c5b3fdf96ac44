"""The paged, filtered table the books share (closed trades, signals): one look, one pager.

A page of rows leaves the bot per request; the filters are selects whose "all"
choice is ``ANY``; the pager counts from 1 and a forged or missing page is the
first one. Kept in one place so both tables read, scroll and page the same way
for the keyboard and the screen reader.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import html

ANY = "*"  # a filter's "all" choice (an empty value would select the select's placeholder)


def options(values: Sequence[str], all_label: str) -> list[dict[str, str]]:
    return [{"label": all_label, "value": ANY}] + [{"label": v, "value": v} for v in values]


def filter_select(select_id: str, label: str, choices: list[dict[str, str]],
                  xs: int = 6) -> dbc.Col:
    return dbc.Col(
        [
            dbc.Label(label, html_for=select_id, className="small text-muted mb-0"),
            dbc.Select(id=select_id, options=choices, value=ANY, size="sm"),
        ],
        xs=xs, md="auto",
    )


def table(body_id: str, caption: str, columns: Sequence[str], numeric: frozenset[str],
          rows: list, label: str) -> html.Div:
    return html.Div(
        html.Table(
            [
                html.Caption(caption, className="visually-hidden"),
                html.Thead(html.Tr([
                    html.Th(c, scope="col", className="qs-num" if c in numeric else None)
                    for c in columns])),
                html.Tbody(id=body_id, children=rows),
            ],
            className="table table-sm table-hover align-middle mb-0 qs-books",
        ),
        className="table-responsive qs-scroll qs-books-scroll",
        tabIndex="0",  # a scrolling region must be reachable by keyboard
        **{"aria-label": label},
    )


def footer(summary_id: str, pager_id: str) -> dbc.CardFooter:
    return dbc.CardFooter(dbc.Row(
        [
            dbc.Col(html.Span("", id=summary_id, className="small text-muted"), xs=12, md=True),
            dbc.Col(dbc.Pagination(id=pager_id, max_value=1, active_page=1, first_last=True,
                                   previous_next=True, fully_expanded=False, size="sm",
                                   className="mb-0"),
                    xs=12, md="auto"),
        ],
        align="center", className="g-2",
    ))


def page_index(active_page: object) -> int:
    """The pager counts from 1; a missing or forged value is the first page."""
    return active_page - 1 if isinstance(active_page, int) and active_page > 0 else 0


def range_summary(page: int, page_size: int, shown: int, total: int, noun: str) -> str:
    """``51–100 of 120 closed trades``; ``0 closed trades`` when there are none."""
    if total == 0:
        return f"0 {noun}"
    first = page * page_size + 1
    return f"{first:,}–{first + shown - 1:,} of {total:,} {noun}"
