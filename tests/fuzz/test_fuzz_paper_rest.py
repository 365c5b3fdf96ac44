"""The paper venue's REST parameters under random input, signed so they reach validation.

Promise checked: every rejected request gets a Binance-style 4xx JSON error
``{code, msg}`` that is not the catch-all -1000, the venue logs no unexpected
exception, and the engine (account, positions, both books, ledger) is exactly as
it was before the rejected request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.paper.server import PaperExchange
from tests.fixtures.fuzz import RecordingHandler, engine_state, quiet_venue, send_signed

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

JUNK = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "NaN", "-NaN", "Infinity", "-inf", "1e9", "1E-9", "0", "-0",
                     "-1", "00", "0x10", "1_000", " 1", "1 ", "９", "1.0.0", "٣", "\x00",
                     "9" * 40, "0." + "0" * 30 + "1", "true", "null", "[]", "%00"]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


def _near(*valid: str) -> st.SearchStrategy[str]:
    """Mostly values Binance accepts for the parameter, sometimes junk: so that deeper
    checks (filters, notional, reduce-only, would-trigger) are reached, not only parsing."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), JUNK)


SYMBOL = _near("BTCUSDT", "ETHUSDT", "XRPUSDT", "btcusdt", "BTCUSD", "NOPEUSDT")
SIDE = _near("BUY", "SELL", "buy", "HOLD")
ORDER_TYPE = _near("MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP",
                   "TAKE_PROFIT", "TRAILING_STOP_MARKET", "LIMIT_MAKER")
QTY = _near("0.001", "0.010", "0.0101", "1000", "1000.001", "121", "0", "-0.010", "5")
PRICE = _near("95000", "95000.1", "95000.15", "90000", "99000", "1", "556.8", "556.7",
              "4529764", "4529765", "0")
BOOL = _near("true", "false", "TRUE", "yes", "1")
CLIENT_ID = _near("qs-abc_1", "x" * 36, "x" * 37, "bad id!", "qs.A:b/c-d_e")

ORDER_FIELDS = {
    "symbol": SYMBOL, "side": SIDE, "type": ORDER_TYPE, "quantity": QTY, "price": PRICE,
    "timeInForce": _near("GTC", "IOC", "FOK", "GTX", "GTD", "DAY"),
    "reduceOnly": BOOL, "newClientOrderId": CLIENT_ID,
    "positionSide": _near("BOTH", "LONG", "SHORT"),
    "newOrderRespType": _near("ACK", "RESULT", "FULL"), "recvWindow": _near("5000", "60001"),
    "closePosition": BOOL, "stopPrice": PRICE,
}
ORDER_TEMPLATES = [
    {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.010"},
    {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.010",
     "reduceOnly": "true"},
    {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.010",
     "price": "94000", "timeInForce": "GTC", "newClientOrderId": "qs-fuzz-1"},
    {"symbol": "ETHUSDT", "side": "SELL", "type": "LIMIT", "quantity": "0.100",
     "price": "3300", "timeInForce": "GTC", "newClientOrderId": "qs-seed-limit"},
]
ALGO_FIELDS = {
    "algoType": _near("CONDITIONAL", "VP", "TWAP"), "symbol": SYMBOL, "side": SIDE,
    "type": ORDER_TYPE, "quantity": QTY, "price": PRICE, "triggerPrice": PRICE,
    "stopPrice": PRICE, "workingType": _near("MARK_PRICE", "CONTRACT_PRICE", "LAST_PRICE"),
    "closePosition": BOOL, "reduceOnly": BOOL, "priceProtect": BOOL,
    "activatePrice": PRICE, "activationPrice": PRICE,
    "callbackRate": _near("0.1", "1", "5", "20", "0.09", "20.1", "10"),
    "clientAlgoId": CLIENT_ID, "timeInForce": _near("GTC", "IOC", "FOK", "GTX"),
    "positionSide": _near("BOTH", "LONG"),
}
_ALGO = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL",
         "workingType": "MARK_PRICE"}
