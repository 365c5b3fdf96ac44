"""The Exchange contract: every method and every mapped error, on every venue.

One suite (hummingbot's habit) parametrized by the ``exchange`` fixture: the
paper exchange over loopback always, Binance's futures testnet with
``-m testnet`` when keys are set. Tests that need a venue power the testnet
lacks (setting prices, injecting faults, reading the ledger) skip there.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import (
    AlgoStatus,
    Direction,
    OrderStatus,
    OrderType,
    Purpose,
    Side,
    WorkingType,
    errors,
)
from tests.fixtures.exchange import Fault, Venue

BAD_SYMBOL = "NOSUCHUSDT"


def open_long(ex: Venue) -> Decimal:
    qty = ex.entry_qty()
    order = ex.adapter.market_order(ex.symbol, Side.BUY, qty, ex.cid(Purpose.ENTRY))
    assert order.status is OrderStatus.FILLED
    return qty


def below(ex: Venue, fraction: str) -> Decimal:
    mark = ex.adapter.mark_price(ex.symbol)
    return ex.adapter.filters(ex.symbol).round_price(mark * (1 - Decimal(fraction)), "down")


def above(ex: Venue, fraction: str) -> Decimal:
    mark = ex.adapter.mark_price(ex.symbol)
    return ex.adapter.filters(ex.symbol).round_price(mark * (1 + Decimal(fraction)), "up")


# --- market data and account ---------------------------------------------------------------

def test_symbols_and_filters_describe_the_symbol(exchange: Venue):
    assert exchange.symbol in exchange.adapter.symbols()
    f = exchange.adapter.filters(exchange.symbol)
    assert f.symbol == exchange.symbol
    assert f.tick_size > 0 and f.step_size > 0 and f.min_qty > 0 and f.min_notional > 0


def test_mark_price_agrees_with_all_mark_prices(exchange: Venue):
    one = exchange.adapter.mark_price(exchange.symbol)
    every = exchange.adapter.mark_prices()
    assert one > 0 and exchange.symbol in every
    assert abs(every[exchange.symbol] - one) / one < Decimal("0.01")


def test_klines_are_ascending_decimal_candles(exchange: Venue):
    candles = exchange.adapter.klines(exchange.symbol, "1h", limit=50)
    assert len(candles) == 50
    assert all(c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high for c in candles)
    assert [c.open_time for c in candles] == sorted(c.open_time for c in candles)
    assert all(isinstance(c.close, Decimal) for c in candles)


def test_account_reports_a_positive_wallet(exchange: Venue):
    account = exchange.adapter.account()
    assert account.wallet_balance > 0 and account.available_balance >= 0


def test_set_leverage_is_accepted_and_bad_leverage_is_refused(exchange: Venue):
    exchange.adapter.set_leverage(exchange.symbol, 5)
    before = exchange.adapter.request_count
    with pytest.raises(errors.InvalidOrderError):
        exchange.adapter.set_leverage(exchange.symbol, 0)
    assert exchange.adapter.request_count == before


@pytest.mark.parametrize("call", [
    lambda a: a.filters(BAD_SYMBOL),
    lambda a: a.mark_price(BAD_SYMBOL),
    lambda a: a.klines(BAD_SYMBOL, "1h"),
    lambda a: a.open_conditional_orders(BAD_SYMBOL),
    lambda a: a.market_order(BAD_SYMBOL, Side.BUY, Decimal("1"), "qs-en-X-k-0"),
    lambda a: a.place_stop(BAD_SYMBOL, Side.SELL, Decimal("1"), "qs-sl-X-k-0"),
    lambda a: a.place_trailing_stop(BAD_SYMBOL, Side.SELL, Decimal("1"), Decimal("1"),
                                    "qs-ts-X-k-0"),
    lambda a: a.cancel_conditional(BAD_SYMBOL, algo_id=1),
], ids=["filters", "mark_price", "klines", "open_algo", "market", "stop", "trailing", "cancel"])
def test_unknown_symbol_is_bad_symbol_without_a_request(exchange: Venue, call):
    exchange.adapter.filters(exchange.symbol)  # exchangeInfo cached
    before = exchange.adapter.request_count
    with pytest.raises(errors.InvalidOrderError) as raised:
        call(exchange.adapter)
    assert raised.value.code == -1121
    assert exchange.adapter.request_count == before


# --- the life of a protected position ------------------------------------------------------

def test_market_entry_fills_and_shows_as_a_position(exchange: Venue):
    qty = exchange.entry_qty()
    cid = exchange.cid(Purpose.ENTRY)
    order = exchange.adapter.market_order(exchange.symbol, Side.BUY, qty, cid)
    assert order.client_order_id == cid and order.type is OrderType.MARKET
    assert order.status is OrderStatus.FILLED
    assert order.executed_qty == qty and order.avg_price > 0
    mine = [p for p in exchange.adapter.positions() if p.symbol == exchange.symbol]
    assert len(mine) == 1
    assert mine[0].direction is Direction.LONG and mine[0].quantity == qty
    found = exchange.adapter.get_order(exchange.symbol, cid)
    assert found is not None and found.order_id == order.order_id


def test_close_position_stop_lives_in_algo_book_not_open_orders(exchange: Venue):
    open_long(exchange)
    trigger = below(exchange, "0.05")
    cid = exchange.cid(Purpose.STOP)
    stop = exchange.adapter.place_stop(exchange.symbol, Side.SELL, trigger, cid)
    assert stop.client_algo_id == cid and stop.status is AlgoStatus.NEW
    assert stop.type is OrderType.STOP_MARKET and stop.close_position
    assert stop.working_type is WorkingType.MARK_PRICE and stop.trigger_price == trigger

    every = exchange.adapter.open_conditional_orders()
    assert [s.algo_id for s in every if s.client_algo_id == cid] == [stop.algo_id]
    assert [s.algo_id for s in exchange.adapter.open_conditional_orders(exchange.symbol)
            if s.client_algo_id == cid] == [stop.algo_id]
    assert all(o.client_order_id != cid for o in exchange.adapter.open_orders())
    fetched = exchange.adapter.get_conditional(exchange.symbol, cid)
    assert fetched is not None and fetched.algo_id == stop.algo_id

    exchange.adapter.cancel_conditional(exchange.symbol, algo_id=stop.algo_id)
    assert all(s.client_algo_id != cid for s in exchange.adapter.open_conditional_orders())
    gone = exchange.adapter.get_conditional(exchange.symbol, cid)
    assert gone is None or gone.status is AlgoStatus.CANCELED


def test_reduce_only_stop_take_profit_and_trailing_stop(exchange: Venue):
    qty = open_long(exchange)
    a = exchange.adapter
    stop = a.place_stop(exchange.symbol, Side.SELL, below(exchange, "0.05"),
                        exchange.cid(Purpose.STOP), quantity=qty)
    assert stop.reduce_only and not stop.close_position and stop.quantity == qty
    tp = a.place_take_profit(exchange.symbol, Side.SELL, above(exchange, "0.05"),
                             exchange.cid(Purpose.TAKE_PROFIT))
    assert tp.type is OrderType.TAKE_PROFIT_MARKET and tp.close_position
    ts = a.place_trailing_stop(exchange.symbol, Side.SELL, qty, Decimal("1.5"),
                               exchange.cid(Purpose.TRAILING),
                               activate_price=above(exchange, "0.02"))
    assert ts.type is OrderType.TRAILING_STOP_MARKET and ts.reduce_only
    assert ts.callback_rate == Decimal("1.5")  # a percent, never x100
    ids = {s.algo_id for s in a.open_conditional_orders(exchange.symbol)}
    assert {stop.algo_id, tp.algo_id, ts.algo_id} <= ids
    a.cancel_conditional(exchange.symbol, client_algo_id=tp.client_algo_id)
    assert tp.algo_id not in {s.algo_id for s in a.open_conditional_orders(exchange.symbol)}


def test_overprecise_prices_and_sizes_are_snapped_not_rejected(exchange: Venue):
    f = exchange.adapter.filters(exchange.symbol)
    qty = open_long(exchange) + f.step_size / 3
    trigger = below(exchange, "0.05") + f.tick_size / 7
    stop = exchange.adapter.place_stop(exchange.symbol, Side.SELL, trigger,
                                       exchange.cid(Purpose.STOP), quantity=qty)
    assert stop.quantity == f.round_qty(qty)
    assert stop.trigger_price == f.round_price(trigger)


# --- every mapped error --------------------------------------------------------------------

def test_stop_that_would_trigger_now_is_2021(exchange: Venue):
    open_long(exchange)
    with pytest.raises(errors.WouldTriggerError) as raised:
        exchange.adapter.place_stop(exchange.symbol, Side.SELL, above(exchange, "0.05"),
                                    exchange.cid(Purpose.STOP))
    assert raised.value.code == -2021
    assert exchange.adapter.open_conditional_orders(exchange.symbol) == []


def test_bad_callback_rate_is_2007(exchange: Venue):
    qty = open_long(exchange)
    with pytest.raises(errors.InvalidCallbackRateError) as raised:
        exchange.adapter.place_trailing_stop(exchange.symbol, Side.SELL, qty, Decimal("150"),
                                             exchange.cid(Purpose.TRAILING))
    assert raised.value.code == -2007


def test_second_close_position_stop_is_4130(exchange: Venue):
    open_long(exchange)
    a = exchange.adapter
    first = a.place_stop(exchange.symbol, Side.SELL, below(exchange, "0.05"),
                         exchange.cid(Purpose.STOP))
    with pytest.raises(errors.ClosePositionExistsError) as raised:
        a.place_stop(exchange.symbol, Side.SELL, below(exchange, "0.06"),
                     exchange.cid(Purpose.STOP))
    assert raised.value.code == -4130
    assert [s.algo_id for s in a.open_conditional_orders(exchange.symbol)] == [first.algo_id]


def test_cancelling_or_querying_unknown_orders(exchange: Venue):
    a = exchange.adapter
    with pytest.raises(errors.UnknownOrderError) as algo:
        a.cancel_conditional(exchange.symbol, algo_id=987_654_321_012)
    assert algo.value.code in (-2011, -2013)
    with pytest.raises(errors.UnknownOrderError) as plain:
        a.cancel_order(exchange.symbol, 987_654_321_012)
    assert plain.value.code in (-2011, -2013)
    assert a.get_conditional(exchange.symbol, exchange.cid(Purpose.STOP)) is None
    assert a.get_order(exchange.symbol, exchange.cid(Purpose.ENTRY)) is None


def test_entry_below_min_notional_is_4164(exchange: Venue):
    f = exchange.adapter.filters(exchange.symbol)
    tiny = max(f.market_min_qty or f.min_qty, f.market_step_size or f.step_size)
    if tiny * exchange.adapter.mark_price(exchange.symbol) >= f.min_notional:
        pytest.skip("the smallest size already meets min notional on this symbol")
    with pytest.raises(errors.MinNotionalError) as raised:
        exchange.adapter.market_order(exchange.symbol, Side.BUY, tiny, exchange.cid(Purpose.ENTRY))
    assert raised.value.code == -4164
    assert all(p.symbol != exchange.symbol for p in exchange.adapter.positions())


def test_reduce_only_without_a_position_is_2022(exchange: Venue):
    with pytest.raises(errors.ReduceOnlyRejectedError) as raised:
        exchange.adapter.market_order(exchange.symbol, Side.SELL, exchange.entry_qty(),
                                      exchange.cid(Purpose.CLOSE), reduce_only=True)
    assert raised.value.code == -2022


def test_precision_rejection_when_once_then_filters_refreshed_and_stop_placed(exchange: Venue):
    exchange.need("inject")
    open_long(exchange)
    exchange.inject(Fault("POST", "/fapi/v1/algoOrder", code=-1111,
                          message="Precision is over the maximum defined for this asset."))
    stop = exchange.adapter.place_stop(exchange.symbol, Side.SELL, below(exchange, "0.05"),
                                       exchange.cid(Purpose.STOP))
    assert stop.status.is_open


def test_precision_rejection_when_persistent_then_1111_filter_error_after_one_retry(
    exchange: Venue,
):
    exchange.need("inject")
    open_long(exchange)
    exchange.inject(Fault("POST", "/fapi/v1/algoOrder", code=-1111, count=2,
                          message="Precision is over the maximum defined for this asset."))
    with pytest.raises(errors.FilterError) as raised:
        exchange.adapter.place_stop(exchange.symbol, Side.SELL, below(exchange, "0.05"),
                                    exchange.cid(Purpose.STOP))
    assert raised.value.code == -1111 and isinstance(raised.value, errors.InvalidOrderError)


def test_rate_limit_is_raised_not_slept_on(exchange: Venue):
    exchange.need("inject")
    exchange.inject(Fault("GET", "/fapi/v3/positionRisk", code=-1003, http_status=429,
                          message="Too many requests."))
    before = exchange.adapter.request_count
    with pytest.raises(errors.RateLimitedError):
        exchange.adapter.positions()
    assert exchange.adapter.request_count == before + 1


# --- unknown status and clock --------------------------------------------------------------

def test_stop_whose_answer_was_lost_after_the_engine_is_not_duplicated(exchange: Venue):
    exchange.need("inject")
    open_long(exchange)
    cid = exchange.cid(Purpose.STOP)
    exchange.inject(Fault("POST", "/fapi/v1/algoOrder", lost_after_engine=True))
    trigger = below(exchange, "0.05")
    posts = _requests(exchange, "POST /fapi/v1/algoOrder")
    stop = exchange.adapter.place_stop(exchange.symbol, Side.SELL, trigger, cid)
    assert stop.client_algo_id == cid and stop.status is AlgoStatus.NEW
    assert _requests(exchange, "POST /fapi/v1/algoOrder") == posts + 1  # asked, did not resend
    book = [s for s in exchange.adapter.open_conditional_orders() if s.client_algo_id == cid]
    assert [s.algo_id for s in book] == [stop.algo_id]
    if exchange.ledger is not None:
        placed = [e for e in exchange.ledger() if _client_id(e) == cid and _is_new(e)]
        assert len(placed) == 1


def test_stop_whose_request_never_arrived_is_sent_again_once(exchange: Venue):
    exchange.need("inject")
    open_long(exchange)
    cid = exchange.cid(Purpose.STOP)
    exchange.inject(Fault("POST", "/fapi/v1/algoOrder", code=-1001, http_status=503,
                          message="Internal error; unable to process your request."))
    trigger = below(exchange, "0.05")
    posts = _requests(exchange, "POST /fapi/v1/algoOrder")
    stop = exchange.adapter.place_stop(exchange.symbol, Side.SELL, trigger, cid)
    assert _requests(exchange, "POST /fapi/v1/algoOrder") == posts + 2
    book = [s for s in exchange.adapter.open_conditional_orders() if s.client_algo_id == cid]
    assert [s.algo_id for s in book] == [stop.algo_id]


def test_entry_whose_answer_was_lost_is_found_by_client_id(exchange: Venue):
    exchange.need("inject")
    qty = exchange.entry_qty()
    cid = exchange.cid(Purpose.ENTRY)
    exchange.inject(Fault("POST", "/fapi/v1/order", lost_after_engine=True))
    posts = _requests(exchange, "POST /fapi/v1/order")
    order = exchange.adapter.market_order(exchange.symbol, Side.BUY, qty, cid)
    assert _requests(exchange, "POST /fapi/v1/order") == posts + 1
    assert order.client_order_id == cid and order.executed_qty == qty
    mine = [p for p in exchange.adapter.positions() if p.symbol == exchange.symbol]
    assert [p.quantity for p in mine] == [qty]  # one fill, not two


def test_stale_timestamp_is_resynced_and_retried(exchange: Venue):
    client = exchange.adapter._client
    client.timestamp_offset = -120_000  # two minutes behind: outside recvWindow
    before = exchange.adapter.request_count
    exchange.adapter.positions()
    assert abs(exchange.adapter.time_offset_ms) < 60_000
    assert exchange.adapter.request_count == before + 3  # refused, time, retried


# --- the monitor's read budget -------------------------------------------------------------

def test_monitor_read_is_three_requests_with_weight_reported(exchange: Venue, record_property):
    a = exchange.adapter
    open_long(exchange)
    a.place_stop(exchange.symbol, Side.SELL, below(exchange, "0.05"), exchange.cid(Purpose.STOP))
    before = a.weight_snapshot()
    positions = a.positions()
    stops = a.open_conditional_orders()
    a.open_orders()
    after = a.weight_snapshot()
    assert after.request_count - before.request_count == 3
    assert positions and stops
    assert after.used_weight_1m > 0
    documented = sum(
        s.documented_weight - (before.by_endpoint[k].documented_weight
                               if k in before.by_endpoint else 0)
        for k, s in after.by_endpoint.items())
    assert documented == 5 + 40 + 40
    record_property("monitor_read_requests", after.request_count - before.request_count)
    record_property("monitor_read_documented_weight", documented)
    record_property("monitor_read_header_weight_delta",
                    after.used_weight_1m - before.used_weight_1m)


def _requests(exchange: Venue, endpoint: str) -> int:
    stats = exchange.adapter.weight_snapshot().by_endpoint.get(endpoint)
    return stats.requests if stats else 0


def _client_id(entry) -> str | None:
    return entry.get("client_id") if isinstance(entry, dict) else getattr(entry, "client_id", None)


def _is_new(entry) -> bool:
    action = entry.get("action") if isinstance(entry, dict) else getattr(entry, "action", "")
    book = entry.get("book") if isinstance(entry, dict) else getattr(entry, "book", "")
    return book == "algo" and str(action).upper() in ("NEW", "PLACED", "PLACE", "CREATED")


def test_one_adapter_serves_two_threads_without_mixing_answers(exchange: Venue):
    import threading

    a = exchange.adapter
    open_long(exchange)
    before = a.request_count
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(10):
                assert any(p.symbol == exchange.symbol for p in a.positions())
                assert all(o.symbol == exchange.symbol for o in a.open_orders(exchange.symbol))
        except BaseException as exc:  # reported below, not swallowed
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    stop = a.place_stop(exchange.symbol, Side.SELL, below(exchange, "0.05"),
                        exchange.cid(Purpose.STOP))
    for t in threads:
        t.join()
    assert failures == []
    assert stop.algo_id in {s.algo_id for s in a.open_conditional_orders(exchange.symbol)}
    assert a.request_count - before == 2 * 10 * 2 + 1 + 1 + 1  # reads, mark price, stop, book


@pytest.mark.parametrize("reached", [True, False], ids=["reached-engine", "never-arrived"])
def test_stop_whose_request_timed_out_leaves_exactly_one_stop(exchange: Venue, reached: bool):
    exchange.need("reconnect")
    open_long(exchange)
    impatient = exchange.reconnect(0.25)
    cid = exchange.cid(Purpose.STOP)
    trigger = below(exchange, "0.05")
    exchange.inject(Fault("POST", "/fapi/v1/algoOrder", timeout=True, delay_s=1.0,
                          lost_after_engine=reached))
    stop = impatient.place_stop(exchange.symbol, Side.SELL, trigger, cid)
    assert stop.client_algo_id == cid
    posts = impatient.weight_snapshot().by_endpoint["POST /fapi/v1/algoOrder"].requests
    assert posts == (1 if reached else 2)
    book = [s for s in exchange.adapter.open_conditional_orders() if s.client_algo_id == cid]
    assert [s.algo_id for s in book] == [stop.algo_id]


def test_triggered_stop_leaves_the_book_and_points_to_its_fill(exchange: Venue):
    exchange.need("set_price")
    open_long(exchange)
    a = exchange.adapter
    trigger = below(exchange, "0.05")
    cid = exchange.cid(Purpose.STOP)
    a.place_stop(exchange.symbol, Side.SELL, trigger, cid)
    exchange.set_price(exchange.symbol, trigger * Decimal("0.99"))
    assert all(s.client_algo_id != cid for s in a.open_conditional_orders())
    fired = a.get_conditional(exchange.symbol, cid)
    assert fired is not None
    assert fired.status in (AlgoStatus.TRIGGERED, AlgoStatus.FINISHED)
    assert fired.actual_order_id is not None
    assert all(p.symbol != exchange.symbol for p in a.positions())
