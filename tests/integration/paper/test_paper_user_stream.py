"""The user-data stream end to end: a started venue, python-binance on REST, a real WS client."""

from __future__ import annotations

import asyncio
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.paper.__main__ import parse_args
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from tests.fixtures.paper import API_KEY, API_SECRET, StaticMarket, eventually, make_client
from tests.integration.paper.stream_client import StreamReader, new_listen_key, open_stream

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from binance.async_client import AsyncClient
    from binance.ws.streams import BinanceSocketManager

MINUTE = 60_000


@pytest.fixture
def venue(static_paper_exchange):
    static_paper_exchange.control.set_price("ETHUSDT", "3000")
    return static_paper_exchange


@pytest.fixture
def client(venue):
    return make_client(venue, timeout=5.0)


@pytest.fixture
def stream(venue):
    reader = open_stream(venue)
    yield reader
    reader.close()


def _place_stop(client, trigger="2900", client_id="sl-1"):
    return client.futures_create_order(symbol="ETHUSDT", side="SELL", type="STOP_MARKET",
                                       stopPrice=trigger, closePosition="true",
                                       clientAlgoId=client_id)


def _algo_statuses(reader: StreamReader, caid: str) -> list[str]:
    return [e["o"]["X"] for e in reader.of("ALGO_UPDATE") if e["o"]["caid"] == caid]


def _listen_key_call(venue, method: str, key: str) -> requests.Response:
    return requests.request(method, venue.futures_url + "/v1/listenKey",
                            data={"listenKey": key}, headers={"X-MBX-APIKEY": API_KEY},
                            timeout=5)


# ---------------------------------------------------------------------- events
def test_stop_when_placed_then_cancelled_then_algo_update_new_then_canceled(venue, client,
                                                                          stream):
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    placed = _place_stop(client, client_id="sl-cancel-me")
    client.futures_cancel_algo_order(algoId=placed["algoId"])
    eventually(lambda: _algo_statuses(stream, "sl-cancel-me") == ["NEW", "CANCELED"])
    new, canceled = (e for e in stream.of("ALGO_UPDATE") if e["o"]["caid"] == "sl-cancel-me")
    assert new["o"]["aid"] == canceled["o"]["aid"] == placed["algoId"]
    assert (new["o"]["o"], new["o"]["tp"], new["o"]["cp"]) == ("STOP_MARKET", "2900", True)


def test_market_entry_when_filled_then_order_trade_update_and_account_update(venue, client,
                                                                            stream):
    answer = client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                         quantity="2", newClientOrderId="entry-9")
    eventually(lambda: len(stream.of("ACCOUNT_UPDATE")) == 1)
    orders = stream.of("ORDER_TRADE_UPDATE")
    assert [(e["o"]["x"], e["o"]["X"]) for e in orders] == [("NEW", "NEW"), ("TRADE", "FILLED")]
    fill = orders[1]["o"]
    assert (fill["i"], fill["c"], fill["l"], fill["z"], fill["L"], fill["ap"]) == (
        answer["orderId"], "entry-9", "2", "2", "3000", "3000")
    trade = client.futures_account_trades(symbol="ETHUSDT")[-1]
    assert (fill["t"], fill["n"], fill["rp"]) == (trade["id"], trade["commission"],
                                                  trade["realizedPnl"])
    account = stream.of("ACCOUNT_UPDATE")[0]["a"]
    assert account["m"] == "ORDER"
    assert account["P"] == [{"s": "ETHUSDT", "pa": "2", "ep": "3000", "bep": "3001.2",
                             "cr": "0", "up": "0", "mt": "cross", "iw": "0", "ps": "BOTH",
                             "ma": "USDT"}]
    wallet = client.futures_account()["totalWalletBalance"]
    assert float(account["B"][0]["wb"]) == pytest.approx(float(wallet))
    times = [(e["E"], e["T"]) for e in stream.events]
    assert all(t <= e for e, t in times) and [e for e, _ in times] == sorted(e for e, _ in times)
    assert times[0][0] == venue.clock.now_ms()  # venue time, not wall time


def test_stop_when_triggered_then_algo_lifecycle_and_child_fill(venue, client, stream):
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    placed = _place_stop(client, client_id="sl-fire")
    venue.control.set_price("ETHUSDT", "2890")
    eventually(lambda: "FINISHED" in _algo_statuses(stream, "sl-fire"))
    assert _algo_statuses(stream, "sl-fire") == ["NEW", "TRIGGERED", "FINISHED"]
    child_id = client.futures_get_algo_order(algoId=placed["algoId"])["actualOrderId"]
    child = [e["o"] for e in stream.of("ORDER_TRADE_UPDATE") if str(e["o"]["i"]) == child_id]
    assert [(o["x"], o["X"]) for o in child] == [("NEW", "NEW"), ("TRADE", "FILLED")]
    assert (child[1]["ot"], child[1]["sp"], child[1]["L"], child[1]["rp"]) == (
        "STOP_MARKET", "2900", "2890", "-110.00000000")
    order = [e["e"] for e in stream.events][-5:]
    assert order == ["ALGO_UPDATE", "ORDER_TRADE_UPDATE", "ORDER_TRADE_UPDATE",
                     "ACCOUNT_UPDATE", "ALGO_UPDATE"]  # TRIGGERED, child NEW, fill, FINISHED


