"""Before data and without positions: neutral words, never a healthy-looking green."""

from __future__ import annotations

from bot.domain import Kpis
from dashboard import ids, kpis, positions
from dashboard.kpis import NO_DATA, NO_POSITIONS, build_kpi_tiles
from dashboard.positions import EMPTY_TEXT, render_cards, render_rows


def test_empty_coverage_tile_when_no_position_open_then_neutral_not_green():
    tile = {t.key: t for t in build_kpi_tiles(Kpis())}["coverage"]
    assert (tile.value, tile.tone) == (NO_POSITIONS, "muted")


def test_empty_kpi_row_when_page_loads_then_every_tile_says_no_data_yet_in_grey():
    values = [c for c in kpis.layout()._traverse()
              if isinstance(getattr(c, "id", None), dict) and c.id["type"] == ids.KPI_VALUE]
    assert len(values) == 8
    assert all(v.children == NO_DATA and "text-muted" in v.className for v in values)
    assert not any("text-success" in v.className for v in values)


def test_empty_positions_when_none_open_then_friendly_message_in_table_and_cards():
    (row,) = render_rows([])
    assert row["props"]["children"][0]["props"]["children"] == EMPTY_TEXT
    (card,) = render_cards([])
    assert card["props"]["children"] == EMPTY_TEXT


def test_empty_positions_layout_when_built_then_has_both_table_and_narrow_cards():
    found = {getattr(c, "id", None) for c in positions.layout()._traverse()}
    assert {ids.POSITIONS_TABLE, ids.POSITIONS_CARDS} <= found
