"""Rate limits: back off as told (429/418, Retry-After) without sending, and keep a reserve of
the minute's weight and order counts for protection."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.domain import Side, errors
from bot.exchange.binance_adapter import BinanceAdapter, BinanceAPIException
from bot.exchange.budget import BudgetLimits
from tests.unit.exchange.fakes import FakeClient, http_response

SL_ID = "qs-sl-ATOM-0123456789-0"
T0 = 1_767_225_600.0  # a minute boundary


class Clock:
    def __init__(self) -> None:
        self.t = T0 + 1

    def __call__(self) -> float:
        return self.t


def limited(status: int, code: int, retry_after: str | None) -> BinanceAPIException:
    body = {"code": code, "msg": "Too many requests."}
    response = http_response(status, body)
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return BinanceAPIException(response, status, json.dumps(body))


@pytest.fixture()
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def adapter(client: FakeClient, clock: Clock) -> BinanceAdapter:
    a = BinanceAdapter(client, clock=clock, limits=BudgetLimits(reserve_share=0.8))  # type: ignore[arg-type]
    a.filters("ATOMUSDT")  # exchangeInfo cached: later counts are the calls under test
    return a


def sends(client: FakeClient) -> int:
    return len(client.calls)


@pytest.mark.parametrize(("status", "code"), [(429, -1003), (418, -1003)])
def test_call_when_exchange_said_retry_after_then_nothing_sent_until_it_ends(
    adapter, client, clock, status, code
):
    client.script("futures_position_information", limited(status, code, "7"))
    with pytest.raises(errors.RateLimitedError):
        adapter.positions()
    before = sends(client)
    clock.t += 3
    with pytest.raises(errors.RateLimitedError, match=rf"HTTP {status}\) for 4 s more"):
        adapter.positions()
    if status == 418:  # banned is banned: the venue refuses everything, a stop too
        with pytest.raises(errors.RateLimitedError, match="not sent"):
            adapter.place_stop("ATOMUSDT", Side.BUY, Decimal("2.638"), SL_ID)
        assert sends(client) == before
    else:  # a weight 429: orders cost no IP weight, and a held-back stop is a naked position
        adapter.place_stop("ATOMUSDT", Side.BUY, Decimal("2.638"), SL_ID)
        assert sends(client) == before + 1
        before += 1
    assert adapter.request_budget().banned_until == datetime.fromtimestamp(T0 + 8, UTC)
    clock.t += 4
    adapter.positions()
    assert sends(client) == before + 1 and adapter.request_budget().banned_until is None


def test_call_when_418_without_retry_after_then_two_minutes_held_back(adapter, client, clock):
    client.script("futures_account", limited(418, -1003, None))
    with pytest.raises(errors.RateLimitedError):
        adapter.account()
    clock.t += 119
    with pytest.raises(errors.RateLimitedError, match="for 1 s more"):
        adapter.account()
    clock.t += 1
    adapter.account()


def test_call_when_order_count_429_then_only_new_orders_held_back(adapter, client, clock):
    client.script("futures_create_algo_order", limited(429, -1015, "5"))
    with pytest.raises(errors.RateLimitedError):
        adapter.place_stop("ATOMUSDT", Side.BUY, Decimal("2.638"), SL_ID)
    adapter.positions()  # reads still go out
    before = len(client.named("futures_create_algo_order"))
    with pytest.raises(errors.RateLimitedError, match="order rate limit, 5 s more"):
        adapter.market_order("ATOMUSDT", Side.SELL, Decimal("1"), "qs-cl-ATOM-0123456789-0",
                             reduce_only=True)
    assert len(client.named("futures_create_algo_order")) == before
    clock.t += 5
    adapter.place_stop("ATOMUSDT", Side.BUY, Decimal("2.638"), SL_ID)


def _spend(adapter, client, used: int) -> None:
    client.weight = used - 1  # the fake answers X-MBX-USED-WEIGHT-1M = its call count
    adapter.positions()
    assert adapter.request_budget().used_weight == used


def test_entry_when_used_weight_above_reserve_share_then_refused_but_stop_and_close_sent(
    adapter, client
):
    _spend(adapter, client, 1921)  # 80 % of 2400 is 1920
    with pytest.raises(errors.RateLimitedError, match="kept for protection"):
        adapter.market_order("ATOMUSDT", Side.BUY, Decimal("1"), "qs-en-ATOM-0123456789-0")
    assert client.named("futures_create_order") == []
    adapter.place_stop("ATOMUSDT", Side.SELL, Decimal("2.4"), SL_ID)
    adapter.market_order("ATOMUSDT", Side.SELL, Decimal("1"), "qs-cl-ATOM-0123456789-0",
                         reduce_only=True)
    adapter.cancel_conditional("ATOMUSDT", client_algo_id=SL_ID)
    assert adapter.request_budget().reserve_only


def test_reads_when_above_reserve_then_optional_ones_refused_protection_ones_sent(
    adapter, client
):
    _spend(adapter, client, 1900)
    with adapter.deferrable(), pytest.raises(errors.RateLimitedError, match="openOrders deferred"):
        adapter.open_orders()  # 40 more would pass 1920
    client.weight = 1919
    adapter.open_orders()  # outside deferrable(): the monitor's read still goes out
    adapter.open_orders("ATOMUSDT")
    adapter.open_conditional_orders()
    adapter.positions()
    with adapter.deferrable():
        with pytest.raises(errors.RateLimitedError, match="klines deferred"):
            adapter.klines("ATOMUSDT", "15m", 100)
        adapter.place_stop("ATOMUSDT", Side.SELL, Decimal("2.4"), SL_ID)  # still essential
    adapter.klines("ATOMUSDT", "15m", 100)  # outside the block: essential by default


def test_reserve_when_reading_from_an_earlier_minute_then_not_counted(adapter, client, clock):
    _spend(adapter, client, 2300)
    clock.t += 60  # a new minute: the exchange's counter restarted
    assert adapter.request_budget().used_weight == 0
    adapter.market_order("ATOMUSDT", Side.BUY, Decimal("1"), "qs-en-ATOM-0123456789-0")


def test_entry_when_order_count_above_reserve_share_then_refused(adapter, client):
    def answer(params):
        response = http_response(200, None, 10)
        response.headers["X-MBX-ORDER-COUNT-10S"] = "241"  # 80 % of 300 is 240
        client.response = response
        return {"serverTime": 1}
    client.script("futures_time", answer)
    adapter.resync_time()
    with pytest.raises(errors.RateLimitedError, match="order count"):
        adapter.market_order("ATOMUSDT", Side.BUY, Decimal("1"), "qs-en-ATOM-0123456789-0")
    adapter.place_stop("ATOMUSDT", Side.SELL, Decimal("2.4"), SL_ID)


def test_request_budget_when_read_then_limits_and_counts_for_the_dashboard(adapter, client):
    _spend(adapter, client, 100)
    budget = adapter.request_budget()
    assert (budget.used_weight, budget.weight_limit, budget.order_limit_10s,
            budget.order_limit_1m, budget.reserve_share) == (100, 2400, 300, 1200, 0.8)
    assert budget.banned_until is None and not budget.reserve_only


@pytest.mark.parametrize("share", [0.0, 1.5])
def test_limits_when_reserve_share_outside_0_1_then_refused(share):
    with pytest.raises(ValueError, match="reserve_share"):
        BudgetLimits(reserve_share=share)


def test_adapter_when_built_without_limits_then_no_reserve_but_back_off_kept(client, clock):
    adapter = BinanceAdapter(client, clock=clock)  # type: ignore[arg-type]
    _spend(adapter, client, 2399)
    adapter.market_order("ATOMUSDT", Side.BUY, Decimal("1"), "qs-en-ATOM-0123456789-0")
    assert adapter.request_budget().reserve_share is None
    assert not adapter.request_budget().reserve_only
    client.script("futures_account", limited(429, -1003, "3"))
    with pytest.raises(errors.RateLimitedError):
        adapter.account()
    with pytest.raises(errors.RateLimitedError, match="not sent"):
        adapter.positions()
