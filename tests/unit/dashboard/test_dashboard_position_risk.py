"""The positions table's risk columns: notional, leverage, liquidation, uPnL %, USDT at risk to
the stop, the open R multiple, the coverage history and the folded stop detail."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.domain import Coverage, Direction
from dashboard.positions import (
    COLUMNS,
    build_position_rows,
    coverage_note,
    notional,
    open_r,
    pnl_at_stop,
    render_rows,
    upnl_pct,
)
from tests.fixtures.dashboard import FIXED_NOW, FakeControl

NOW = FIXED_NOW


def _view(direction=Direction.LONG, **kw):
    fake = FakeControl()
    defaults = {"quantity": "10", "entry": "2.500", "mark": "2.540", "stop": "2.450"}
    if direction is Direction.SHORT:
        defaults.update(mark="2.460", stop="2.550")
    defaults.update(kw)
    return fake.add_position("ATOMUSDT", direction, **defaults)


@pytest.mark.parametrize("direction", [Direction.LONG, Direction.SHORT])
def test_risk_figures_when_in_profit_then_signed_by_side(direction):
    p = _view(direction)
    assert notional(p) == (Decimal("25.4") if direction is Direction.LONG else Decimal("24.6"))
    assert upnl_pct(p) == pytest.approx(1.6)  # 0.40 on 25.00 of entry notional
    assert pnl_at_stop(p) == Decimal("-0.500")  # 0.05 x 10 lost if the stop fills
    assert open_r(p) == Decimal("0.80")


@pytest.mark.parametrize("direction", [Direction.LONG, Direction.SHORT])
def test_risk_r_when_trade_stop_known_then_measured_against_it_not_the_trailing_one(direction):
    moved = "2.520" if direction is Direction.LONG else "2.480"  # trailed past the entry
    first = "2.400" if direction is Direction.LONG else "2.600"
    p = _view(direction, stop=moved, risk_stop=first)
    assert open_r(p) == Decimal("0.40")
    assert pnl_at_stop(p) == Decimal("0.200")  # locked in
    assert open_r(replace(p, risk_stop=None)) is None  # nothing at risk to divide by


def test_risk_row_when_rendered_then_columns_say_what_the_stop_costs():
    p = _view(leverage=20, liquidation="2.3876")
    (row,) = build_position_rows((p,), NOW)
    cells = dict(zip(COLUMNS[2:16], row.cells, strict=True))
    assert cells["Notional"] == "25.40" and cells["Lev"] == "20×" and cells["Liq."] == "2.3876"
    assert cells["uPnL %"] == "+1.60%" and cells["At risk"] == "0.50" and cells["R"] == "+0.80R"
    assert row.risk_tone == "warning"
    locked = build_position_rows((_view(stop="2.520"),), NOW)[0]
    assert dict(zip(COLUMNS[2:16], locked.cells, strict=True))["At risk"] == "locked +0.20"


def test_risk_coverage_note_when_reprotected_then_time_and_naked_spell():
    p = _view(reprotected_s_ago=3 * 3600 + 5, last_naked_s=9)
    assert coverage_note(p, NOW) == "re-protected 08:59:55 · naked 9s"
    naked = FakeControl().add_position("DOGEUSDT", coverage=Coverage.NAKED)
    assert coverage_note(naked, NOW) == "naked 9s"
    assert coverage_note(_view(), NOW) == ""


def test_risk_stop_detail_when_rendered_then_folded_with_id_and_working_type():
    (tr,) = render_rows(build_position_rows((_view(),), NOW))
    detail = tr["props"]["children"][COLUMNS.index("Stop order")]["props"]["children"]
    assert detail["type"] == "Details" and "open" not in detail["props"]
    assert detail["props"]["data-stop-id"] == "qs-atomusdt-sl-1"
    assert "MARK_PRICE" in str(detail)


def test_risk_row_when_at_risk_coverage_then_sorted_after_naked_and_marked():
    fake = FakeControl()
    fake.add_position("AAAUSDT", coverage=Coverage.COVERED)
    fake.add_position("BBBUSDT", coverage=Coverage.AT_RISK)
    fake.add_position("CCCUSDT", coverage=Coverage.NAKED)
    rows = build_position_rows(fake.snapshot().positions, NOW)
    assert [r.symbol for r in rows] == ["CCCUSDT", "BBBUSDT", "AAAUSDT"]
    assert render_rows(rows)[1]["props"]["className"] == "qs-row-naked"
