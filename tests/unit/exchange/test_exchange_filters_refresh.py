"""exchangeInfo filters: refreshed hourly and on a rounding rejection (then one retry), and a
symbol that leaves TRADING stays known so its positions can be protected and closed."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from bot.domain import Side, errors
from bot.exchange.binance_adapter import BinanceAdapter
from tests.unit.exchange import samples
from tests.unit.exchange.fakes import FakeClient, api_error

SL_ID = "qs-sl-ATOM-0123456789-0"
T0 = 1_767_225_600.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


def info_with(symbol: str, **changes) -> dict:
    """EXCHANGE_INFO with ``symbol``'s status or PRICE_FILTER tickSize changed."""
    info = copy.deepcopy(samples.EXCHANGE_INFO)
    for row in info["symbols"]:
        if row["symbol"] != symbol:
            continue
        if "status" in changes:
            row["status"] = changes["status"]
        for f in row["filters"]:
            if f["filterType"] == "PRICE_FILTER" and "tick" in changes:
                f["tickSize"] = changes["tick"]
    return info


def info_without(symbol: str) -> dict:
    info = copy.deepcopy(samples.EXCHANGE_INFO)
    info["symbols"] = [r for r in info["symbols"] if r["symbol"] != symbol]
    return info


@pytest.fixture()
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def adapter(client, clock) -> BinanceAdapter:
    return BinanceAdapter(client, clock=clock, filters_max_age_s=3600)  # type: ignore[arg-type]


def fetches(client: FakeClient) -> int:
    return len(client.named("futures_exchange_info"))


def test_filters_when_older_than_max_age_then_refetched_once(adapter, client, clock):
    adapter.filters("ATOMUSDT")
    clock.t += 3600
    adapter.filters("ATOMUSDT")
    assert fetches(client) == 1
    clock.t += 1
    client.script("futures_exchange_info", info_with("ATOMUSDT", tick="0.01"))
    assert adapter.filters("ATOMUSDT").tick_size == Decimal("0.01")
    adapter.filters("BTCUSDT")
    assert fetches(client) == 2 and adapter.filters_fetched_at == T0 + 3601


def test_filters_when_hourly_refresh_fails_then_cached_table_kept(adapter, client, clock):
    tick = adapter.filters("ATOMUSDT").tick_size
    clock.t += 4000
    client.script("futures_exchange_info", api_error(-1001, "Internal error", 503))
    assert adapter.filters("ATOMUSDT").tick_size == tick
    assert fetches(client) == 2


@pytest.mark.parametrize(("code", "msg"), [
    (-1111, "Precision is over the maximum defined for this asset."),
    (-4014, "Price not increased by tick size."),
    (-4023, "Quantity not increased by step size."),
])
def test_place_stop_when_rounding_rejected_then_refreshed_rerounded_and_retried_once(
    adapter, client, code, msg
):
    adapter.filters("ATOMUSDT")  # cached with tick 0.001
    client.script("futures_create_algo_order", api_error(code, msg))
    client.script("futures_exchange_info", info_with("ATOMUSDT", tick="0.01"))
    stop = adapter.place_stop("ATOMUSDT", Side.BUY, Decimal("2.6384"), SL_ID)
    sent = client.named("futures_create_algo_order")
    assert [c.params["triggerPrice"] for c in sent] == ["2.638", "2.64"]
    assert [c.params["clientAlgoId"] for c in sent] == [SL_ID, SL_ID]
    assert stop.trigger_price == Decimal("2.64") and fetches(client) == 2


def test_place_stop_when_rejected_again_after_refresh_then_raised_after_one_retry(
    adapter, client
):
    rejection = api_error(-4014, "Price not increased by tick size.")
    client.script("futures_create_algo_order", rejection, rejection, rejection)
    with pytest.raises(errors.FilterError):
        adapter.place_stop("ATOMUSDT", Side.BUY, Decimal("2.638"), SL_ID)
    assert len(client.named("futures_create_algo_order")) == 2


def test_market_order_when_step_rejected_and_refresh_fails_then_original_error(adapter, client):
    adapter.filters("ATOMUSDT")
    client.script("futures_create_order", api_error(-4023, "Quantity not increased by step."))
    client.script("futures_exchange_info", api_error(-1001, "Internal error", 503))
    with pytest.raises(errors.FilterError):
        adapter.market_order("ATOMUSDT", Side.SELL, Decimal("1"), "qs-cl-ATOM-0123456789-0",
                             reduce_only=True)
    assert len(client.named("futures_create_order")) == 1


def test_market_order_above_market_max_qty_then_refused_before_sending(adapter, client):
    with pytest.raises(errors.QuantityAboveMaxError) as refused:
        adapter.market_order("ATOMUSDT", Side.SELL, Decimal("50000.1"), "qs-cl-ATOM-0123456789-0",
                             reduce_only=True)
    assert refused.value.code == -4005 and "50000.1 > 50000" in refused.value.message
    assert client.named("futures_create_order") == []


def test_market_order_when_venue_lowered_max_qty_then_refreshed_and_refused_without_resend(
    adapter, client
):
    adapter.filters("ATOMUSDT")
    lowered = copy.deepcopy(samples.EXCHANGE_INFO)
    for row in lowered["symbols"]:
        for f in row["filters"]:
            if row["symbol"] == "ATOMUSDT" and f["filterType"] == "MARKET_LOT_SIZE":
                f["maxQty"] = "100"
    client.script("futures_create_order", api_error(-4005, "Quantity greater than max quantity."))
    client.script("futures_exchange_info", lowered)
    with pytest.raises(errors.QuantityAboveMaxError):
        adapter.market_order("ATOMUSDT", Side.SELL, Decimal("150"), "qs-cl-ATOM-0123456789-0",
                             reduce_only=True)
    assert len(client.named("futures_create_order")) == 1  # the second try stopped at home
    assert adapter.filters("ATOMUSDT").max_market_qty == Decimal("100")


@pytest.mark.parametrize("later", [info_with("ATOMUSDT", status="SETTLING"),
                                   info_without("ATOMUSDT")], ids=["settling", "gone"])
def test_symbol_when_it_leaves_trading_then_filters_kept_and_not_tradable(
    adapter, client, later
):
    before = adapter.filters("ATOMUSDT")
    assert "ATOMUSDT" in adapter.symbols()
    client.script("futures_exchange_info", later)
    assert "ATOMUSDT" not in adapter.refresh_filters()
    assert adapter.filters("ATOMUSDT") == before
    assert "ATOMUSDT" not in adapter.symbols() and "BTCUSDT" in adapter.symbols()
    adapter.place_stop("ATOMUSDT", Side.BUY, Decimal("2.7"), SL_ID)  # still protected
    adapter.market_order("ATOMUSDT", Side.BUY, Decimal("1"), "qs-cl-ATOM-0123456789-0",
                         reduce_only=True)  # and closable


def test_filters_when_symbol_unknown_then_refetched_at_most_once_a_minute(adapter, client, clock):
    adapter.filters("ATOMUSDT")
    for _ in range(3):
        with pytest.raises(errors.InvalidOrderError):
            adapter.filters("NEWUSDT")
    assert fetches(client) == 1
    clock.t += 61
    with pytest.raises(errors.InvalidOrderError):
        adapter.filters("NEWUSDT")
    assert fetches(client) == 2
