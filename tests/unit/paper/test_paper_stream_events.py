"""User-data stream payloads: Binance's field names and JSON types, per event kind."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.paper.model import (
    AlgoOrder,
    Order,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    WorkingType,
)
from bot.paper.stream_events import (
    FillInfo,
    PositionSnapshot,
    account_update,
    algo_update,
    breakeven_price,
    listen_key_expired,
    order_trade_update,
)

# Binance USD-M "Event: Order Update" (o.*), as documented and seen live
ORDER_FIELDS = {"s", "c", "S", "o", "f", "q", "p", "ap", "sp", "x", "X", "i", "l", "z", "L",
                "N", "n", "T", "t", "b", "a", "m", "R", "wt", "ot", "ps", "cp", "pP", "si",
                "ss", "rp", "V", "pm", "gtd", "er"}
ORDER_STRINGS = {"s", "c", "S", "o", "f", "q", "p", "ap", "sp", "x", "X", "l", "z", "L", "N",
                 "n", "b", "a", "wt", "ot", "ps", "rp", "V", "pm", "er"}
ORDER_INTS = {"i", "T", "t", "si", "ss", "gtd"}
ORDER_BOOLS = {"m", "R", "cp", "pP"}
# "Event: Algo Order Update" (o.*), plus "ia" seen live
ALGO_FIELDS = {"caid", "aid", "at", "o", "s", "S", "ps", "f", "q", "X", "ai", "ap", "aq", "act",
               "tp", "p", "V", "wt", "pm", "cp", "pP", "R", "tt", "gtd", "rm", "ia"}
ALGO_STRINGS = {"caid", "at", "o", "s", "S", "ps", "f", "q", "X", "ai", "ap", "aq", "act", "tp",
                "p", "V", "wt", "pm", "rm"}
ALGO_INTS = {"aid", "tt", "gtd"}
ALGO_BOOLS = {"cp", "pP", "R", "ia"}
# "Event: Balance and Position Update"
BALANCE_FIELDS = {"a", "wb", "cw", "bc"}
POSITION_FIELDS = {"s", "pa", "ep", "bep", "cr", "up", "mt", "iw", "ps", "ma"}


def _order(**changes) -> Order:
    fields = dict(order_id=4_000_000_001, client_order_id="entry-1", symbol="ETHUSDT",
                  side=Side.BUY, type=OrderType.MARKET, orig_qty=Decimal("1.5"), price=Decimal(0),
                  time_in_force=TimeInForce.GTC, reduce_only=False, close_position=False,
                  time_ms=1_000, update_ms=1_000, orig_type=OrderType.MARKET)
    fields.update(changes)
    return Order(**fields)


def _algo(**changes) -> AlgoOrder:
    fields = dict(algo_id=1_000_001, client_algo_id="sl-1", symbol="ETHUSDT", side=Side.SELL,
                  type=OrderType.STOP_MARKET, quantity=Decimal(0), price=Decimal(0),
                  trigger_price=Decimal("2900.5"), working_type=WorkingType.MARK_PRICE,
                  close_position=True, reduce_only=False, price_protect=False,
                  activate_price=None, callback_rate=None, time_in_force=TimeInForce.GTC,
                  create_ms=1_000, update_ms=1_000)
    fields.update(changes)
    return AlgoOrder(**fields)


def _types_ok(body: dict, strings: set, ints: set, bools: set) -> None:
    for name in strings:
        assert isinstance(body[name], str), name
    for name in ints:
        assert isinstance(body[name], int) and not isinstance(body[name], bool), name
    for name in bools:
        assert isinstance(body[name], bool), name


def test_order_update_when_new_then_binance_fields_and_types():
    event = order_trade_update(_order(), execution="NEW", status="NEW", fill=None,
                               event_ms=2_001, transaction_ms=2_000)
    assert set(event) == {"e", "E", "T", "o"} and event["e"] == "ORDER_TRADE_UPDATE"
    assert (event["E"], event["T"]) == (2_001, 2_000)
    body = event["o"]
    assert set(body) == ORDER_FIELDS
    _types_ok(body, ORDER_STRINGS, ORDER_INTS, ORDER_BOOLS)
    assert (body["x"], body["X"], body["l"], body["L"], body["n"], body["t"]) == (
        "NEW", "NEW", "0", "0", "0", 0)
    assert (body["q"], body["c"], body["i"], body["N"]) == ("1.5", "entry-1", 4_000_000_001, "USDT")


def test_order_update_when_filled_then_trade_with_commission_and_realized_profit():
    order = _order(status=OrderStatus.FILLED, executed_qty=Decimal("1.5"),
                   cum_quote=Decimal("4500.15"), avg_price=Decimal("3000.10"))
    fill = FillInfo(qty=Decimal("1.5"), price=Decimal("3000.10"), commission=Decimal("1.80006"),
                    realized_pnl=Decimal("-12.5"), trade_id=200_000_007, maker=False)
    body = order_trade_update(order, execution="TRADE", status="FILLED", fill=fill,
                              event_ms=5, transaction_ms=5)["o"]
    _types_ok(body, ORDER_STRINGS, ORDER_INTS, ORDER_BOOLS)
    assert (body["x"], body["X"], body["l"], body["z"], body["L"], body["ap"]) == (
        "TRADE", "FILLED", "1.5", "1.5", "3000.1", "3000.1")
    assert (body["n"], body["rp"], body["t"], body["m"]) == (
        "1.80006000", "-12.50000000", 200_000_007, False)


def test_order_update_when_client_id_is_autoclose_then_liquidation_type():
    order = _order(client_order_id="autoclose-1767225600000", time_in_force=TimeInForce.IOC,
                   reduce_only=True)
    body = order_trade_update(order, execution="NEW", status="NEW", fill=None,
                              event_ms=1, transaction_ms=1)["o"]
    assert (body["o"], body["ot"], body["c"], body["R"]) == (
        "LIQUIDATION", "LIQUIDATION", "autoclose-1767225600000", True)


def test_order_update_when_stop_child_then_market_with_original_type_and_stop_price():
    child = _order(side=Side.SELL, orig_type=OrderType.STOP_MARKET, stop_price=Decimal("2900.5"),
                   close_position=True, reduce_only=True, working_type=WorkingType.MARK_PRICE)
    body = order_trade_update(child, execution="NEW", status="NEW", fill=None,
                              event_ms=1, transaction_ms=1)["o"]
    assert (body["o"], body["ot"], body["sp"], body["cp"], body["wt"]) == (
        "MARKET", "STOP_MARKET", "2900.5", True, "MARK_PRICE")


@pytest.mark.parametrize("order_type, tif, reason", [
    (OrderType.MARKET, TimeInForce.GTC, "9"), (OrderType.LIMIT, TimeInForce.IOC, "2"),
    (OrderType.LIMIT, TimeInForce.GTX, "0")])
def test_order_update_when_expired_then_expiry_reason(order_type, tif, reason):
    body = order_trade_update(_order(type=order_type, time_in_force=tif), execution="EXPIRED",
                              status="EXPIRED", fill=None, event_ms=1, transaction_ms=1)["o"]
    assert body["er"] == reason


def test_algo_update_when_new_then_binance_fields_and_no_child():
    event = algo_update(_algo(), status="NEW", child=None, reason="", event_ms=9,
                        transaction_ms=8)
    assert set(event) == {"e", "E", "T", "o"} and event["e"] == "ALGO_UPDATE"
    body = event["o"]
    assert set(body) == ALGO_FIELDS
    _types_ok(body, ALGO_STRINGS, ALGO_INTS, ALGO_BOOLS)
    assert (body["caid"], body["aid"], body["at"], body["X"], body["ai"], body["act"]) == (
        "sl-1", 1_000_001, "CONDITIONAL", "NEW", "", "0")
    assert (body["tp"], body["wt"], body["cp"], body["R"], body["q"]) == (
        "2900.5", "MARK_PRICE", True, True, "0")


def test_algo_update_when_finished_then_child_id_price_quantity_and_type():
    child = _order(order_id=4_000_000_009, side=Side.SELL, executed_qty=Decimal("2"),
                   avg_price=Decimal("2890"), orig_qty=Decimal("2"))
    algo = _algo(actual_order_id=4_000_000_009, trigger_ms=7, actual_price=Decimal("2890"))
    body = algo_update(algo, status="FINISHED", child=child, reason="", event_ms=9,
                       transaction_ms=9)["o"]
    _types_ok(body, ALGO_STRINGS, ALGO_INTS, ALGO_BOOLS)
    assert (body["ai"], body["ap"], body["aq"], body["act"], body["tt"]) == (
        "4000000009", "2890", "2", "MARKET", 7)


def test_algo_update_when_rejected_then_reason_in_rm():
    body = algo_update(_algo(), status="REJECTED", child=None, reason="Margin is insufficient.",
                       event_ms=1, transaction_ms=1)["o"]
    assert (body["X"], body["rm"]) == ("REJECTED", "Margin is insufficient.")


def test_algo_update_when_trailing_activated_then_ia_true():
    trailing = _algo(type=OrderType.TRAILING_STOP_MARKET, callback_rate=Decimal("1"),
                     activated=True, close_position=False, quantity=Decimal("1"))
    assert algo_update(trailing, status="NEW", child=None, reason="", event_ms=1,
                       transaction_ms=1)["o"]["ia"] is True


def test_account_update_when_position_changes_then_balance_and_that_position():
    snap = PositionSnapshot(symbol="BTCUSDT", amount=Decimal("0.0007"),
                            entry_price=Decimal("77290.7"),
                            breakeven_price=breakeven_price(Decimal("0.0007"),
                                                            Decimal("77290.7"),
                                                            Decimal("0.0004")),
                            realized_pnl=Decimal("-61.78"), unrealized_pnl=Decimal("-0.008"))
    event = account_update("ORDER", Decimal("4208.43752587"), [snap], event_ms=3,
                           transaction_ms=2)
    assert set(event) == {"e", "E", "T", "a"} and event["e"] == "ACCOUNT_UPDATE"
    assert set(event["a"]) == {"m", "B", "P"} and event["a"]["m"] == "ORDER"
    (balance,) = event["a"]["B"]
    (position,) = event["a"]["P"]
    assert set(balance) == BALANCE_FIELDS and set(position) == POSITION_FIELDS
    assert all(isinstance(v, str) for v in [*balance.values(), *position.values()])
    assert balance == {"a": "USDT", "wb": "4208.43752587", "cw": "4208.43752587", "bc": "0"}
    assert (position["pa"], position["ep"], position["bep"], position["cr"], position["up"]) == (
        "0.0007", "77290.7", "77321.61628", "-61.78", "-0.008")  # a live event's numbers
    assert (position["mt"], position["ps"]) == ("cross", "BOTH")


@pytest.mark.parametrize("amount, expected", [("2", "3001.2"), ("-2", "2998.8"), ("0", "0")])
def test_breakeven_when_long_or_short_then_entry_moved_by_the_closing_fee(amount, expected):
    assert breakeven_price(Decimal(amount), Decimal("3000"), Decimal("0.0004")) == Decimal(
        expected)


def test_listen_key_expired_when_built_then_event_time_is_a_string():
    event = listen_key_expired("K" * 64, 1_736_996_475_556)
    assert event == {"e": "listenKeyExpired", "E": "1736996475556", "listenKey": "K" * 64}
