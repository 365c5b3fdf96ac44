"""Pure builders and decision functions of the dashboard, without a server."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import plotly.graph_objects as go
import pytest
from dash import no_update

from bot.domain import (
    ActivityLine,
    ChartView,
    Coverage,
    Direction,
    EquityPoint,
    KillAction,
    Kpis,
    Regime,
    RegimeView,
    RuleParam,
    Severity,
)
from dashboard import ids
from dashboard.activity import MAX_LINES, as_patch, plan_update
from dashboard.charts import build_equity_figure, build_price_figure, build_regime_figure
from dashboard.formatting import fmt_age, fmt_decimal, fmt_money, fmt_price
from dashboard.header import build_header_view
from dashboard.kill_switch import next_step
from dashboard.kpis import build_kpi_tiles
from dashboard.positions import COLUMNS, build_position_rows, render_rows
from dashboard.positions import render as positions_render
from dashboard.red_flags import clicked_flag, flags_signature, order_flags
from dashboard.rules import validate_param, validate_params
from tests.fixtures.dashboard import FIXED_NOW, SHORT_BLOCK, FakeControl

NOW = FIXED_NOW


def test_positions_when_mixed_coverage_then_naked_first_then_partial_then_covered():
    fake = FakeControl()
    fake.add_position("AAAUSDT", coverage=Coverage.COVERED)
    fake.add_position("ZZZUSDT", coverage=Coverage.NAKED)
    fake.add_position("MMMUSDT", coverage=Coverage.PARTIAL)
    rows = build_position_rows(fake.snapshot().positions, NOW)
    assert [(r.symbol, r.coverage) for r in rows] == [
        ("ZZZUSDT", Coverage.NAKED),
        ("MMMUSDT", Coverage.PARTIAL),
        ("AAAUSDT", Coverage.COVERED),
    ]


@pytest.mark.parametrize("direction", [Direction.LONG, Direction.SHORT])
def test_position_row_shows_stop_distance_trailing_and_signed_pnl(direction):
    fake = FakeControl()
    stop = "2.450" if direction is Direction.LONG else "2.650"
    fake.add_position(
        "ATOMUSDT",
        direction,
        quantity="10",
        entry="2.500",
        mark="2.540",
        stop=stop,
        trailing_rate="0.8",
        take_profit="2.7",
    )
    (row,) = build_position_rows(fake.snapshot().positions, NOW)
    (qty, entry, mark, _value, _lev, _liq, pnl, _pct, stop_txt, dist, _risk, _r, trailing,
     tp) = row.cells
    stop_id, working = row.stop_id, row.working
    assert (qty, entry, mark, stop_txt, tp) == (
        "10",
        "2.50",
        "2.54",
        fmt_price(Decimal(stop)),
        "2.70",
    )
    assert pnl == ("+0.40" if direction is Direction.LONG else "−0.40")
    assert row.pnl_tone == ("success" if direction is Direction.LONG else "danger")
    assert dist.endswith("%") and float(dist[:-1]) > 0
    assert working == "MARK_PRICE" and trailing == "0.8%" and stop_id.startswith("qs-atomusdt")
    assert row.age == "42m" and row.verified == "11:59:57"


def test_positions_poll_resends_rows_only_when_a_shown_value_changes():
    fake = FakeControl()
    fake.add_position("ATOMUSDT", mark="2.540")
    rows, cards, sig = positions_render(fake.snapshot(), NOW, None)
    assert len(rows) == 1 and len(cards) == 1
    assert positions_render(fake.snapshot(), NOW + timedelta(seconds=20), sig) == (
        no_update,
        no_update,
        no_update,
    )
    fake.add_position("ATOMUSDT", mark="2.541")
    rows2, _cards2, sig2 = positions_render(fake.snapshot(), NOW, sig)
    assert sig2 != sig and rows2[0]["props"]["children"][4]["props"]["children"] == "2.541"


def test_rendered_row_carries_symbol_and_coverage_attributes():
    fake = FakeControl()
    fake.add_position("ATOMUSDT", coverage=Coverage.NAKED)
    (tr,) = render_rows(build_position_rows(fake.snapshot().positions, NOW))
    assert tr["type"] == "Tr" and tr["namespace"] == "dash_html_components"
    props = tr["props"]
    assert props["data-symbol"] == "ATOMUSDT" and props["data-coverage"] == "NAKED"
    cells = props["children"]
    stop, coverage = COLUMNS.index("Stop"), COLUMNS.index("Coverage")
    assert len(cells) == len(COLUMNS) and cells[stop]["props"]["children"] == "—"  # no stop
    assert cells[coverage]["props"]["children"][0]["props"]["children"] == "NAKED"


def test_rendered_rows_match_what_dash_components_serialise_to():
    from dash import html
    from plotly.io.json import to_json_plotly

    fake = FakeControl()
    fake.add_position("ATOMUSDT")
    (tr,) = render_rows(build_position_rows(fake.snapshot().positions, NOW))
    cell = tr["props"]["children"][0]
    assert json.loads(to_json_plotly(html.Td("ATOMUSDT", className="fw-bold"))) == cell


def test_kpi_tiles_when_a_position_is_uncovered_then_coverage_tile_is_danger():
    tiles = {
        t.key: t
        for t in build_kpi_tiles(
            Kpis(open_positions=3, covered_positions=2, equity=Decimal("12345.678"))
        )
    }
    assert tiles["coverage"].value == "2 / 3" and tiles["coverage"].tone == "danger"
    assert tiles["equity"].value == "12,345.68"
    assert len(tiles) == 8
    full = {t.key: t for t in build_kpi_tiles(Kpis(open_positions=2, covered_positions=2))}
    assert full["coverage"].tone == "success" and full["equity"].value == "—"


def test_header_when_monitor_silent_then_stale_and_kill_state_colored():
    fake = FakeControl()
    view = build_header_view(fake.snapshot(), NOW)
    assert (view.kill, view.kill_color, view.monitor_stale) == ("RUNNING", "success", False)
    assert view.regime == "UPTREND" and view.status == "RUNNING"
    fake.kill_switch(KillAction.HALT, "local")
    fake.last_monitor_at = NOW - timedelta(minutes=2)
    view = build_header_view(fake.snapshot(), NOW)
    assert (view.kill, view.kill_color, view.monitor_stale) == ("HALTED", "warning", True)
    assert view.monitor_age == "monitor 2m 00s ago"


def test_flags_newest_first_and_signature_tracks_acknowledgement():
    fake = FakeControl()
    old = fake.add_red_flag("-2021", symbol="A", at=NOW - timedelta(hours=1))
    new = fake.add_red_flag("NAKED", symbol="B", severity=Severity.WARNING)
    assert [f.id for f in order_flags(fake.snapshot().red_flags)] == [new.id, old.id]
    before = flags_signature(fake.snapshot().red_flags)
    fake.acknowledge(old.id, "local")
    assert flags_signature(fake.snapshot().red_flags) != before


def test_clicked_flag_ignores_rerendered_buttons_without_clicks():
    trig = {"type": ids.FLAG_ACK_BUTTON, "flag": 7}
    assert clicked_flag(trig, [{"prop_id": "x", "value": 1}]) == 7
    assert clicked_flag(trig, [{"prop_id": "x", "value": None}]) is None
    assert clicked_flag("other", [{"value": 1}]) is None


@pytest.mark.parametrize(
    ("kind", "raw", "ok"),
    [
        ("int", "3", "3"),
        ("int", "2.5", None),
        ("int", "11", None),
        ("int", "0", None),
        ("float", "0.5", "0.5"),
        ("float", "abc", None),
        ("float", "nan", None),
        ("float", "", None),
        ("bool", "yes", "true"),
        ("bool", "maybe", None),
    ],
)
def test_validate_param(kind, raw, ok):
    param = RuleParam("p", "1", kind, 1 if kind == "int" else 0.0, 10 if kind == "int" else 1.0)
    value, error = validate_param(param, raw)
    assert value == ok
    assert (error is None) == (ok is not None)


def test_validate_params_reports_each_bad_field_by_name():
    rule = next(r for r in FakeControl().rules if r.name == SHORT_BLOCK)
    clean, errors = validate_params(rule, {"exception_confidence": "1.5"})
    assert (
        clean == {} and "exception_confidence" in errors and "≤ 1" in errors["exception_confidence"]
    )
    clean, errors = validate_params(rule, {"exception_confidence": " 0.9 "})
    assert clean == {"exception_confidence": "0.9"} and errors == {}


@pytest.mark.parametrize(
    ("button", "action"),
    [
        (ids.KILL_HALT, KillAction.HALT),
        (ids.KILL_FLATTEN, KillAction.FLATTEN),
        (ids.KILL_RESUME, KillAction.RESUME),
    ],
)
def test_kill_button_opens_dialog_and_confirm_runs_pending(button, action):
    assert next_step(button, None).open_for is action
    step = next_step(ids.KILL_CONFIRM, action.value)
    assert step.run is action and step.close


def test_kill_confirm_without_pending_action_runs_nothing():
    assert next_step(ids.KILL_CONFIRM, None).run is None
    assert next_step(ids.KILL_CONFIRM, "DESTROY").run is None
    assert (
        next_step(ids.KILL_CANCEL, "HALT").close and next_step(ids.KILL_CANCEL, "HALT").run is None
    )
    assert next_step(None, "HALT") == next_step("unrelated", "HALT")


def _lines(n, start=0):
    return [
        ActivityLine(NOW + timedelta(seconds=start + i), "INFO", f"[SHIELD] line {start + i}")
        for i in range(n)
    ]


def test_activity_first_render_is_full_newest_first_then_only_new_lines():
    first = plan_update(_lines(3), None)
    assert [ln.text for ln in first.full] == [
        "[SHIELD] line 2",
        "[SHIELD] line 1",
        "[SHIELD] line 0",
    ]
    again = plan_update(_lines(3), first.cursor)
    assert again.full is None and again.new == []
    more = plan_update(_lines(5), first.cursor)
    assert more.full is None and [ln.text for ln in more.new] == [
        "[SHIELD] line 4",
        "[SHIELD] line 3",
    ]
    assert more.cursor["count"] == 5


def test_activity_patch_prepends_new_lines_and_trims_to_max():
    update = plan_update(_lines(MAX_LINES + 2), plan_update(_lines(MAX_LINES), None).cursor)
    ops = as_patch(update, MAX_LINES).to_plotly_json()["operations"]
    kinds = [op["operation"] for op in ops]
    assert kinds.count("Prepend") == 2 and kinds.count("Delete") == 2
    assert update.cursor["count"] == MAX_LINES


def test_activity_when_cursor_line_rotated_out_then_full_render():
    cursor = plan_update(_lines(2), None).cursor
    assert plan_update(_lines(3, start=50), cursor).full is not None


def test_price_figure_has_candles_levels_and_fills():
    fake = FakeControl()
    fake.add_position("ATOMUSDT", entry="2.5", stop="2.45", take_profit="2.7")
    fig = go.Figure(build_price_figure(fake.chart("ATOMUSDT")))  # plotly validates the JSON
    types = [t.type for t in fig.data]
    assert types == ["candlestick", "scatter"]
    ys = sorted(s["y0"] for s in fig.layout.shapes)
    assert ys == [2.45, 2.5, 2.7]
    empty = go.Figure(build_price_figure(ChartView("X", ())))
    assert empty.data == () and empty.layout.shapes == ()


def test_equity_and_regime_figures_follow_their_data():
    pts = [EquityPoint(NOW + timedelta(minutes=i), Decimal(10000 + i)) for i in range(5)]
    eq = go.Figure(build_equity_figure(pts))
    assert list(eq.data[0].y) == [10000.0, 10001.0, 10002.0, 10003.0, 10004.0]
    hist = [
        RegimeView(Regime.UPTREND, NOW, {"adx": 25.0}),
        RegimeView(Regime.DOWNTREND, NOW + timedelta(hours=1), {"adx": 31.0}),
    ]
    rf = go.Figure(build_regime_figure(hist))
    assert list(rf.data[0].y) == [1, -1] and "adx: 31" in rf.data[0].text[1]


@pytest.mark.parametrize(
    ("secs", "text"), [(5, "5s"), (65, "1m 05s"), (3700, "1h 01m"), (90000, "1d 1h"), (-3, "0s")]
)
def test_fmt_age(secs, text):
    assert fmt_age(secs) == text


def test_fmt_decimal_never_uses_exponent():
    assert fmt_decimal(Decimal("1E+2")) == "100" and fmt_money(Decimal("1234.5")) == "1,234.50"