ALGO_TEMPLATES = [
    {**_ALGO, "type": "STOP_MARKET", "triggerPrice": "91000", "closePosition": "true"},
    {**_ALGO, "type": "STOP_MARKET", "triggerPrice": "91000", "quantity": "0.010",
     "reduceOnly": "true", "clientAlgoId": "qs-fuzz-sl"},
    {**_ALGO, "type": "TAKE_PROFIT_MARKET", "triggerPrice": "99000", "closePosition": "true"},
    {**_ALGO, "type": "STOP", "triggerPrice": "91000", "price": "90900", "quantity": "0.010",
     "reduceOnly": "true"},
    {**_ALGO, "type": "TRAILING_STOP_MARKET", "callbackRate": "1", "quantity": "0.010",
     "reduceOnly": "true", "activatePrice": "96000"},
    {**_ALGO, "side": "BUY", "type": "STOP_MARKET", "triggerPrice": "96000",
     "quantity": "0.010"},
]


def mutated(templates: list[dict[str, str]],
            fields: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[dict[str, str]]:
    """A valid request with a few fields dropped and a few replaced: bad in one or two
    places at a time, the way a buggy client is, so every check gets its turn."""
    override = st.one_of(*(st.tuples(st.just(k), v) for k, v in fields.items()))

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, str]:
        params = dict(draw(st.sampled_from(templates)))
        for key in draw(st.sets(st.sampled_from(sorted(params)), max_size=2)):
            del params[key]
        params.update(dict(draw(st.lists(override, max_size=3))))
        return params

    return build()


ORDER_PARAMS = mutated(ORDER_TEMPLATES, ORDER_FIELDS)
ALGO_PARAMS = mutated(ALGO_TEMPLATES, ALGO_FIELDS)

REF_PARAMS = st.fixed_dictionaries({}, optional={
    "symbol": SYMBOL, "orderId": _near("4000000001", "1", "-1", "99999999999999999999"),
    "origClientOrderId": CLIENT_ID, "algoId": _near("1000001", "1", "-5"),
    "clientAlgoId": CLIENT_ID, "limit": _near("1", "500", "1000", "1001", "1500", "1501"),
    "fromId": _near("0", "200000001", "-1", "99999999999999999999"),
    "startTime": _near("0", "1767225600000", "-1", "99999999999999999999"),
    "endTime": _near("0", "1767225600000", "1"), "interval": _near("1m", "1h", "2m", "1M"),
    "leverage": _near("1", "20", "125", "126", "0"), "listenKey": _near("abc", ""),
    "dualSidePosition": BOOL, "multiAssetsMargin": BOOL,
})

READS = ["/fapi/v1/order", "/fapi/v1/algoOrder", "/fapi/v1/openOrders", "/fapi/v1/allOrders",
         "/fapi/v1/openAlgoOrders", "/fapi/v1/allAlgoOrders", "/fapi/v1/premiumIndex",
         "/fapi/v1/klines", "/fapi/v1/ticker/price", "/fapi/v3/positionRisk",
         "/fapi/v2/positionRisk", "/fapi/v2/account", "/fapi/v3/account", "/fapi/v2/balance",
         "/fapi/v1/leverageBracket", "/fapi/v1/exchangeInfo", "/fapi/v1/userTrades",
         "/fapi/v1/positionSide/dual", "/fapi/v1/multiAssetsMargin"]
WRITES = [("DELETE", "/fapi/v1/order"), ("DELETE", "/fapi/v1/algoOrder"),
          ("DELETE", "/fapi/v1/allOpenOrders"), ("DELETE", "/fapi/v1/algoOpenOrders"),
          ("POST", "/fapi/v1/leverage"), ("PUT", "/fapi/v1/listenKey"),
          ("DELETE", "/fapi/v1/listenKey"), ("POST", "/fapi/v1/positionSide/dual"),
          ("POST", "/fapi/v1/multiAssetsMargin")]


