"""The performance card: tiles, the equity split, the daily bars and when it reads."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import plotly.graph_objects as go

from bot.domain import EquityPoint
from bot.domain.books import EquityHistory, PerformanceView
from dashboard import create_app, ids, tabs
from dashboard.performance import (
    RANGES,
    build_daily_figure,
    build_equity_split,
    build_equity_split_figure,
    build_performance_tiles,
    range_span,
)
from tests.fixtures.dashboard import FIXED_NOW, FakeControl, dependency_body, find_dependency

HOST = {"Host": "127.0.0.1:8050"}
NOW = FIXED_NOW


def _tiles(view: PerformanceView) -> dict[str, tuple[str, str]]:
    return {t.key: (t.value, t.tone) for t in build_performance_tiles(view)}


def test_perf_tiles_when_losing_day_then_signed_red_and_drawdown_negative():
    view = PerformanceView(trades=4, wins=1, losses=3, realized_today=Decimal("-7.3"),
                           realized_7d=Decimal("12.5"), realized_total=Decimal("1234.5"),
                           fees_total=Decimal("3.21"), gross_profit=Decimal("20"),
                           gross_loss=Decimal("40"), max_drawdown=Decimal("55.5"), as_of=NOW)
    tiles = _tiles(view)
    assert tiles["today"] == ("−7.30", "danger")
    assert tiles["total"] == ("+1,234.50", "success")
    assert tiles["win-rate"][0] == "25.0%" and tiles["profit-factor"] == ("0.50", "danger")
    assert tiles["drawdown"] == ("−55.50", "danger") and tiles["fees"][0] == "3.21"


def test_perf_tiles_when_no_loss_yet_then_profit_factor_infinite_not_a_crash():
    tiles = _tiles(PerformanceView(trades=2, wins=2, gross_profit=Decimal("3"), as_of=NOW))
    assert tiles["profit-factor"][0] == "∞"
    assert _tiles(PerformanceView())["profit-factor"][0] == "—"


def test_perf_equity_split_when_trades_closed_in_range_then_wallet_steps_at_each_close():
    points = tuple(EquityPoint(NOW - timedelta(minutes=m), Decimal(v))
                   for m, v in ((30, "1000"), (20, "1012"), (10, "1020"), (0, "1025")))
    closes = ((NOW - timedelta(minutes=15), Decimal("10")),
              (NOW - timedelta(minutes=5), Decimal("5")))
    split = build_equity_split(EquityHistory(points, closes, unrealized_now=Decimal("8")))
    realized = [r for _, _, r in split]
    # wallet now 1025 - 8 = 1017; before the 5 USDT close 1012; before the 10 USDT close 1002
    assert realized == [Decimal("1002"), Decimal("1002"), Decimal("1012"), Decimal("1017")]
    assert [eq - r for _, eq, r in split][-1] == Decimal("8")  # unrealized now
    fig = build_equity_split_figure(EquityHistory(points, closes, Decimal("8")))
    go.Figure(fig)
    assert [t["name"] for t in fig["data"]] == ["realized (wallet)", "equity"]
    assert fig["data"][1]["fill"] == "tonexty"


def test_perf_equity_split_when_no_points_then_says_so():
    fig = build_equity_split_figure(EquityHistory())
    assert "No equity history" in fig["layout"]["annotations"][0]["text"]


def test_perf_daily_figure_when_old_days_then_only_last_30_with_gain_loss_colours():
    fake = FakeControl()
    fake.add_closed_trade("A", exit_price="110", closed_at=NOW - timedelta(days=40))
    fake.add_closed_trade("A", exit_price="95", closed_at=NOW - timedelta(days=1))
    fake.add_closed_trade("A", exit_price="104", closed_at=NOW)
    fig = build_daily_figure(fake.performance())
    go.Figure(fig)
    (bars,) = fig["data"]
    assert bars["x"] == ["2026-01-04", "2026-01-05"] and bars["marker"]["color"][0] == "#ff6b6b"


def test_perf_range_when_forged_choice_then_default_span():
    assert range_span("all") is None and range_span("24h") == timedelta(hours=24)
    assert range_span("1y") == RANGES["7d"] and range_span(None) == RANGES["7d"]


def _post(client, dep, values, changed):
    body = dependency_body(dep, values, changed, {ids.PERF_VALUE: [
        {"tile": t.key, "type": ids.PERF_VALUE} for t in build_performance_tiles(
            PerformanceView())]})
    return client.post("/_dash-update-component", json=body, headers=HOST)


def test_perf_callbacks_when_tab_shown_then_read_once_and_unchanged_books_not_resent():
    fake = FakeControl()
    fake.add_closed_trade("ATOMUSDT", exit_price="104")
    client = create_app(fake, mode_label="paper").server.test_client()
    dep = find_dependency(client, HOST, output_prefix='{"tile"', input_id=ids.BOOKS_INTERVAL)
    values = {f"{ids.PAGE_ACTIVE}.data": tabs.PERFORMANCE}
    first = _post(client, dep, values, [f"{ids.PAGE_ACTIVE}.data"]).get_json()["response"]
    assert ids.PERF_DAILY in first and ids.PERF_BY_SYMBOL in first
    values[f"{ids.PERF_SIGNATURE}.data"] = first[ids.PERF_SIGNATURE]["data"]
    again = _post(client, dep, values, [f"{ids.BOOKS_INTERVAL}.n_intervals"])
    assert again.status_code == 204 or ids.PERF_DAILY not in again.get_json()["response"]
    values[f"{ids.PAGE_ACTIVE}.data"] = tabs.LIVE
    hidden = _post(client, dep, values, [f"{ids.BOOKS_INTERVAL}.n_intervals"])
    assert hidden.status_code == 204 or ids.PERF_DAILY not in hidden.get_json()["response"]


def test_perf_equity_callback_when_range_picked_then_that_span_asked_for():
    fake = FakeControl()
    client = create_app(fake, mode_label="paper").server.test_client()
    dep = find_dependency(client, HOST, output_prefix=ids.PERF_EQUITY)
    body = dependency_body(dep, {f"{ids.PAGE_ACTIVE}.data": tabs.PERFORMANCE,
                                 f"{ids.PERF_RANGE}.value": "30d"}, [f"{ids.PERF_RANGE}.value"])
    assert client.post("/_dash-update-component", json=body, headers=HOST).status_code == 200
    assert [c.args for c in fake.calls_to("equity_history")] == [(timedelta(days=30),)]
