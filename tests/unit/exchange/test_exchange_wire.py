"""Parse and format functions over hand-written wire samples."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.domain import AlgoStatus, Direction, OrderStatus, OrderType, Side, WorkingType
from bot.exchange import wire
from tests.unit.exchange import samples


def test_exchange_info_keeps_trading_symbols_with_normalized_steps():
    table = wire.parse_exchange_info(samples.EXCHANGE_INFO)
    assert sorted(table) == ["ATOMUSDT", "BTCUSDT"]
    atom = table["ATOMUSDT"]
    assert atom.tick_size == Decimal("0.001") and str(atom.tick_size) == "0.001"
    assert atom.step_size == Decimal("0.01")
    assert atom.market_step_size == Decimal("0.1")
    assert atom.min_notional == Decimal("5")
    assert atom.max_price == Decimal("200000")
    assert table["BTCUSDT"].market_step_size is None
    assert table["BTCUSDT"].min_notional == Decimal("100")


def test_exchange_info_without_lot_size_is_an_error_not_a_guess():
    bad = {"symbols": [{"symbol": "X", "filters": [{"filterType": "PRICE_FILTER",
                                                     "tickSize": "0.1"}]}]}
    with pytest.raises(wire.WireFormatError, match="LOT_SIZE"):
        wire.parse_exchange_info(bad)


def test_positions_skip_flat_rows_and_read_direction_from_sign():
    positions = wire.parse_positions(samples.POSITION_RISK_V3)
    assert [(p.symbol, p.direction) for p in positions] == [
        ("ATOMUSDT", Direction.SHORT), ("BTCUSDT", Direction.LONG)]
    short = positions[0]
    assert short.quantity == Decimal("12.50")
    assert short.entry_price == Decimal("2.5120")
    assert short.mark_price == Decimal("2.49")
    assert short.unrealized_pnl == Decimal("0.275")
    assert short.liquidation_price == Decimal("3.9812")
    assert short.leverage == 10  # v3 has no leverage field: 31.125 / 3.1125
    assert short.updated_at == datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert positions[1].liquidation_price is None
    assert positions[1].leverage == 5


def test_position_prefers_reported_leverage_over_derived():
    row = dict(samples.POSITION_RISK_V3[0], leverage="20")
    position = wire.parse_position(row)
    assert position is not None and position.leverage == 20


def test_close_position_stop_parses_with_no_quantity():
    stop = wire.parse_conditional_order(samples.ALGO_ORDER_STOP)
    assert stop.algo_id == 2146760
    assert stop.client_algo_id == "qs-sl-ATOM-0123456789-0"
    assert (stop.side, stop.type, stop.status) == (Side.BUY, OrderType.STOP_MARKET,
                                                   AlgoStatus.NEW)
    assert stop.trigger_price == Decimal("2.638")
    assert stop.quantity is None
    assert stop.close_position is True and stop.reduce_only is False
    assert stop.working_type is WorkingType.MARK_PRICE
    assert stop.activate_price is None and stop.callback_rate is None
    assert stop.actual_order_id is None


def test_triggered_trailing_stop_reads_string_booleans_and_actual_order():
    ts = wire.parse_conditional_order(samples.ALGO_ORDER_TRAILING_TRIGGERED)
    assert ts.type is OrderType.TRAILING_STOP_MARKET
    assert ts.status is AlgoStatus.TRIGGERED and not ts.status.is_open
    assert ts.reduce_only is True
    assert ts.callback_rate == Decimal("1.5")
    assert ts.activate_price == Decimal("2.45")
    assert ts.trigger_price is None
    assert ts.actual_order_id == 987654


def test_algo_order_default_working_type_is_contract_price_as_on_binance():
    row = {k: v for k, v in samples.ALGO_ORDER_STOP.items() if k != "workingType"}
    assert wire.parse_conditional_order(row).working_type is WorkingType.CONTRACT_PRICE


@pytest.mark.parametrize("field,value", [("side", "LONG"), ("algoStatus", "DONE"),
                                         ("orderType", "OCO"), ("triggerPrice", "abc")])
def test_unknown_enum_or_number_raises_wire_format_error(field, value):
    with pytest.raises(wire.WireFormatError):
        wire.parse_conditional_order(dict(samples.ALGO_ORDER_STOP, **{field: value}))


def test_market_order_result_parses_fill():
    order = wire.parse_order(samples.MARKET_ORDER_RESULT)
    assert order.order_id == 22542179
    assert (order.side, order.type, order.status) == (Side.SELL, OrderType.MARKET,
                                                      OrderStatus.FILLED)
    assert order.avg_price == Decimal("2.512") and order.executed_qty == Decimal("12.5")
    assert order.reduce_only is False


def test_account_kline_and_mark_prices():
    account = wire.parse_account(samples.ACCOUNT_V2)
    assert account.equity == Decimal("10010.275")
    kline = wire.parse_kline(samples.KLINE_ROW)
    assert kline.open_time == datetime(2026, 1, 1, tzinfo=UTC)
    assert (kline.open, kline.high, kline.low, kline.close) == tuple(
        Decimal(x) for x in ("2.5000", "2.5200", "2.4800", "2.5100"))
    assert wire.parse_mark_prices(samples.PREMIUM_INDEX) == {
        "ATOMUSDT": Decimal("2.49"), "BTCUSDT": Decimal("94000")}
    assert wire.parse_mark_prices(samples.PREMIUM_INDEX[0]) == {"ATOMUSDT": Decimal("2.49")}


def test_kline_row_too_short_is_rejected():
    with pytest.raises(wire.WireFormatError):
        wire.parse_kline(samples.KLINE_ROW[:5])


@pytest.mark.parametrize("value,text", [
    (Decimal("100"), "100"), (Decimal("1E+2"), "100"), (Decimal("2.53400000"), "2.534"),
    (Decimal("0.00000001"), "0.00000001"), (Decimal("0"), "0"), (Decimal("1.5"), "1.5"),
])
def test_wire_decimal_is_plain_and_trimmed(value, text):
    assert wire.wire_decimal(value) == text


def test_wire_price_and_qty_snap_to_filters():
    atom = wire.parse_exchange_info(samples.EXCHANGE_INFO)["ATOMUSDT"]
    assert wire.wire_price(atom, Decimal("2.53449")) == "2.534"
    assert wire.wire_price(atom, Decimal("2.5345")) == "2.535"
    assert wire.wire_qty(atom, Decimal("12.559")) == "12.55"
    assert wire.wire_qty(atom, Decimal("12.559"), market=True) == "12.5"


def test_dec_refuses_none_bool_and_empty():
    for bad in (None, True, "", "x"):
        with pytest.raises(wire.WireFormatError):
            wire.dec(bad)
    assert wire.dec(0.1) == Decimal("0.1")
    assert wire.opt_dec("0.000") is None and wire.opt_dec("") is None
