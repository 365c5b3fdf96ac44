"""The closed-trades card: R multiples, rows, CSV, filters and paging over HTTP."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.domain import Direction
from dashboard import create_app, ids, tabs
from dashboard.trades import (
    PAGE_SIZE,
    build_query,
    build_trade_rows,
    build_trades_csv,
    page_summary,
    r_multiple,
    render_rows,
)
from tests.fixtures.dashboard import FakeControl, dependency_body, find_dependency

HOST = {"Host": "127.0.0.1:8050"}


@pytest.mark.parametrize(
    ("direction", "entry", "stop", "exit_price", "r"),
    [
        (Direction.LONG, "100", "98", "104", "2.00"),  # made twice the risk
        (Direction.LONG, "100", "98", "98", "-1.00"),  # stopped out: lost the risk
        (Direction.SHORT, "100", "102", "97", "1.50"),
        (Direction.SHORT, "100", "102", "102.5", "-1.25"),  # slipped past the stop
    ],
)
def test_trades_r_multiple_when_closed_then_signed_by_side_in_units_of_risk(
    direction, entry, stop, exit_price, r
):
    trade = FakeControl().add_closed_trade("ATOMUSDT", direction, entry=entry, stop=stop,
                                           exit_price=exit_price)
    assert r_multiple(trade) == Decimal(r)


def test_trades_r_multiple_when_no_stop_or_no_distance_then_none():
    fake = FakeControl()
    assert r_multiple(fake.add_closed_trade("A", stop=None)) is None
    assert r_multiple(fake.add_closed_trade("B", entry="100", stop="100")) is None


def test_trades_rows_when_emergency_loss_then_reason_pnl_fees_and_duration_shown():
    fake = FakeControl()
    trade = fake.add_closed_trade("DOGEUSDT", Direction.SHORT, entry="0.1200", stop="0.1215",
                                  exit_price="0.1225", quantity="36504", fees="2.19",
                                  reason="emergency", minutes=3)
    (row,) = build_trade_rows([trade])
    qty, opened, entry, closed, exit_, reason, rm, pnl, fees, held = row.cells
    assert (qty, entry, exit_, reason) == ("36,504", "0.12", "0.1225", "emergency")
    assert rm == "−1.67R" and pnl == "−93.45" and fees == "2.19" and held == "3m 00s"
    assert closed == "2026-01-05 12:00:00" and opened == "2026-01-05 11:57:00"
    assert row.pnl_tone == "danger"
    cells = render_rows([row], filtered=False)[0]["props"]["children"]
    assert "text-danger" in cells[7]["props"]["className"]  # emergency stands out


def test_trades_rows_when_none_then_message_depends_on_filters():
    assert "No closed trades yet" in str(render_rows([], filtered=False))
    assert "matches these filters" in str(render_rows([], filtered=True))


def test_trades_csv_when_exported_then_exact_numbers_and_iso_times():
    fake = FakeControl()
    trade = fake.add_closed_trade("BTCUSDT", entry="96325.64093959731543624161074",
                                  exit_price="96400.1", quantity="0.015", stop="95000",
                                  fees="0.0289")
    rows = list(csv.DictReader(io.StringIO(build_trades_csv([trade]))))
    assert rows[0]["entry_price"] == "96325.64093959731543624161074"  # not rounded
    assert rows[0]["closed_at"] == "2026-01-05T12:00:00Z"
    assert rows[0]["pnl_usdt"] == format(trade.pnl_usdt, "f")
    assert rows[0]["exit_reason"] == "take_profit" and rows[0]["duration_s"] == "1800"


def test_trades_query_when_page_sends_junk_then_filters_mean_all():
    q = build_query("DOGEUSDT", "not-a-reason", "SIDEWAYS", 3)
    assert (q.symbol, q.reason, q.direction, q.page, q.page_size) == (
        "DOGEUSDT", None, None, 3, PAGE_SIZE)
    assert build_query("", "stop", "SHORT").direction is Direction.SHORT


def test_trades_summary_when_second_page_then_range_of_total():
    fake = populated_books(120)
    page = fake.closed_trades(build_query(None, None, None, 1))
    assert page_summary(page) == "51–100 of 120 closed trades"


def populated_books(n: int) -> FakeControl:
    fake = FakeControl()
    for i in range(n):
        fake.add_closed_trade(f"SYM{i % 3}USDT", reason="stop" if i % 2 else "take_profit",
                              closed_at=fake.now - timedelta(minutes=i))
    return fake


def _trades_body(client, *, tab=tabs.TRADES, page=1, reason="", changed=None):
    dep = find_dependency(client, HOST, output_prefix=ids.TRADES_TABLE)
    values = {f"{ids.PAGE_ACTIVE}.data": tab, f"{ids.TRADES_PAGER}.active_page": page,
              f"{ids.TRADES_REASON}.value": reason, f"{ids.TRADES_SYMBOL}.value": "",
              f"{ids.TRADES_SIDE}.value": ""}
    return dependency_body(dep, values, changed or [f"{ids.PAGE_ACTIVE}.data"])


def _post(client, body):
    resp = client.post("/_dash-update-component", json=body, headers=HOST)
    return resp


def test_trades_callback_when_filter_changes_then_first_page_of_the_matches():
    fake = populated_books(120)
    client = create_app(fake, mode_label="paper").server.test_client()
    body = _trades_body(client, page=2, reason="stop", changed=[f"{ids.TRADES_REASON}.value"])
    props = _post(client, body).get_json()["response"]
    assert props[ids.TRADES_PAGER]["active_page"] == 1
    assert props[ids.TRADES_PAGER]["max_value"] == 2  # 60 stops, 50 a page
    rows = props[ids.TRADES_TABLE]["children"]
    assert len(rows) == PAGE_SIZE and {r["props"]["children"][7]["props"]["data-reason"]
                                       for r in rows} == {"stop"}
    assert props[ids.TRADES_SUMMARY]["children"] == "1–50 of 60 closed trades"


def test_trades_callback_when_live_tab_shown_then_no_database_read():
    fake = populated_books(3)
    client = create_app(fake, mode_label="paper").server.test_client()
    resp = _post(client, _trades_body(client, tab=tabs.LIVE))
    assert resp.status_code == 204 or resp.get_json()["response"] == {}
    assert fake.calls_to("closed_trades") == []


def test_trades_export_when_clicked_then_csv_of_every_match_not_one_page():
    fake = populated_books(120)
    client = create_app(fake, mode_label="paper").server.test_client()
    dep = find_dependency(client, HOST, output_prefix=ids.TRADES_DOWNLOAD)
    body = dependency_body(dep, {f"{ids.TRADES_EXPORT}.n_clicks": 1,
                                 f"{ids.TRADES_REASON}.value": "take_profit"},
                           [f"{ids.TRADES_EXPORT}.n_clicks"])
    data = _post(client, body).get_json()["response"][ids.TRADES_DOWNLOAD]["data"]
    lines = data["content"].strip().split("\n")
    assert data["filename"] == "closed-trades.csv" and len(lines) == 1 + 60
