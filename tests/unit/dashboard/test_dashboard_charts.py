"""Figure builders: fill and exit markers, empty and one-point figures, fixed heights."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import plotly.graph_objects as go
import pytest

from bot.domain import ChartView, Direction, EquityPoint, Regime, RegimeView
from dashboard import charts, ids
from dashboard.charts import (
    HISTORY_HEIGHT,
    PRICE_HEIGHT,
    build_equity_figure,
    build_price_figure,
    build_regime_figure,
)
from tests.fixtures.dashboard import FIXED_NOW, FakeControl

MS = int(FIXED_NOW.timestamp() * 1000)


@pytest.mark.parametrize(
    ("side", "symbol", "color"),
    [
        ("LONG", "triangle-up", "#3dd68c"),
        ("BUY", "triangle-up", "#3dd68c"),
        ("SHORT", "triangle-down", "#ff6b6b"),
        ("SELL", "triangle-down", "#ff6b6b"),
    ],
)
def test_charts_fill_marker_when_side_given_then_long_up_green_short_down_red(side, symbol, color):
    chart = ChartView("BTCUSDT", (), entry=Decimal("96000"), fills=((MS, Decimal("96000"), side),))
    fig = go.Figure(build_price_figure(chart))
    (fills,) = [t for t in fig.data if t.name == "fills"]
    assert list(fills.marker.symbol) == [symbol] and list(fills.marker.color) == [color]


@pytest.mark.parametrize("direction", [Direction.LONG, Direction.SHORT])
def test_charts_price_figure_when_fake_reports_direction_then_marker_matches(direction):
    fake = FakeControl()
    fake.add_position("ATOMUSDT", direction)
    fig = go.Figure(build_price_figure(fake.chart("ATOMUSDT")))
    (fills,) = [t for t in fig.data if t.name == "fills"]
    up = direction is Direction.LONG
    assert list(fills.marker.symbol) == ["triangle-up" if up else "triangle-down"]


def test_charts_price_figure_when_view_has_exits_then_drawn_as_x_markers():
    chart = ChartView("BTCUSDT", (), entry=Decimal("96000"),
                      exits=((MS, Decimal("95000.123456"), "stop hit"),))
    fig = go.Figure(build_price_figure(chart))
    (exits,) = [t for t in fig.data if t.name == "exits"]
    assert exits.marker.symbol == "x" and list(exits.text) == ["exit stop hit @ 95,000.12"]


def test_charts_price_figure_when_no_position_then_message_and_no_grid():
    fig = build_price_figure(None)
    assert fig["data"] == []
    assert fig["layout"]["xaxis"]["visible"] is False and fig["layout"]["yaxis"]["visible"] is False
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["No open positions"]
    assert fig["layout"]["height"] == PRICE_HEIGHT
    go.Figure(fig)


def test_charts_regime_figure_when_one_reading_then_x_range_spans_hours_not_microseconds():
    fig = build_regime_figure([RegimeView(Regime.UPTREND, FIXED_NOW, {"adx": 25.0})])
    low, high = fig["layout"]["xaxis"]["range"]
    assert (low, high) == ("2026-01-05 11:00:00.000", "2026-01-05 13:00:00.000")
    go.Figure(fig)


def test_charts_history_figures_when_empty_then_say_so_at_their_height():
    equity, regime = build_equity_figure([]), build_regime_figure([])
    for fig in (equity, regime):
        assert fig["data"] == [] and fig["layout"]["height"] == HISTORY_HEIGHT
        assert fig["layout"]["xaxis"]["visible"] is False
    assert "No equity history yet" in equity["layout"]["annotations"][0]["text"]


def test_charts_equity_figure_when_points_then_x_in_utc_without_offset():
    pts = [EquityPoint(FIXED_NOW + timedelta(minutes=i), Decimal(10000 + i)) for i in range(2)]
    fig = build_equity_figure(pts)
    assert fig["data"][0]["x"] == ["2026-01-05 12:00:00.000", "2026-01-05 12:01:00.000"]
    assert fig["layout"]["xaxis"]["title"]["text"] == "UTC"


def test_charts_layout_when_built_then_every_graph_has_fixed_height_before_data():
    wanted = (ids.CHART_PRICE, ids.CHART_EQUITY, ids.CHART_REGIME)
    graphs = {c.id: c for c in charts.layout()._traverse() if getattr(c, "id", None) in wanted}
    assert set(graphs) == {ids.CHART_PRICE, ids.CHART_EQUITY, ids.CHART_REGIME}
    for graph_id, graph in graphs.items():
        want = PRICE_HEIGHT if graph_id == ids.CHART_PRICE else HISTORY_HEIGHT
        assert graph.style["minHeight"] == f"{want}px"
        assert graph.figure["layout"]["height"] == want
