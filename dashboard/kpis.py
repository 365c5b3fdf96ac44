"""KPI cards: the protection figures an operator checks first, from ``Snapshot.kpis``.

Before the first snapshot the tiles say "no data yet" in grey: an empty page
must not look like a healthy one (a green "0 / 0" coverage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import ALL, Output, html

from bot.domain import Kpis, Snapshot
from dashboard import ids
from dashboard.formatting import fmt_money, fmt_ratio_pct, fmt_signed_pct
from dashboard.polling import PollPart

NO_DATA = "no data yet"
NO_POSITIONS = "none open"


@dataclass(frozen=True)
class KpiTile:
    key: str
    title: str
    value: str
    tone: str  # a Bootstrap text colour: success, warning, danger, light, muted


def build_kpi_tiles(k: Kpis) -> list[KpiTile]:
    """The eight tiles; coverage below 100 % and any emergency close are shown as danger.

    No open position is not "all covered": the coverage tile stays neutral then.
    A stop-hit result keeps its sign (a trailing stop can lock in a win).
    """
    naked = k.open_positions - k.covered_positions
    rate = k.sl_success_rate_24h
    stop_hit = k.loss_per_stop_hit_pct
    if k.open_positions == 0:
        coverage = KpiTile("coverage", "SL coverage", NO_POSITIONS, "muted")
    else:
        coverage = KpiTile(
            "coverage",
            "SL coverage",
            f"{k.covered_positions} / {k.open_positions}",
            "danger" if naked > 0 else "success",
        )
    return [
        KpiTile("open", "Open positions", str(k.open_positions), "light"),
        coverage,
        KpiTile(
            "sl-success",
            "SL placed OK (24 h)",
            fmt_ratio_pct(rate),
            "light" if rate is None else ("success" if rate >= 0.999 else "warning"),
        ),
        KpiTile(
            "emergency",
            "Emergency closes (24 h)",
            str(k.emergency_closes_24h),
            "danger" if k.emergency_closes_24h else "light",
        ),
        KpiTile("shorts-blocked", "Shorts blocked (24 h)", str(k.shorts_blocked_24h), "light"),
        KpiTile(
            "limit-denials", "Position-limit denials", str(k.position_limit_denials_24h), "light"
        ),
        KpiTile(
            "loss-per-stop",
            "Result per stop hit (% equity)",
            fmt_signed_pct(stop_hit),
            "light" if not stop_hit else ("success" if stop_hit > 0 else "danger"),
        ),
        KpiTile(
            "equity",
            "Equity (USDT)",
            fmt_money(k.equity),
            "light",
        ),
    ]


def layout() -> dbc.Row:
    """Static tiles; the poll only changes each value's text and colour.

    Replacing the tiles' children every poll made the browser re-walk the
    whole page (hundreds of ms with 200 positions); text updates are cheap.
    """
    return dbc.Row(
        [
            dbc.Col(
                html.Div(
                    [
                        html.Div(t.title, className="qs-kpi-title small text-muted"),
                        html.Div(
                            NO_DATA,
                            id={"type": ids.KPI_VALUE, "kpi": t.key},
                            className=_value_class("muted", waiting=True),
                        ),
                    ],
                    className="card card-body qs-kpi h-100",
                    **{"data-kpi": t.key},
                ),
                xs=6,
                md=3,
                xl=True,
                className="mb-2",
            )
            for t in build_kpi_tiles(Kpis())
        ],
        id=ids.KPI_ROW,
        className="g-2 my-2",
    )


def _value_class(tone: str, *, waiting: bool = False) -> str:
    size = "fs-6 fw-normal" if waiting else "fs-4 fw-bold"
    return f"qs-kpi-value {size} text-{tone}"


def render(snap: Snapshot, _now: datetime) -> tuple:
    tiles = build_kpi_tiles(snap.kpis)
    return [t.value for t in tiles], [_value_class(t.tone) for t in tiles]


def poll_part() -> PollPart:
    return PollPart(
        "kpis",
        (
            Output({"type": ids.KPI_VALUE, "kpi": ALL}, "children"),
            Output({"type": ids.KPI_VALUE, "kpi": ALL}, "className"),
        ),
        render,
    )
