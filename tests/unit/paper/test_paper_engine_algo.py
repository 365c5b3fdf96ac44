"""The Algo book: triggers by side and type, gaps, working type, trailing, expiry, rejections."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.paper.errors import PaperError
from bot.paper.model import AlgoStatus, OrderStatus, OrderType, Side, WorkingType
from tests.unit.paper.helpers import Venue

# (type, side, trigger, price that must not fire, price that fires) with ETH at 3000
TRIGGERS = [
    (OrderType.STOP_MARKET, Side.SELL, "2900", "2900.01", "2900"),
    (OrderType.STOP_MARKET, Side.BUY, "3100", "3099.99", "3100"),
    (OrderType.TAKE_PROFIT_MARKET, Side.SELL, "3100", "3099.99", "3100"),
    (OrderType.TAKE_PROFIT_MARKET, Side.BUY, "2900", "2900.01", "2900"),
    (OrderType.STOP, Side.SELL, "2900", "2900.01", "2900"),
    (OrderType.STOP, Side.BUY, "3100", "3099.99", "3100"),
    (OrderType.TAKE_PROFIT, Side.SELL, "3100", "3099.99", "3100"),
    (OrderType.TAKE_PROFIT, Side.BUY, "2900", "2900.01", "2900"),
]


@pytest.mark.parametrize("kind,side,trigger,quiet,fire", TRIGGERS,
                         ids=[f"{k.value}-{s.value}" for k, s, *_ in TRIGGERS])
def test_trigger_when_price_reaches_trigger_then_real_order_created(kind, side, trigger,
                                                                    quiet, fire):
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.SELL if side is Side.BUY else Side.BUY, "1.000")
    limit = trigger if kind.child_is_limit else None
    algo = v.algo("ETHUSDT", side, kind, trigger=trigger, qty="1.000", reduce_only=True,
                  price=limit)
    v.move("ETHUSDT", quiet)
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.NEW
    v.move("ETHUSDT", fire)
    done = v.engine.get_algo(algo.algo_id)
    assert done.actual_order_id is not None
    child = v.engine.orders[done.actual_order_id]
    assert child.side is side and child.orig_type is kind
    assert child.type is (OrderType.LIMIT if kind.child_is_limit else OrderType.MARKET)
    assert child.status is OrderStatus.FILLED and done.status is AlgoStatus.FINISHED
    assert v.amount("ETHUSDT") == 0


@pytest.mark.parametrize("kind,side,trigger,quiet,fire", TRIGGERS,
                         ids=[f"{k.value}-{s.value}" for k, s, *_ in TRIGGERS])
def test_placement_when_condition_already_holds_then_would_trigger(kind, side, trigger,
                                                                   quiet, fire):
    v = Venue(ETHUSDT=fire)
    limit = trigger if kind.child_is_limit else None
    with pytest.raises(PaperError) as info:
        v.algo("ETHUSDT", side, kind, trigger=trigger, qty="1.000", reduce_only=True,
               price=limit)
    assert info.value.code == (-2021 if kind.is_stop_family else -4142)
    assert v.engine.open_algos() == [] and len(v.engine.ledger) == 0


@pytest.mark.parametrize("side,entry,trigger,gap,worse", [
    (Side.SELL, Side.BUY, "2900", "2700", lambda fill: fill <= D("2900")),
    (Side.BUY, Side.SELL, "3100", "3300", lambda fill: fill >= D("3100")),
])
def test_gap_through_stop_when_triggered_then_fills_at_gap_price_worse(side, entry, trigger,
                                                                      gap, worse):
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", entry, "1.000")
    algo = v.algo("ETHUSDT", side, OrderType.STOP_MARKET, trigger=trigger, close=True)
    v.move("ETHUSDT", gap)
    fill = v.engine.get_algo(algo.algo_id).actual_price
    assert fill == D(gap) and worse(fill)


def test_mark_price_stop_when_only_last_crosses_then_waits_for_mark():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1.000")
    algo = v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True,
                  working=WorkingType.MARK_PRICE)
    v.move("ETHUSDT", "2890", mark="2950")
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.NEW
    v.move("ETHUSDT", "2880", mark="2899")
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.FINISHED


def test_contract_price_default_when_last_crosses_then_fires_despite_mark():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1.000")
    algo = v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True)
    assert algo.working_type is WorkingType.CONTRACT_PRICE
    v.move("ETHUSDT", "2890", mark="2950")
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.FINISHED


def test_trailing_sell_when_price_runs_up_then_fires_on_pullback_from_extreme():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1.000")
    algo = v.algo("ETHUSDT", Side.SELL, OrderType.TRAILING_STOP_MARKET, qty="1.000",
                  reduce_only=True, callback="2")
    for price in ("3100", "3300", "3250"):
        v.move("ETHUSDT", price)
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.NEW  # 3250 > 3234
    v.move("ETHUSDT", "3234")
    done = v.engine.get_algo(algo.algo_id)
    assert done.status is AlgoStatus.FINISHED and done.trigger_price == D("3234.00")
    assert v.amount("ETHUSDT") == 0


def test_trailing_buy_with_activation_when_not_reached_then_does_not_track():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.SELL, "1.000")
    algo = v.algo("ETHUSDT", Side.BUY, OrderType.TRAILING_STOP_MARKET, qty="1.000",
                  reduce_only=True, callback="1", activate="2900")
    v.move("ETHUSDT", "3050")  # +1.7% but not armed yet
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.NEW
    v.move("ETHUSDT", "2800")  # armed at 2800 (≤ 2900), extreme 2800
    v.move("ETHUSDT", "2827")  # below 2828 = 2800 * 1.01
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.NEW
    v.move("ETHUSDT", "2828")
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.FINISHED


@pytest.mark.parametrize("rate", ["0.09", "20.01", "25"])
def test_callback_rate_when_outside_range_then_2007(rate):
    v = Venue(ETHUSDT="3000")
    with pytest.raises(PaperError) as info:
        v.algo("ETHUSDT", Side.SELL, OrderType.TRAILING_STOP_MARKET, qty="1.000",
               reduce_only=True, callback=rate)
    assert (info.value.code, info.value.msg) == (-2007, "Invalid callBack rate.")


@pytest.mark.parametrize("rate", ["0.1", "5", "20"])
def test_callback_rate_when_inside_range_then_accepted(rate):
    v = Venue(ETHUSDT="3000")
    order = v.algo("ETHUSDT", Side.SELL, OrderType.TRAILING_STOP_MARKET, qty="1.000",
                   reduce_only=True, callback=rate)
    assert order.status is AlgoStatus.NEW
    assert order.callback_rate == D(rate)  # kept as the percent it was sent as


def test_close_position_stop_when_position_closed_elsewhere_then_expired():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1.000")
    stop = v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True)
    take = v.algo("ETHUSDT", Side.SELL, OrderType.TAKE_PROFIT_MARKET, trigger="3100",
                  close=True)
    v.market_order("ETHUSDT", Side.SELL, "1.000", reduce_only=True)
    assert v.engine.get_algo(stop.algo_id).status is AlgoStatus.EXPIRED
    assert v.engine.get_algo(take.algo_id).status is AlgoStatus.EXPIRED
    assert v.engine.open_algos() == []


def test_close_position_stop_when_triggered_then_closes_whole_position_added_later():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1.000")
    v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True)
    v.market_order("ETHUSDT", Side.BUY, "0.500")
    v.move("ETHUSDT", "2850")
    assert v.amount("ETHUSDT") == 0


def test_reduce_only_stop_when_position_gone_at_trigger_then_expired_not_opening():
    v = Venue(ETHUSDT="3000")
    algo = v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", qty="1.000",
                  reduce_only=True)
    v.move("ETHUSDT", "2800")
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.EXPIRED
    assert v.amount("ETHUSDT") == 0


def test_plain_stop_entry_when_triggered_then_opens_position():
    v = Venue(ETHUSDT="3000")
    v.algo("ETHUSDT", Side.BUY, OrderType.STOP_MARKET, trigger="3100", qty="1.000")
    v.move("ETHUSDT", "3150")
    assert v.amount("ETHUSDT") == D("1.000")


def test_second_close_position_when_same_direction_then_4130_other_family_allowed():
    v = Venue(ETHUSDT="3000")
    v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True)
    with pytest.raises(PaperError) as info:
        v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2800", close=True)
    assert info.value.code == -4130
    v.algo("ETHUSDT", Side.BUY, OrderType.STOP_MARKET, trigger="3100", close=True)
    v.algo("ETHUSDT", Side.SELL, OrderType.TAKE_PROFIT_MARKET, trigger="3100", close=True)


def test_open_algo_limit_when_200_then_4045_across_symbols():
    v = Venue(ETHUSDT="3000", BTCUSDT="95000")
    for i in range(100):
        v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger=str(2000 + i),
               qty="1.000", reduce_only=True)
        v.algo("BTCUSDT", Side.SELL, OrderType.STOP_MARKET, trigger=str(80000 + i),
               qty="0.010", reduce_only=True)
    with pytest.raises(PaperError) as info:
        v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="1000", qty="1.000",
               reduce_only=True)
    assert info.value.code == -4045 and len(v.engine.open_algos()) == 200


def test_duplicate_client_algo_id_when_first_finished_then_reusable():
    v = Venue(ETHUSDT="3000")
    first = v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", qty="1.000",
                   reduce_only=True, client_id="qs-sl-ETH-k-0")
    with pytest.raises(PaperError) as info:
        v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2800", qty="1.000",
               reduce_only=True, client_id="qs-sl-ETH-k-0")
    assert info.value.code == -4116
    v.engine.cancel_algo(first.algo_id)
    v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2800", qty="1.000",
           reduce_only=True, client_id="qs-sl-ETH-k-0")
    assert v.engine.get_algo(client_algo_id="qs-sl-ETH-k-0").trigger_price == D("2800")


@pytest.mark.parametrize("kwargs,code", [
    (dict(kind=OrderType.STOP_MARKET, trigger="2900", close=True, qty="1.000"), -1106),
    (dict(kind=OrderType.STOP_MARKET, trigger="2900", close=True, reduce_only=True), -1106),
    (dict(kind=OrderType.TRAILING_STOP_MARKET, close=True, callback="1"), -1106),
    (dict(kind=OrderType.STOP_MARKET, close=True), -1102),
    (dict(kind=OrderType.STOP_MARKET, trigger="2900"), -1102),
    (dict(kind=OrderType.STOP, trigger="2900", qty="1.000"), -1102),
    (dict(kind=OrderType.TRAILING_STOP_MARKET, qty="1.000"), -1102),
    (dict(kind=OrderType.MARKET, qty="1.000"), -1116),
    (dict(kind=OrderType.STOP_MARKET, trigger="2900.005", qty="1.000"), -1111),
    (dict(kind=OrderType.STOP_MARKET, trigger="2900", qty="1.000", client_id="x" * 37), -1100),
])
def test_algo_shape_when_invalid_then_binance_code_and_nothing_ledgered(kwargs, code):
    v = Venue(ETHUSDT="3000")
    with pytest.raises(PaperError) as info:
        v.algo("ETHUSDT", Side.SELL, **kwargs)
    assert info.value.code == code and len(v.engine.ledger) == 0


def test_ledger_when_stop_lifecycle_then_ordered_entries_with_actors():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1.000", client_id="qs-en-ETH-k-0")
    v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True,
           client_id="qs-sl-ETH-k-0")
    v.move("ETHUSDT", "2890")
    entries = [(e.book, e.action, e.actor, e.client_id) for e in v.engine.ledger.since(0)]
    assert entries == [
        ("order", "PLACED", "client", "qs-en-ETH-k-0"),
        ("order", "FILLED", "engine", "qs-en-ETH-k-0"),
        ("algo", "PLACED", "client", "qs-sl-ETH-k-0"),
        ("algo", "TRIGGERED", "engine", "qs-sl-ETH-k-0"),
        ("order", "PLACED", "engine", "qs-sl-ETH-k-0"),
        ("order", "FILLED", "engine", "qs-sl-ETH-k-0"),
        ("algo", "FINISHED", "engine", "qs-sl-ETH-k-0"),
    ]
    assert [e.id for e in v.engine.ledger.since(5)] == [6, 7]