def test_stop_when_trigger_takes_time_then_triggering_comes_first(venue, client, stream):
    venue.control.set_trigger_delay(200)
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    _place_stop(client, client_id="sl-slow")
    venue.control.set_price("ETHUSDT", "2890")
    eventually(lambda: _algo_statuses(stream, "sl-slow") == ["NEW", "TRIGGERING"])
    venue.control.advance(200)
    assert eventually(lambda: _algo_statuses(stream, "sl-slow") == [
        "NEW", "TRIGGERING", "TRIGGERED", "FINISHED"])


def test_liquidation_when_margin_runs_out_then_autoclose_order_updates(venue, client, stream):
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="60")
    venue.control.set_price("ETHUSDT", "2830")
    eventually(lambda: any(e["o"]["x"] == "CALCULATED" for e in stream.of("ORDER_TRADE_UPDATE")))
    liquidation = [e["o"] for e in stream.of("ORDER_TRADE_UPDATE")
                   if e["o"]["c"].startswith("autoclose-")]
    assert [(o["o"], o["x"], o["X"]) for o in liquidation] == [
        ("LIQUIDATION", "NEW", "NEW"), ("LIQUIDATION", "CALCULATED", "FILLED")]
    eventually(lambda: stream.of("ACCOUNT_UPDATE")[-1]["a"]["P"][0]["pa"] == "0")


def test_path_route_when_key_in_path_then_events_arrive(venue, client):
    reader = open_stream(venue, path="/private/ws/{key}")
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    assert eventually(lambda: len(reader.of("ACCOUNT_UPDATE")) == 1)
    reader.close()


def test_venue_when_reset_then_stream_follows_the_new_ledger(venue, client, stream):
    venue.control.reset()
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    assert eventually(lambda: len(stream.of("ACCOUNT_UPDATE")) == 1)


# ---------------------------------------------------------------------- listenKeys
def test_listen_key_when_posted_twice_then_same_key(venue):
    assert new_listen_key(venue) == new_listen_key(venue)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_listen_key_when_unknown_then_1125(venue, method):
    new_listen_key(venue)
    response = _listen_key_call(venue, method, "no-such-key")
    assert response.status_code == 400
    assert response.json() == {"code": -1125, "msg": "This listenKey does not exist."}


def test_listen_key_when_expired_by_control_then_listen_key_expired_and_closed(venue, stream):
    key = new_listen_key(venue)
    assert venue.control.expire_listen_key() == [key]
    assert stream.ended.wait(5)
    assert stream.events == [{"e": "listenKeyExpired", "E": str(venue.clock.now_ms()),
                              "listenKey": key}]
    assert (stream.close_code, stream.close_reason) == (1000, "listenKey expired")
    assert _listen_key_call(venue, "PUT", key).json()["code"] == -1125
    assert new_listen_key(venue) != key


def test_listen_key_when_60_venue_minutes_pass_without_keepalive_then_expired(venue, stream):
    key = new_listen_key(venue)
    venue.control.advance(59 * MINUTE)
    assert _listen_key_call(venue, "PUT", key).status_code == 200  # extended to 59 + 60
    venue.control.advance(60 * MINUTE - 1)
    time.sleep(0.2)  # the expiry timer runs every 50 ms: give it rounds to (wrongly) fire
    assert not stream.ended.is_set()
    venue.control.advance(1)
    assert stream.ended.wait(5) and stream.of("listenKeyExpired")


def test_listen_key_when_deleted_then_connections_close_without_event(venue, stream):
    key = new_listen_key(venue)
    assert _listen_key_call(venue, "DELETE", key).json() == {}
    assert stream.ended.wait(5)
    assert stream.events == [] and stream.close_code == 1000


def test_connection_when_24_venue_hours_old_then_closed(venue, stream):
    key = new_listen_key(venue)
    for step in [50] * 28 + [39]:  # 23 h 59 min, the key kept alive all along
        venue.control.advance(step * MINUTE)
        assert _listen_key_call(venue, "PUT", key).status_code == 200
    assert not stream.ended.wait(0.2)
    venue.control.advance(MINUTE)
    assert stream.ended.wait(5)
    assert (stream.close_code, stream.close_reason) == (1000, "connection reached 24 hours")


def test_connect_when_key_unknown_then_closed_1008(venue):
    reader = StreamReader(venue.ws_url + "/private/ws?listenKey=not-a-key")
    assert reader.ended.wait(5)
    assert (reader.close_code, reader.close_reason) == (1008, "This listenKey does not exist.")


def test_connect_when_old_route_then_open_but_silent(venue, client):
    key = new_listen_key(venue)
    with connect(f"{venue.ws_url}/ws/{key}", open_timeout=5) as ws:
        client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)


