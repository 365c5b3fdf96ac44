"""Prices, quantities and results as the operator reads them: rounded, grouped, signed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.domain import Direction, Kpis
from dashboard.formatting import fmt_price, fmt_qty, fmt_signed, fmt_signed_pct
from dashboard.kpis import build_kpi_tiles
from dashboard.positions import COLUMNS, NUMERIC, build_position_rows, render_rows
from tests.fixtures.dashboard import FIXED_NOW, FakeControl

LONG_ENTRY = "96325.64093959731543624161074"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (LONG_ENTRY, "96,325.64"),
        ("3120.5", "3,120.50"),
        ("2.534", "2.534"),
        ("0.00001234567", "0.00001235"),
        ("1234567.891", "1,234,567.89"),
        ("1E+2", "100.00"),
    ],
)
def test_numbers_fmt_price_when_no_tick_known_then_seven_significant_digits_grouped(raw, shown):
    assert fmt_price(Decimal(raw)) == shown


def test_numbers_fmt_price_when_symbol_precision_known_then_exactly_that_many_decimals():
    assert fmt_price(Decimal(LONG_ENTRY), 1) == "96,325.6"
    assert fmt_qty(Decimal("0.5"), 3) == "0.500"
    assert fmt_qty(Decimal("1234.5")) == "1,234.5"


def test_numbers_fmt_signed_when_negative_then_minus_sign_and_separators():
    assert fmt_signed(Decimal("-1234.567")) == "−1,234.57"
    assert fmt_signed(Decimal("0.001")) == "0.00"


def _row(**changes):
    fake = FakeControl()
    pos = fake.add_position("BTCUSDT", Direction.LONG, quantity="0.015", entry=LONG_ENTRY,
                            mark="96400.1", stop="95000")
    fake.positions["BTCUSDT"] = replace(pos, **changes)
    (row,) = build_position_rows(fake.snapshot().positions, FIXED_NOW)
    return row


def test_numbers_position_row_when_entry_has_28_decimals_then_rounded_for_display():
    qty, entry, mark, _value, _lev, _liq, pnl, _pct, stop, *_ = _row().cells
    assert (qty, entry, mark, stop) == ("0.015", "96,325.64", "96,400.10", "95,000.00")
    assert pnl == "+1.12"


def test_numbers_position_row_when_view_carries_tick_precision_then_used():
    qty, entry, mark, *_ = _row(price_decimals=1, qty_decimals=3).cells
    assert (qty, entry, mark) == ("0.015", "96,325.6", "96,400.1")


def test_numbers_position_table_when_rendered_then_numeric_columns_right_aligned():
    (tr,) = render_rows([_row()])
    cells = tr["props"]["children"]
    classes = [td["props"].get("className", "") for td in cells]
    aligned = [COLUMNS[i] for i, cls in enumerate(classes) if "qs-num" in cls]
    assert set(aligned) == NUMERIC


@pytest.mark.parametrize(("pct", "shown", "tone"), [(0.6, "+0.60%", "success"),
                                                     (-0.74, "−0.74%", "danger"),
                                                     (None, "—", "light")])
def test_numbers_stop_hit_tile_when_result_has_a_sign_then_sign_kept(pct, shown, tone):
    tile = {t.key: t for t in build_kpi_tiles(Kpis(loss_per_stop_hit_pct=pct))}["loss-per-stop"]
    assert (tile.value, tile.tone) == (shown, tone)
    assert fmt_signed_pct(pct) == shown