class Harness:
    """One venue for the whole module, with a position, a covering stop and a resting
    limit order, so cancels, reduce-only, closePosition and -4130 are all reachable."""

    def __init__(self, venue: PaperExchange) -> None:
        self.venue = venue
        self.http = requests.Session()
        self.log = RecordingHandler()

    def seed(self) -> None:
        self.venue.control.reset()
        for path, params in (
            ("/fapi/v1/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                "quantity": "0.010"}),
            ("/fapi/v1/algoOrder", {"algoType": "CONDITIONAL", "symbol": "BTCUSDT",
                                    "side": "SELL", "type": "STOP_MARKET",
                                    "triggerPrice": "90000", "closePosition": "true",
                                    "workingType": "MARK_PRICE", "clientAlgoId": "qs-seed-sl"}),
            ("/fapi/v1/order", {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT",
                                "quantity": "0.100", "price": "3100", "timeInForce": "GTC",
                                "newClientOrderId": "qs-seed-limit"}),
        ):
            response = send_signed(self.http, self.venue, "POST", path, params)
            assert response.status_code == 200, response.text

    def check(self, method: str, path: str, params: dict[str, str],
              in_body: bool | None = None) -> None:
        before = engine_state(self.venue)
        response = send_signed(self.http, self.venue, method, path, params, in_body=in_body)
        assert response.status_code < 500, (method, path, params, response.text)
        body = response.json()
        unexpected = self.log.errors_from("bot.paper")
        self.log.records.clear()
        assert not unexpected, (method, path, params, unexpected)
        if response.status_code == 200:
            if method != "GET":
                self.seed()  # a random request that succeeded: back to the known state
            else:
                assert engine_state(self.venue) == before, (path, params)
            return
        assert 400 <= response.status_code < 500, (params, response.status_code)
        assert isinstance(body, dict) and set(body) == {"code", "msg"}, body
        assert isinstance(body["code"], int) and body["code"] < 0, body
        assert body["code"] != -1000, (method, path, params, body)  # the catch-all
        assert isinstance(body["msg"], str) and body["msg"].strip(), body
        assert engine_state(self.venue) == before, (method, path, params, body)


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with quiet_venue() as venue:
        h = Harness(venue)
        logging.getLogger("bot.paper").addHandler(h.log)
        try:
            h.seed()
            yield h
        finally:
            logging.getLogger("bot.paper").removeHandler(h.log)
            h.http.close()


def test_seeded_state_when_built_then_has_position_stop_and_limit(harness: Harness):
    state = engine_state(harness.venue)
    assert set(state["positions"]) == {"BTCUSDT"}
    assert state["armed"]["BTCUSDT"] and state["resting"]["ETHUSDT"]


def test_rejected_stop_when_it_would_trigger_then_state_unchanged(harness: Harness):
    """A known rejection through the same check: proves the harness can see a rejection."""
    before = engine_state(harness.venue)
    response = send_signed(harness.http, harness.venue, "POST", "/fapi/v1/algoOrder",
                           {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL",
                            "type": "STOP_MARKET", "triggerPrice": "99000",
                            "quantity": "0.010", "reduceOnly": "true"})
    assert response.status_code == 400 and response.json()["code"] == -2021
    assert engine_state(harness.venue) == before


@FUZZ
@given(params=ORDER_PARAMS, in_body=st.booleans())
def test_random_new_order_params_when_posted_then_clear_4xx_and_nothing_changed(
        harness: Harness, params: dict[str, str], in_body: bool):
    harness.check("POST", "/fapi/v1/order", params, in_body=in_body)


@FUZZ
@given(params=ALGO_PARAMS)
def test_random_algo_order_params_when_posted_then_clear_4xx_and_nothing_changed(
        harness: Harness, params: dict[str, str]):
    harness.check("POST", "/fapi/v1/algoOrder", params)


@FUZZ
@given(path=st.sampled_from(READS), params=REF_PARAMS)
def test_random_query_params_when_reading_then_clear_4xx_and_nothing_changed(
        harness: Harness, path: str, params: dict[str, str]):
    harness.check("GET", path, params)


@settings(FUZZ, max_examples=80)
@given(call=st.sampled_from(WRITES), params=REF_PARAMS)
def test_random_cancel_and_leverage_params_when_sent_then_clear_4xx_and_nothing_changed(
        harness: Harness, call: tuple[str, str], params: dict[str, str]):
    harness.check(call[0], call[1], params)


@settings(FUZZ, max_examples=60)
@given(names=st.dictionaries(st.text(min_size=1, max_size=8), JUNK, max_size=5),
       path=st.sampled_from(["/fapi/v1/order", "/fapi/v1/algoOrder"]))
def test_random_parameter_names_when_posted_then_clear_4xx_and_nothing_changed(
        harness: Harness, names: dict[str, str], path: str):
    harness.check("POST", path, {k: v for k, v in names.items()
                                 if k not in ("timestamp", "signature")})


@settings(FUZZ, max_examples=60)
@given(params=REF_PARAMS)
def test_random_user_trades_params_when_reading_then_clear_4xx_and_nothing_changed(
        harness: Harness, params: dict[str, str]):
    harness.check("GET", "/fapi/v1/userTrades", params)
