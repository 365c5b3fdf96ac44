"""One unreadable row of a list answer is skipped and named, never fatal for the whole list."""

from __future__ import annotations

import logging

import pytest

from bot.exchange.binance_adapter import BinanceAdapter
from tests.unit.exchange import samples
from tests.unit.exchange.fakes import FakeClient

STOP = samples.ALGO_ORDER_STOP


@pytest.fixture()
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture()
def adapter(client: FakeClient) -> BinanceAdapter:
    return BinanceAdapter(client)  # type: ignore[arg-type]


def _btc_stop() -> dict:
    return dict(STOP, algoId=777, symbol="BTCUSDT", clientAlgoId="qs-sl-BTC-0123456789-0")


def test_open_conditional_orders_when_one_row_unreadable_then_rest_read_and_symbol_unknown(
    adapter, client
):
    client.script("futures_get_open_algo_orders",
                  [dict(STOP, side="UP"), _btc_stop()])
    orders = adapter.open_conditional_orders()
    assert [(o.symbol, o.algo_id) for o in orders] == [("BTCUSDT", 777)]
    assert orders.unknown_symbols == frozenset({"ATOMUSDT"})
    assert orders.all_unknown is False
    [skipped] = orders.skipped
    assert skipped.ident == f"algoId={STOP['algoId']}" and "side" in skipped.reason


@pytest.mark.parametrize("row", [{"algoId": 1}, ["not", "a", "row"], None])
def test_open_conditional_orders_when_row_names_no_symbol_then_all_unknown(adapter, client, row):
    client.script("futures_get_open_algo_orders", [row, _btc_stop()])
    orders = adapter.open_conditional_orders()
    assert len(orders) == 1 and orders.all_unknown is True
    assert orders.unknown_symbols == frozenset()


def test_open_conditional_orders_when_all_readable_then_nothing_unknown(adapter, client):
    client.script("futures_get_open_algo_orders", [STOP, _btc_stop()])
    orders = adapter.open_conditional_orders()
    assert len(orders) == 2 and not orders.unknown_symbols and not orders.all_unknown


def test_unreadable_row_when_polled_again_then_logged_once_per_id(adapter, client, caplog):
    bad = dict(STOP, algoStatus="MYSTERY")
    other_bad = dict(bad, algoId=999)
    with caplog.at_level(logging.ERROR, logger="bot.exchange.rows"):
        for _ in range(5):
            client.script("futures_get_open_algo_orders", [bad])
            assert adapter.open_conditional_orders().unknown_symbols == {"ATOMUSDT"}
        client.script("futures_get_open_algo_orders", [bad, other_bad])
        adapter.open_conditional_orders()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert all(line.startswith("[EXCHANGE] Unreadable row") for line in lines)


def test_open_orders_when_one_row_unreadable_then_rest_read_and_symbol_unknown(adapter, client):
    good = {"orderId": 5, "clientOrderId": "a", "symbol": "BTCUSDT", "side": "BUY",
            "type": "LIMIT", "status": "NEW", "price": "1", "origQty": "1"}
    client.script("futures_get_open_orders", [dict(good, symbol="ETHUSDT", status="??"), good])
    orders = adapter.open_orders()
    assert [o.order_id for o in orders] == [5]
    assert orders.unknown_symbols == frozenset({"ETHUSDT"})
