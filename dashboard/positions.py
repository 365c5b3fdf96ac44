"""The positions table: every open position with its stop and its coverage badge.

Uncovered positions sort first, so a NAKED row is the first thing on screen.
Besides price and stop, each row says what the position weighs (notional, leverage,
liquidation price), how it stands (uPnL in USDT and in % of its entry notional, the
open R multiple) and what the stop would cost (USDT at risk, or locked in); the
coverage badge carries its recent history ("re-protected 05:20:16 · naked 9s"),
and the stop order's id and working type fold into a detail.
Each row carries ``data-symbol`` and ``data-coverage`` so a browser check can
find "ATOMUSDT ... COVERED" without depending on column order. Numbers are
rounded for display (``formatting.fmt_price``) and right-aligned. On a narrow
screen the same rows show as one card each (symbol, side, uPnL, coverage)
instead of the wide table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import dash_bootstrap_components as dbc
from dash import Output, State, dcc, html, no_update

from bot.domain import Coverage, Direction, PositionView, Snapshot
from dashboard import ids
from dashboard.elements import sign_tone, tone_class
from dashboard.formatting import (
    DASH,
    age_seconds,
    fmt_age,
    fmt_age_minutes,
    fmt_decimal,
    fmt_money,
    fmt_pct,
    fmt_price,
    fmt_qty,
    fmt_r,
    fmt_signed,
    fmt_signed_pct,
    fmt_time,
    utc_attrs,
)
from dashboard.polling import PollPart

COLUMNS = (
    "Symbol",
    "Side",
    "Qty",
    "Entry",
    "Mark",
    "Notional",
    "Lev",
    "Liq.",
    "uPnL",
    "uPnL %",
    "Stop",
    "Dist",
    "At risk",
    "R",
    "Trailing",
    "TP",
    "Coverage",
    "Stop order",
    "Verified (UTC)",
    "Age",
)
NUMERIC = frozenset({"Qty", "Entry", "Mark", "Notional", "Lev", "Liq.", "uPnL", "uPnL %", "Stop",
                     "Dist", "At risk", "R", "TP"})
EMPTY_TEXT = "No open positions"
COVERAGE_COLORS = {
    Coverage.COVERED: "success",
    Coverage.PARTIAL: "warning",
    Coverage.AT_RISK: "danger",  # a stop beyond the liquidation price would never fire
    Coverage.NAKED: "danger",
}
_COVERAGE_ORDER = {Coverage.NAKED: 0, Coverage.AT_RISK: 1, Coverage.PARTIAL: 2,
                   Coverage.COVERED: 3}


@dataclass(frozen=True)
class PositionRow:
    symbol: str
    side: str
    cells: tuple[str, ...]  # the text of COLUMNS[2:16] (Qty .. TP), in order
    coverage: Coverage
    verified: str
    age: str
    pnl_tone: str
    verified_attrs: tuple[tuple[str, str], ...] = ()
    coverage_note: str = ""  # "re-protected 05:20:16 · naked 9s", or "naked 12s" while naked
    risk_tone: str = ""
    r_tone: str = ""
    stop_id: str = DASH
    working: str = DASH


def notional(p: PositionView) -> Decimal:
    """What the position is worth at the mark."""
    return abs(p.quantity * p.mark_price)


def upnl_pct(p: PositionView) -> float | None:
    """Unrealized PnL in percent of the entry notional: the price move in the position's
    favour (not of the margin, which the leverage would multiply)."""
    basis = abs(p.quantity * p.entry_price)
    return float(p.unrealized_pnl / basis * 100) if basis else None


def pnl_at_stop(p: PositionView) -> Decimal | None:
    """The result if the stop fills at its trigger: negative is the USDT at risk, positive
    what a stop past the entry (trailing) has locked in."""
    if p.stop_trigger is None:
        return None
    sign = 1 if p.direction is Direction.LONG else -1
    return (p.stop_trigger - p.entry_price) * p.quantity * sign


def open_r(p: PositionView) -> Decimal | None:
    """(mark − entry) / (entry − stop): the open result in units of the risk taken, against
    the trade's own stop (``risk_stop``) or, failing that, the working one while it still
    lies on the losing side of the entry."""
    basis = p.risk_stop if p.risk_stop is not None else p.stop_trigger
    if basis is None:
        return None
    risk = p.entry_price - basis
    if risk == 0 or (risk < 0) != (p.direction is Direction.SHORT):
        return None  # a stop at or past the entry: no risk to measure against
    return ((p.mark_price - p.entry_price) / risk).quantize(Decimal("0.01"))


def coverage_note(p: PositionView, now: datetime) -> str:
    """The coverage's recent history: how long it has been naked, or when it was last
    re-protected and how long it had been naked then."""
    if p.naked_since is not None and p.coverage is not Coverage.COVERED:
        return f"naked {fmt_age(age_seconds(p.naked_since, now))}"
    if p.reprotected_at is None:
        return ""
    note = f"re-protected {fmt_time(p.reprotected_at)}"
    if p.last_naked_s is not None:
        note += f" · naked {fmt_age(p.last_naked_s)}"
    return note


def build_position_rows(positions: tuple[PositionView, ...], now: datetime) -> list[PositionRow]:
    """Rows in display order: NAKED, AT RISK, PARTIAL, then COVERED; by symbol within each."""
    ordered = sorted(positions, key=lambda p: (_COVERAGE_ORDER.get(p.coverage, 0), p.symbol))
    return [_row(p, now) for p in ordered]


def _row(p: PositionView, now: datetime) -> PositionRow:
    def price(value):
        return fmt_price(value, p.price_decimals)

    if p.trailing_rate is not None:
        trailing = f"{fmt_decimal(p.trailing_rate)}%"
        if p.trailing_activation is not None:
            trailing += f" @ {price(p.trailing_activation)}"
    else:
        trailing = DASH
    at_stop = pnl_at_stop(p)
    r = open_r(p)
    return PositionRow(
        symbol=p.symbol,
        side=p.direction.value,
        cells=(
            fmt_qty(p.quantity, p.qty_decimals),
            price(p.entry_price),
            price(p.mark_price),
            fmt_money(notional(p)),
            f"{p.leverage}×" if p.leverage else DASH,
            price(p.liquidation_price),
            fmt_signed(p.unrealized_pnl),
            fmt_signed_pct(upnl_pct(p)),
            price(p.stop_trigger),
            fmt_pct(p.stop_distance_pct),
            _at_risk_text(at_stop),
            fmt_r(r),
            trailing,
            price(p.take_profit),
        ),
        coverage=p.coverage,
        verified=fmt_time(p.verified_at),
        age=fmt_age_minutes(age_seconds(p.opened_at, now)),
        pnl_tone=sign_tone(p.unrealized_pnl),
        verified_attrs=tuple(utc_attrs(p.verified_at).items()),
        coverage_note=coverage_note(p, now),
        risk_tone="" if at_stop is None else ("success" if at_stop >= 0 else "warning"),
        r_tone=sign_tone(r),
        stop_id=p.stop_id or DASH,
        working=p.working_type or DASH,
    )


def _at_risk_text(at_stop: Decimal | None) -> str:
    if at_stop is None:
        return DASH
    return fmt_money(-at_stop) if at_stop < 0 else f"locked {fmt_signed(at_stop)}"


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
                "Tr",
                [_el("Td", EMPTY_TEXT, colSpan=len(COLUMNS), className="text-muted qs-empty")],
            )
        ]
    return [_render_row(r) for r in rows]


def _side_tone(side: str) -> str:
    return "text-success" if side == "LONG" else "text-danger"


def _badge(coverage: Coverage) -> dict:
    return _el(
        "Span",
        coverage.value,
        className=f"badge text-bg-{COVERAGE_COLORS[coverage]} qs-coverage",
    )


def _render_row(r: PositionRow) -> dict:
    (qty, entry, mark, value, lev, liq, pnl, pnl_pct, stop, dist, at_risk, rm, trailing,
     tp) = r.cells
    pnl_class = tone_class("qs-num", r.pnl_tone)
    cells = [
        _el("Td", r.symbol, className="fw-bold"),
        _el("Td", r.side, className=_side_tone(r.side)),
        _el("Td", qty, className="qs-num"),
        _el("Td", entry, className="qs-num"),
        _el("Td", mark, className="qs-num"),
        _el("Td", value, className="qs-num"),
        _el("Td", lev, className="qs-num small"),
        _el("Td", liq, className="qs-num small text-muted"),
        _el("Td", pnl, className=pnl_class),
        _el("Td", pnl_pct, className=pnl_class),
        _el("Td", stop, className="qs-num"),
        _el("Td", dist, className="qs-num"),
        _el("Td", at_risk, className=tone_class("qs-num", r.risk_tone)),
        _el("Td", rm, className=tone_class("qs-num", r.r_tone)),
        _el("Td", trailing),
        _el("Td", tp, className="qs-num"),
        _el("Td", [_badge(r.coverage), _el("Div", r.coverage_note,
                                           className="small text-muted qs-coverage-note")]),
        _el("Td", _stop_detail(r)),
        _el("Td", r.verified, className="small text-muted", **dict(r.verified_attrs)),
        _el("Td", r.age, className="small"),
    ]
    props: dict[str, object] = {"data-symbol": r.symbol, "data-coverage": r.coverage.value}
    if r.coverage in (Coverage.NAKED, Coverage.AT_RISK):
        props["className"] = "qs-row-naked"
    return _el("Tr", cells, **props)


def _stop_detail(r: PositionRow) -> dict:
    """The stop order's identity, folded: the operator opens it when they need to look the
    order up on the exchange."""
    return _el("Details", [
        _el("Summary", ["order", _el("Span", f" of {r.symbol}", className="visually-hidden")],
            className="small"),
        _el("Dl", [
            _el("Dt", "stop id", className="small text-muted"),
            _el("Dd", r.stop_id, className="qs-mono small mb-1"),
            _el("Dt", "working type", className="small text-muted"),
            _el("Dd", r.working, className="small mb-0"),
        ], className="mb-0 qs-stop-detail"),
    ], className="qs-detail", **{"data-stop-id": r.stop_id,
                                 "data-keep-open": f"stop {r.symbol}"})  # qs-details.js


def render_cards(rows: list[PositionRow]) -> list[dict]:
    """The narrow-screen view: one card per position with what decides an action."""
    if not rows:
        return [_el("P", EMPTY_TEXT, className="text-muted qs-empty m-0 p-2")]
    return [_render_card(r) for r in rows]


def _render_card(r: PositionRow) -> dict:
    qty, entry, _mark, _value, _lev, _liq, pnl, _pct, stop, _dist, at_risk, rm = r.cells[:12]
    pnl_class = f"qs-num fw-bold text-{r.pnl_tone}" if r.pnl_tone else "qs-num fw-bold"
    top = _el(
        "Div",
        [
            _el("Span", r.symbol, className="fw-bold me-2"),
            _el("Span", r.side, className=f"{_side_tone(r.side)} me-auto"),
            _el("Span", pnl, className=pnl_class, title="unrealized PnL"),
        ],
        className="d-flex align-items-center gap-1",
    )
    bottom = _el(
        "Div",
        [
            _el("Span", f"{qty} @ {entry} · stop {stop} · at risk {at_risk} · {rm}",
                className="small text-muted me-auto"),
            _badge(r.coverage),
        ],
        className="d-flex align-items-center gap-2 mt-1 flex-wrap",
    )
    props: dict[str, object] = {
        "data-symbol": r.symbol,
        "data-coverage": r.coverage.value,
        "className": "qs-pos-card list-group-item"
        + (" qs-card-naked" if r.coverage in (Coverage.NAKED, Coverage.AT_RISK) else ""),
    }
    return _el("Li", [top, bottom], **props)


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Open positions"),
            dcc.Store(id=ids.POSITIONS_SIGNATURE),
            html.Div(
                html.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th(c, className="qs-num" if c in NUMERIC else None,
                                            scope="col")
                                    for c in COLUMNS
                                ]
                            )
                        ),
                        html.Tbody(id=ids.POSITIONS_TABLE),
                    ],
                    className="table table-sm table-hover align-middle mb-0 qs-positions",
                ),
                className="table-responsive qs-scroll qs-positions-wide",
            ),
            html.Ul(
                id=ids.POSITIONS_CARDS,
                className="list-group list-group-flush qs-positions-narrow",
                **{"aria-label": "Open positions"},
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
        return no_update, no_update, no_update
    return render_rows(rows), render_cards(rows), signature


def poll_part() -> PollPart:
    return PollPart(
        "positions",
        (
            Output(ids.POSITIONS_TABLE, "children"),
            Output(ids.POSITIONS_CARDS, "children"),
            Output(ids.POSITIONS_SIGNATURE, "data"),
        ),
        render,
        (State(ids.POSITIONS_SIGNATURE, "data"),),
    )
