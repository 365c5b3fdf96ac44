"""``POST /api/signals`` under random and hostile bodies, headers and content types.

The webhook lives on the dashboard's Flask server, so it is mounted here exactly as
app.py mounts it: on ``create_app(...).server``, behind the dashboard's own hooks.
Promise checked: a bad request gets 401/405/409/413/415/422 with the problems listed,
never a 500, and the signal queue is unchanged. The module's hook remembers no bodies
(``dedupe_s=0``) so a generated body may repeat; the duplicate window has its own tests.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.decisions import SignalQueue
from bot.domain import Event, EventKind, KillState, entry_denial
from bot.paper.http_server import stop_waitress
from bot.web.webhook import MAX_BODY_BYTES, PATH, TOKEN_HEADER, register_webhook
from dashboard.app import create_app
from tests.fixtures.dashboard import FakeControl

TOKEN = "wh-fuzz-token-7f3a"
SYMBOLS = ("BTCUSDT", "ETHUSDT", "ATOMUSDT")
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


class Events:
    def __init__(self) -> None:
        self.items: list[Event] = []

    def append(self, event: Event) -> None:
        self.items.append(event)


class Hook:
    """A dashboard app with the webhook mounted, its queue and its event sink."""

    def __init__(self, maxsize: int = 1000, dedupe_s: float = 0,
                 state: KillState = KillState.RUNNING) -> None:
        self.queue = SignalQueue(maxsize=maxsize, id_prefix="fz")
        self.events = Events()
        self.state = state
        self.app = create_app(FakeControl(), mode_label="paper")
        register_webhook(self.app.server, self.queue.submit, TOKEN, SYMBOLS,
                         events=self.events, clock=lambda: NOW, dedupe_s=dedupe_s,
                         entry_gate=lambda: entry_denial(self.state),
                         kill_state=lambda: self.state)
        self.client = self.app.server.test_client()

    def post(self, data: bytes | str | None, content_type: str | None = "application/json",
             token: str | None = TOKEN, headers: dict[str, str] | None = None):
        sent = dict(headers or {})
        if token is not None:
            sent[TOKEN_HEADER] = token
        return self.client.post(PATH, data=data, content_type=content_type, headers=sent)


@pytest.fixture(scope="module")
def hook() -> Hook:
    return Hook()


def assert_rejected(hook: Hook, response, statuses: set[int]) -> None:
    assert response.status_code in statuses, (response.status_code, response.get_data()[:300])
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str), body
    if response.status_code in (413, 415, 422):
        assert body["problems"] and all(isinstance(p, str) and p.strip()
                                        for p in body["problems"]), body


def _finite(value: object) -> bool:
    return not (isinstance(value, float) and not math.isfinite(value))


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)
NUMBERISH = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**40), 10**40),
    st.sampled_from(["0.5", "NaN", "Infinity", "-1", "1e999", "", " ", "0x1", "½", "１"]),
    st.booleans(), st.none(), st.lists(st.integers(), max_size=2), st.just({}),
)
SIGNALISH = st.fixed_dictionaries({}, optional={
    "symbol": st.one_of(st.sampled_from([*SYMBOLS, "atomusdt", " BTCUSDT ", "DOGEUSDT",
                                         "BTC USDT", "ＢＴＣＵＳＤＴ", "x" * 21, ""]),
                        st.text(max_size=25), NUMBERISH),
    "side": st.one_of(st.sampled_from(["BUY", "SELL", "long", "Short", "HOLD", "", "ＢＵＹ"]),
                      st.text(max_size=12), NUMBERISH),
    "confidence": st.one_of(st.floats(min_value=0, max_value=1), NUMBERISH),
    "stop": NUMBERISH, "target": NUMBERISH, "price": NUMBERISH,
    "source": st.one_of(st.text(max_size=45), NUMBERISH),
    "extra": JSON_VALUES, "qty": NUMBERISH,
})


@FUZZ
@given(payload=JSON_VALUES)
def test_arbitrary_json_value_when_posted_then_422_or_queued_never_500(hook: Hook, payload):
    before = len(hook.queue)
    response = hook.post(json.dumps(payload))
    if response.status_code == 202:
        assert len(hook.queue) == before + 1
        hook.queue.drain()
        return
    assert_rejected(hook, response, {422})
    assert len(hook.queue) == before


@FUZZ
@given(payload=SIGNALISH)
def test_signal_shaped_body_with_wrong_types_when_posted_then_422_or_a_valid_signal(
        hook: Hook, payload: dict):
    before = len(hook.queue)
    response = hook.post(json.dumps(payload, allow_nan=True))
    if response.status_code != 202:
        assert_rejected(hook, response, {422})
        assert len(hook.queue) == before
        return
    [signal] = hook.queue.drain()
    assert signal.symbol in SYMBOLS
    assert isinstance(signal.confidence, float) and 0 <= signal.confidence <= 1
    for price in (signal.stop_price, signal.target_price):
        assert price is None or (isinstance(price, Decimal) and price.is_finite() and price > 0)
    assert set(payload) <= {"symbol", "side", "confidence", "stop", "target", "price",
                            "source"}
    assert all(_finite(v) for v in payload.values())


@pytest.mark.parametrize("text", [
    '{"symbol":"BTCUSDT","side":"BUY","confidence":NaN}',
    '{"symbol":"BTCUSDT","side":"BUY","confidence":Infinity}',
    '{"symbol":"BTCUSDT","side":"BUY","confidence":-Infinity}',
    '{"symbol":"BTCUSDT","side":"BUY","confidence":0.5,"stop":NaN}',
    '{"symbol":"BTCUSDT","side":"BUY","confidence":0.5,"stop":1e999}',
    '{"symbol":"BTCUSDT","side":"BUY","confidence":1e999}',
    '{"symbol":"BTCUSDT","side":"BUY","confidence":' + "9" * 5000 + "}",
    '{"symbol":"BTCUSDT","side":"BUY"}',
    '{"symbol":"BTCUSDT","side":"BUY","confidence":0.5,"qty":1}',
    '{"symbol":"BTCUSDT","side":"BUY","confidence":true}',
    '{"symbol":"BTCUSDT","side":"BUY","confidence":"0.5","price":"abc"}',
    '{"symbol":"BTCUSDT","side":"BUY","confidence":0.5,"price":100,"stop":200}',
    '{"symbol":"\\ud800","side":"BUY","confidence":0.5}',
    '{"symbol":"BTCUSDT","symbol":"NOPEUSDT","side":"BUY","confidence":0.5}',
    "[]", "null", "0", '"BTCUSDT BUY"', "", "{", "{'symbol': 'BTCUSDT'}", "NaN",
    "\ufeff{}", "symbol=BTCUSDT&side=BUY&confidence=0.5",
])
def test_malformed_json_text_when_posted_then_422_and_queue_unchanged(hook: Hook, text: str):
    before = len(hook.queue)
    response = hook.post(text.encode("utf-8", "surrogatepass"))
    assert_rejected(hook, response, {422})
    assert len(hook.queue) == before


@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes_when_posted_as_json_then_422_never_500(hook: Hook, data: bytes):
    before = len(hook.queue)
    response = hook.post(data)
    if response.status_code == 202:  # the bytes happened to be a valid signal
        hook.queue.drain()
        return
    assert_rejected(hook, response, {422})
    assert len(hook.queue) == before


@pytest.mark.parametrize("content_type", [
    None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
    "application/xml", "json", "application/javascript", "text/json",
])
def test_wrong_content_type_when_posted_then_415_and_queue_unchanged(hook: Hook,
                                                                      content_type):
    before = len(hook.queue)
    body = json.dumps({"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.5})
    response = hook.post(body, content_type=content_type)
    assert_rejected(hook, response, {415})
    assert len(hook.queue) == before


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 64 * 1024, 2 * 1024 * 1024])
def test_large_body_when_posted_then_413_and_queue_unchanged(hook: Hook, size: int):
    before = len(hook.queue)
    valid = json.dumps({"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.5})
    response = hook.post(valid + " " * (size - len(valid)))
    assert_rejected(hook, response, {413})
    assert len(hook.queue) == before


@FUZZ
@given(token=st.one_of(st.text(max_size=40).filter(lambda t: t != TOKEN),
                       st.sampled_from(["", TOKEN[:-1], TOKEN + " ", TOKEN.upper(),
                                        " " + TOKEN, TOKEN + "\x00"])))
def test_wrong_token_when_valid_body_posted_then_401_and_queue_unchanged(hook: Hook,
                                                                         token: str):
    token = token.encode("latin-1", "replace").decode("latin-1")  # what HTTP headers carry
    if token.strip() == TOKEN or any(c in token for c in "\r\n"):
        return  # HTTP trims header whitespace; newlines cannot be sent at all
    before = len(hook.queue)
    body = json.dumps({"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.5})
    response = hook.post(body, token=token)
    assert_rejected(hook, response, {401})
    assert len(hook.queue) == before


def test_missing_token_when_garbage_or_huge_body_then_401_before_any_parsing(hook: Hook):
    before_events = len(hook.events.items)
    for data in (b"{", b"x" * (MAX_BODY_BYTES * 4), b"[" * 3000):
        response = hook.post(data, token=None)
        assert_rejected(hook, response, {401})
    assert len(hook.queue) == 0
    assert len(hook.events.items) == before_events  # unauthenticated junk leaves no trace


def test_rejection_when_authenticated_then_recorded_as_signal_rejected_event(hook: Hook):
    before = len(hook.events.items)
    response = hook.post(json.dumps({"symbol": "DOGEUSDT", "side": "BUY", "confidence": 2}))
    assert response.status_code == 422
    [event] = hook.events.items[before:]
    assert event.kind is EventKind.SIGNAL_REJECTED and "confidence" in event.message


def test_valid_signal_when_posted_then_202_and_queued_once(hook: Hook):
    """The positive control: the same harness accepts a good body."""
    response = hook.post(json.dumps({"symbol": "atomusdt", "side": "sell", "confidence": 0.9,
                                     "stop": 11, "target": 9, "price": 10}))
    assert response.status_code == 202, response.get_json()
    [signal] = hook.queue.drain()
    assert (signal.symbol, signal.stop_price) == ("ATOMUSDT", Decimal("11"))


def test_full_queue_when_posted_then_429_and_nothing_lost():
    small = Hook(maxsize=1)
    body = json.dumps({"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.5})
    assert small.post(body).status_code == 202
    assert small.post(body).status_code == 429
    assert len(small.queue) == 1


@pytest.mark.parametrize("body", [b"[" * 3000, b'{"a":' * 1200 + b"1" + b"}" * 1200])
def test_deeply_nested_json_when_posted_then_422_not_500(body: bytes):
    hook = Hook()
    assert len(body) <= MAX_BODY_BYTES
    hook.app.server.config["PROPAGATE_EXCEPTIONS"] = False
    response = hook.post(body)
    assert response.status_code == 422
    assert len(hook.queue) == 0


@pytest.fixture
def waitress_hook() -> Iterator[tuple[Hook, str]]:
    from waitress.server import create_server

    hook = Hook()
    server = create_server(hook.app.server, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield hook, f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop_waitress(server)
        thread.join(timeout=5)


def test_chunked_large_body_when_served_by_waitress_then_413(waitress_hook):
    """app.py serves with waitress: a body without Content-Length must not slip past the
    size limit."""
    hook, url = waitress_hook
    valid = json.dumps({"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.5}).encode()
    padded = valid + b" " * (MAX_BODY_BYTES * 3)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(padded), 1024):
            yield padded[i:i + 1024]

    response = requests.post(url + PATH, data=chunks(), timeout=10,
                             headers={TOKEN_HEADER: TOKEN, "Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert len(hook.queue) == 0
    ok = requests.post(url + PATH, data=valid, timeout=10,
                       headers={TOKEN_HEADER: TOKEN, "Content-Type": "application/json"})
    assert ok.status_code == 202 and len(hook.queue) == 1


@pytest.mark.parametrize("token", [None, "", "anything", "None"])
def test_webhook_without_configured_token_when_posted_then_refused_and_nothing_queued(token):
    """No QT_WEBHOOK_TOKEN: the webhook is off; no header value (not even empty) opens it."""
    queue = SignalQueue(id_prefix="off")
    app = create_app(FakeControl(), mode_label="paper")
    register_webhook(app.server, queue.submit, None, SYMBOLS)
    headers = {} if token is None else {TOKEN_HEADER: token}
    response = app.server.test_client().post(
        PATH, json={"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.5}, headers=headers)
    assert response.status_code in (401, 403, 404, 503), response.status_code
    assert "disabled" in response.get_json()["error"]
    assert len(queue) == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_method_when_sent_to_the_dash_app_then_405_json_with_allow_post(hook: Hook,
                                                                               method: str):
    before = len(hook.queue)
    response = hook.client.open(PATH, method=method, headers={TOKEN_HEADER: TOKEN})
    assert response.status_code == 405, (method, response.get_data()[:200])
    assert response.headers["Allow"] == "POST"
    assert response.is_json and "POST" in response.get_json()["error"]
    assert b"<html" not in response.get_data().lower()
    assert len(hook.queue) == before


def test_head_when_sent_to_the_dash_app_then_405_with_allow_post(hook: Hook):
    response = hook.client.head(PATH)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_non_json_body_when_no_header_then_415_and_no_event(hook: Hook, content_type: str):
    """The token would be in the body, and a non-JSON body cannot carry one: 415, and
    nothing recorded, because nothing was authenticated."""
    before_events, before = len(hook.events.items), len(hook.queue)
    body = json.dumps({"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.5, "token": TOKEN})
    response = hook.post(body, content_type=content_type, token=None)
    assert_rejected(hook, response, {415})
    assert len(hook.events.items) == before_events and len(hook.queue) == before


@pytest.mark.parametrize("state", [KillState.HALTED, KillState.FLATTENING])
def test_valid_signal_when_halted_on_the_dash_app_then_409_and_queue_unchanged(state):
    halted = Hook(state=state)
    response = halted.post(json.dumps({"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.5}))
    assert response.status_code == 409
    assert response.get_json() == {"error": "halted", "state": state.value,
                                   "reason": f"kill switch is {state.value}: no new entries"}
    assert len(halted.queue) == 0


def test_same_body_twice_when_dedupe_on_then_200_duplicate_and_queued_once():
    hook = Hook(dedupe_s=60)
    body = {"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.5}
    first = hook.post(json.dumps(body))
    again = hook.post(json.dumps(dict(reversed(body.items())), indent=2))
    assert first.status_code == 202
    assert (again.status_code, again.get_json()) == (
        200, {"id": first.get_json()["id"], "status": "duplicate"})
    assert len(hook.queue) == 1
