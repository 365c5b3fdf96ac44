"""The positions table: every open position with its stop and its coverage badge.

Uncovered positions sort first, so a NAKED row is the first thing on screen.
Each row carries ``data-symbol`` and ``data-coverage`` so a browser check can
find "ATOMUSDT ... COVERED" without depending on column order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import Output, State, dcc, html, no_update

from bot.domain import Coverage, PositionView, Snapshot
from dashboard import ids
from dashboard.formatting import (
    DASH,
    age_seconds,
    fmt_age_minutes,
    fmt_decimal,
    fmt_pct,
    fmt_signed,
    fmt_time,
)
from dashboard.polling import PollPart

COLUMNS = (
    "Symbol",
    "Side",
    "Qty",
    "Entry",
    "Mark",
    "uPnL",
    "Stop",
    "Dist",
    "Stop id",
    "Working",
    "Trailing",
    "TP",
    "Coverage",
    "Verified",
    "Age",
)
COVERAGE_COLORS = {
    Coverage.COVERED: "success",
    Coverage.PARTIAL: "warning",
    Coverage.NAKED: "danger",
}
_COVERAGE_ORDER = {Coverage.NAKED: 0, Coverage.PARTIAL: 1, Coverage.COVERED: 2}


@dataclass(frozen=True)
class PositionRow:
    symbol: str
    side: str
    cells: tuple[str, ...]  # the text of COLUMNS[2:12], in order
    coverage: Coverage
    verified: str
    age: str
    pnl_tone: str


def build_position_rows(positions: tuple[PositionView, ...], now: datetime) -> list[PositionRow]:
    """Rows in display order: NAKED, then PARTIAL, then COVERED; by symbol within each."""
    ordered = sorted(positions, key=lambda p: (_COVERAGE_ORDER[p.coverage], p.symbol))
    return [_row(p, now) for p in ordered]


def _row(p: PositionView, now: datetime) -> PositionRow:
    if p.trailing_rate is not None:
        trailing = f"{fmt_decimal(p.trailing_rate)}%"
        if p.trailing_activation is not None:
            trailing += f" @ {fmt_decimal(p.trailing_activation)}"
    else:
        trailing = DASH
    return PositionRow(
        symbol=p.symbol,
        side=p.direction.value,
        cells=(
            fmt_decimal(p.quantity),
            fmt_decimal(p.entry_price),
            fmt_decimal(p.mark_price),
            fmt_signed(p.unrealized_pnl),
            fmt_decimal(p.stop_trigger),
            fmt_pct(p.stop_distance_pct),
            p.stop_id or DASH,
            p.working_type or DASH,
            trailing,
            fmt_decimal(p.take_profit),
        ),
        coverage=p.coverage,
        verified=fmt_time(p.verified_at),
        age=fmt_age_minutes(age_seconds(p.opened_at, now)),
        pnl_tone="success" if p.unrealized_pnl > 0 else ("danger" if p.unrealized_pnl < 0 else ""),
    )


def _el(kind: str, children: object, **props: object) -> dict:
    """An html element in Dash's wire format, skipping component construction.

    A poll renders about 3,000 cells for 200 positions; building each as a
    component object (with its prop validation) costs more than the whole
    rest of the callback, and the renderer only ever sees this JSON anyway.
    """
    props["children"] = children
    return {"type": kind, "namespace": "dash_html_components", "props": props}


def render_rows(rows: list[PositionRow]) -> list[dict]:
    if not rows:
        return [
            _el(
                "Tr", [_el("Td", "No open positions", colSpan=len(COLUMNS), className="text-muted")]
            )
        ]
    return [_render_row(r) for r in rows]


def _render_row(r: PositionRow) -> dict:
    qty, entry, mark, pnl, stop, dist, stop_id, working, trailing, tp = r.cells
    side_tone = "text-success" if r.side == "LONG" else "text-danger"
    badge = _el(
        "Span",
        r.coverage.value,
        className=f"badge text-bg-{COVERAGE_COLORS[r.coverage]} qs-coverage",
    )
    cells = [
        _el("Td", r.symbol, className="fw-bold"),
        _el("Td", r.side, className=side_tone),
        _el("Td", qty),
        _el("Td", entry),
        _el("Td", mark),
        _el("Td", pnl, className=f"text-{r.pnl_tone}") if r.pnl_tone else _el("Td", pnl),
        _el("Td", stop),
        _el("Td", dist),
        _el("Td", stop_id, className="qs-mono small"),
        _el("Td", working, className="small"),
        _el("Td", trailing),
        _el("Td", tp),
        _el("Td", badge),
        _el("Td", r.verified, className="small text-muted"),
        _el("Td", r.age, className="small"),
    ]
    props: dict[str, object] = {"data-symbol": r.symbol, "data-coverage": r.coverage.value}
    if r.coverage is Coverage.NAKED:
        props["className"] = "qs-row-naked"
    return _el("Tr", cells, **props)


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Open positions"),
            dcc.Store(id=ids.POSITIONS_SIGNATURE),
            html.Div(
                html.Table(
                    [
                        html.Thead(html.Tr([html.Th(c) for c in COLUMNS])),
                        html.Tbody(id=ids.POSITIONS_TABLE),
                    ],
                    className="table table-sm table-hover align-middle mb-0 qs-positions",
                ),
                className="table-responsive qs-scroll",
            ),
        ],
        className="mb-3",
    )


def rows_signature(rows: list[PositionRow]) -> str:
    """Stable across processes and polls while no shown value changes (ages are per minute)."""
    digest = hashlib.blake2b(repr(rows).encode(), digest_size=12)
    return digest.hexdigest()


def render(snap: Snapshot, now: datetime, shown: str | None) -> tuple:
    """Unchanged rows are not resent: 200 rows are ~3,000 cells for the browser to redraw."""
    rows = build_position_rows(snap.positions, now)
    signature = rows_signature(rows)
    if signature == shown:
        return no_update, no_update
    return render_rows(rows), signature


def poll_part() -> PollPart:
    return PollPart(
        "positions",
        (Output(ids.POSITIONS_TABLE, "children"), Output(ids.POSITIONS_SIGNATURE, "data")),
        render,
        (State(ids.POSITIONS_SIGNATURE, "data"),),
    )