def test_connect_when_path_unknown_then_handshake_refused(venue):
    with pytest.raises(InvalidStatus) as caught:
        connect(f"{venue.ws_url}/market/ws/ethusdt@aggTrade", open_timeout=5)
    assert caught.value.response.status_code == 404


# ---------------------------------------------------------------------- faults
def test_drop_fault_when_armed_then_every_connection_cut(venue):
    first, second = open_stream(venue), open_stream(venue)
    venue.control.stream_fault("drop")
    assert first.ended.wait(5) and second.ended.wait(5)
    assert first.close_code == second.close_code == 1006  # no close frame: a network drop


def test_stall_fault_when_armed_then_silent_but_open_until_cleared(venue, client, stream):
    venue.control.stream_fault("stall")
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    time.sleep(0.3)
    assert stream.events == [] and not stream.ended.is_set()
    venue.control.stream_fault("clear")
    client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="1")
    eventually(lambda: len(stream.of("ACCOUNT_UPDATE")) == 1)
    assert stream.of("ACCOUNT_UPDATE")[0]["a"]["P"][0]["pa"] == "0"  # the stalled ones: gone


def test_lose_fault_when_armed_then_next_events_missing(venue, client, stream):
    venue.control.stream_fault("lose", count=2)
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    eventually(lambda: len(stream.events) == 1)
    time.sleep(0.2)
    assert [e["e"] for e in stream.events] == ["ACCOUNT_UPDATE"]  # NEW and TRADE lost


def test_delay_fault_when_armed_then_events_late_and_in_order(venue, client, stream):
    venue.control.stream_fault("delay", count=1, delay_ms=400)
    started = time.monotonic()
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    time.sleep(0.2)
    assert stream.events == []  # the first is held, and holds back the rest
    eventually(lambda: len(stream.events) == 3)
    assert time.monotonic() - started >= 0.4
    assert [e["e"] for e in stream.events] == ["ORDER_TRADE_UPDATE", "ORDER_TRADE_UPDATE",
                                               "ACCOUNT_UPDATE"]


def test_stream_fault_when_posted_over_http_then_armed_and_bad_kind_refused(venue):
    url = venue.url + "/paper/v1/stream_fault"
    armed = requests.post(url, json={"kind": "lose", "count": 3}, timeout=5)
    assert armed.status_code == 200 and armed.json()["faults"]["lose"] == 3
    assert requests.post(url, json={"kind": "melt"}, timeout=5).status_code == 400
    assert requests.post(url, json={"kind": "clear"}, timeout=5).json()["faults"]["lose"] == 0
    state = requests.get(venue.url + "/paper/v1/state", timeout=5).json()
    assert state["wsUrl"] == venue.ws_url and venue.ws_url.startswith("ws://127.0.0.1:")
    key = new_listen_key(venue)
    expired = requests.post(venue.url + "/paper/v1/expire_listen_key", json={}, timeout=5)
    assert expired.json() == {"expired": [key]}


# ---------------------------------------------------------------------- python-binance
def test_python_binance_socket_when_pointed_at_venue_then_receives_events(venue, client):
    async def first_account_update() -> dict:
        async_client = AsyncClient(API_KEY, API_SECRET)  # no ping: no network
        async_client.FUTURES_URL = venue.futures_url
        try:
            manager = BinanceSocketManager(async_client)
            manager.FSTREAM_URL = venue.ws_url + "/"
            socket = manager.futures_user_socket()
            socket.TIMEOUT = 0.2  # its read loop polls this often: leaving takes 0.2 s, not 10
            async with socket:
                await asyncio.to_thread(
                    eventually, lambda: venue.stream.server.connection_count() == 1)
                await asyncio.to_thread(client.futures_create_order, symbol="ETHUSDT",
                                        side="BUY", type="MARKET", quantity="1")
                while True:
                    message = await asyncio.wait_for(socket.recv(), timeout=10)
                    if message.get("e") == "ACCOUNT_UPDATE":
                        return message
        finally:
            await async_client.close_connection()

    # its own thread: asyncio.run would unset the main thread's loop, which the sync client made
    with ThreadPoolExecutor(1) as pool:
        message = pool.submit(asyncio.run, first_account_update()).result(timeout=60)
    assert message["a"]["P"][0]["s"] == "ETHUSDT" and message["a"]["P"][0]["pa"] == "1"


# ---------------------------------------------------------------------- configuration
def test_ws_port_when_none_then_no_stream_server_and_listen_keys_still_answer():
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket(), ws_port=None)
    exchange.start()
    try:
        assert exchange.ws_url == "" and new_listen_key(exchange)
        assert exchange.control.state()["stream"]["wsUrl"] == ""
    finally:
        exchange.stop()


def test_cli_ws_port_when_env_or_flag_then_flag_wins(monkeypatch):
    monkeypatch.delenv("QT_PAPER_WS_PORT", raising=False)
    assert parse_args([]).ws_port == 8766
    monkeypatch.setenv("QT_PAPER_WS_PORT", "9100")
    assert parse_args([]).ws_port == 9100
    assert parse_args(["--ws-port", "0"]).ws_port == 0
