"""The webhook over real HTTP: a Flask app served by werkzeug on a loopback port."""

from __future__ import annotations

import json
import logging
import threading
from decimal import Decimal

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from bot.decisions import SignalQueue
from bot.domain import Direction, EventKind, KillState, Signal, entry_denial
from bot.store import Store
from bot.web.webhook import PATH, register_webhook
from tests.unit.decisions.builders import T0, FakeClock

TOKEN = "s3cret-token-for-tests"
SYMBOLS = {"ATOMUSDT", "BTCUSDT"}
ALERT = {"symbol": "ATOMUSDT", "side": "SELL", "confidence": 0.9, "stop": 2.61,
         "target": 2.31, "source": "tradingview"}


class _Served:
    def __init__(self, app: Flask):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}{PATH}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()


@pytest.fixture
def store(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'webhook.db'}") as s:
        yield s


class _Switch:
    """The kill switch as the webhook sees it: a state and its one entry gate."""

    def __init__(self, state: KillState = KillState.RUNNING):
        self.state = state

    def entry_denial(self) -> str | None:
        return entry_denial(self.state)


def _serve(request, queue, store, token=TOKEN, mark=None, **options):
    app = Flask("webhook-test")
    options.setdefault("clock", lambda: T0)
    register_webhook(app, queue.submit, token, SYMBOLS, mark_price=mark, events=store,
                     **options)
    served = _Served(app)
    request.addfinalizer(served.close)
    return served


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


def _post(session, url, body=None, token=TOKEN, **kwargs):
    headers = {"X-QT-Token": token} if token is not None else {}
    return session.post(url, json=body, headers=headers, timeout=5, **kwargs)


def test_a_valid_alert_is_queued_with_202_and_its_id(request, store, session):
    queue = SignalQueue(maxsize=5, id_prefix="wh")
    served = _serve(request, queue, store)
    response = _post(session, served.url, ALERT)
    assert response.status_code == 202
    assert response.json() == {"id": "wh-1", "status": "queued"}
    [signal] = queue.drain()
    assert (signal.id, signal.symbol, signal.direction, signal.stop_price) == (
        "wh-1", "ATOMUSDT", Direction.SHORT, Decimal("2.61"))
    assert signal.created_at == T0


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", TOKEN.upper()])
def test_a_missing_or_wrong_token_is_401_and_queues_nothing(request, store, session, token,
                                                            caplog):
    caplog.set_level(logging.DEBUG)
    queue = SignalQueue()
    served = _serve(request, queue, store)
    response = _post(session, served.url, ALERT, token=token)
    assert response.status_code == 401 and "X-QT-Token" in response.json()["error"]
    assert len(queue) == 0
    assert TOKEN not in response.text and TOKEN not in caplog.text
    assert all(TOKEN not in e.message and TOKEN not in str(e.details)
               for e in store.events())


def test_a_tradingview_alert_with_the_token_in_its_body_is_queued(request, store, session,
                                                                  caplog):
    caplog.set_level(logging.DEBUG)
    queue = SignalQueue(maxsize=5, id_prefix="tv")
    served = _serve(request, queue, store)
    response = _post(session, served.url, {**ALERT, "token": TOKEN}, token=None)
    assert response.status_code == 202 and response.json()["id"] == "tv-1"
    [signal] = queue.drain()
    assert (signal.symbol, signal.direction, signal.source) == (
        "ATOMUSDT", Direction.SHORT, "tradingview")
    assert TOKEN not in caplog.text and TOKEN not in repr(signal)


@pytest.mark.parametrize("token", ["", "wrong", TOKEN + "x", 12345, None, ["x"]])
def test_a_wrong_body_token_is_401_and_leaves_no_event(request, store, session, token):
    queue = SignalQueue()
    served = _serve(request, queue, store)
    body = {**ALERT, "confidence": 7, "token": token}  # invalid too: auth comes first
    response = _post(session, served.url, body, token=None)
    assert response.status_code == 401 and '"token" field' in response.json()["error"]
    assert len(queue) == 0 and store.events() == []


def test_a_body_token_that_cannot_be_encoded_is_401_not_500(request, store, session):
    queue = SignalQueue()
    served = _serve(request, queue, store)
    body = '{"token": "\\ud800", "symbol": "ATOMUSDT", "side": "SELL", "confidence": 0.9}'
    response = session.post(served.url, data=body, timeout=5,
                            headers={"Content-Type": "application/json"})
    assert response.status_code == 401 and '"token" field' in response.json()["error"]
    assert len(queue) == 0 and store.events() == []


@pytest.mark.parametrize("token", [b"\xff\xfe", "caf\u00e9".encode()])
def test_a_non_ascii_header_token_is_401_not_500(request, store, session, token):
    queue = SignalQueue()
    served = _serve(request, queue, store)
    response = _post(session, served.url, ALERT, token=token)
    assert response.status_code == 401
    assert len(queue) == 0 and store.events() == []


def test_a_body_token_never_reaches_an_event_when_the_signal_is_rejected(request, store,
                                                                        session):
    served = _serve(request, SignalQueue(), store)
    body = {"symbol": "DOGEUSDT", "side": "SELL", "confidence": 0.9, "token": TOKEN}
    response = _post(session, served.url, body, token=None)
    assert response.status_code == 422
    assert response.json()["problems"] == ["symbol: unknown symbol 'DOGEUSDT'"]
    [event] = store.events(kinds=[EventKind.SIGNAL_REJECTED])
    assert TOKEN not in event.message and TOKEN not in str(event.details)


def test_the_header_decides_when_both_carry_a_token(request, store, session):
    queue = SignalQueue()
    served = _serve(request, queue, store)
    with_header = _post(session, served.url, {**ALERT, "token": "stale"}, token=TOKEN)
    wrong_header = _post(session, served.url, {**ALERT, "token": TOKEN}, token="wrong")
    assert (with_header.status_code, wrong_header.status_code) == (202, 401)
    assert len(queue) == 1


def test_no_configured_token_disables_the_webhook_with_503(request, store, session):
    queue = SignalQueue()
    served = _serve(request, queue, store, token=None)
    response = _post(session, served.url, ALERT, token="anything")
    assert response.status_code == 503 and "disabled" in response.json()["error"]
    assert len(queue) == 0


def test_a_body_that_is_not_json_is_415(request, store, session):
    queue = SignalQueue()
    served = _serve(request, queue, store)
    response = session.post(served.url, data="symbol=ATOMUSDT&side=SELL", timeout=5,
                            headers={"X-QT-Token": TOKEN,
                                     "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert response.json()["problems"] == [
        "body must be JSON (Content-Type: application/json)"]


@pytest.mark.parametrize(("body", "problem"), [
    ('{"symbol": "ATOMUSDT",', "body is not valid JSON"),
    ('["ATOMUSDT", "SELL"]', "body must be a JSON object"),
    ('{"symbol": "DOGEUSDT", "side": "SELL", "confidence": 0.9}', "symbol: unknown symbol"),
    ('{"symbol": "ATOMUSDT", "side": "SELL", "confidence": 1.5}', "confidence:"),
])
def test_malformed_bodies_are_422_with_their_problems(request, store, session, body, problem):
    queue = SignalQueue()
    served = _serve(request, queue, store)
    response = session.post(served.url, data=body, timeout=5,
                            headers={"X-QT-Token": TOKEN, "Content-Type": "application/json"})
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert len(problems) == 1 and problems[0].startswith(problem), problems
    assert len(queue) == 0
    rejected = store.events(kinds=[EventKind.SIGNAL_REJECTED])
    assert len(rejected) == 1 and rejected[0].details["problems"] == problems


def test_every_problem_of_a_bad_alert_is_listed(request, store, session):
    served = _serve(request, SignalQueue(), store)
    body = {"symbol": "ATOMUSDT", "side": "HOLD", "confidence": "high", "stop": "x",
            "leverage": 20}
    response = _post(session, served.url, body)
    assert response.status_code == 422
    assert sorted(p.split(":")[0] for p in response.json()["problems"]) == [
        "confidence", "leverage", "side", "stop"]


def test_the_mark_price_checks_the_stop_side(request, store, session):
    served = _serve(request, SignalQueue(), store, mark=lambda symbol: Decimal("2.70"))
    response = _post(session, served.url, ALERT)
    assert response.status_code == 422
    assert response.json()["problems"] == ["stop: 2.61 must be above the price 2.70 for a SHORT"]


def test_a_full_queue_answers_429_until_drained(request, store, session):
    queue = SignalQueue(maxsize=2, id_prefix="wh")
    served = _serve(request, queue, store)
    alerts = [{**ALERT, "confidence": c} for c in (0.6, 0.7, 0.8)]
    codes = [_post(session, served.url, alert).status_code for alert in alerts]
    assert codes == [202, 202, 429]
    assert [s.id for s in queue.drain()] == ["wh-1", "wh-2"]
    # the refused alert was not remembered: its retry is queued, not a duplicate
    assert _post(session, served.url, alerts[2]).json() == {"id": "wh-3", "status": "queued"}


def test_an_oversized_body_is_refused(request, store, session):
    served = _serve(request, SignalQueue(), store)
    response = _post(session, served.url, {**ALERT, "source": "x" * 10_000})
    assert response.status_code == 413


def test_only_post_is_routed(request, store, session):
    served = _serve(request, SignalQueue(), store)
    response = session.get(served.url, timeout=5)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert "POST" in response.json()["error"]


# --- the kill switch at the door --------------------------------------------------------

@pytest.mark.parametrize("state", [KillState.HALTED, KillState.FLATTENING])
def test_post_when_kill_switch_holds_entries_then_409_with_state_and_reason_and_nothing_queued(
        request, store, session, state):
    queue = SignalQueue()
    switch = _Switch(state)
    served = _serve(request, queue, store, entry_gate=switch.entry_denial,
                    kill_state=lambda: switch.state)
    response = _post(session, served.url, ALERT)
    assert response.status_code == 409
    assert response.json() == {"error": "halted", "state": state.value,
                               "reason": f"kill switch is {state.value}: no new entries"}
    assert len(queue) == 0
    [event] = store.events(kinds=[EventKind.SIGNAL_REJECTED])
    assert event.symbol == "ATOMUSDT" and event.details["status"] == 409
    assert event.details["state"] == state.value


def test_post_when_kill_switch_resumed_then_queued_again(request, store, session):
    queue = SignalQueue(id_prefix="wh")
    switch = _Switch(KillState.HALTED)
    served = _serve(request, queue, store, entry_gate=switch.entry_denial,
                    kill_state=lambda: switch.state)
    assert _post(session, served.url, ALERT).status_code == 409
    switch.state = KillState.RUNNING
    response = _post(session, served.url, ALERT)
    assert response.status_code == 202 and response.json()["id"] == "wh-1"
    assert len(queue) == 1


@pytest.mark.parametrize(("body", "token", "status"), [
    (ALERT, "wrong", 401),
    ({**ALERT, "token": "wrong"}, None, 401),
    ({**ALERT, "confidence": 7}, TOKEN, 422),
])
def test_post_when_halted_and_unauthenticated_or_invalid_then_401_or_422_first(
        request, store, session, body, token, status):
    queue = SignalQueue()
    served = _serve(request, queue, store, entry_gate=_Switch(KillState.HALTED).entry_denial)
    response = _post(session, served.url, body, token=token)
    assert response.status_code == status and len(queue) == 0


def test_post_when_kill_switch_unreadable_then_409_with_unknown_state(request, store, session):
    def unreadable():
        raise ConnectionError("database gone")

    queue = SignalQueue()
    served = _serve(request, queue, store,
                    entry_gate=lambda: "kill switch unreadable (OperationalError): no new entries",
                    kill_state=unreadable)
    response = _post(session, served.url, ALERT)
    assert response.status_code == 409
    assert response.json()["state"] == "UNKNOWN" and "unreadable" in response.json()["reason"]
    assert len(queue) == 0


# --- the same alert twice ------------------------------------------------------------

def test_post_when_same_alert_twice_within_window_then_200_duplicate_with_first_id(
        request, store, session):
    queue = SignalQueue(id_prefix="wh")
    clock = FakeClock()
    served = _serve(request, queue, store, clock=clock, dedupe_s=60)
    first = _post(session, served.url, ALERT)
    clock.advance(seconds=59)
    again = _post(session, served.url, ALERT)
    assert (first.status_code, first.json()) == (202, {"id": "wh-1", "status": "queued"})
    assert (again.status_code, again.json()) == (200, {"id": "wh-1", "status": "duplicate"})
    assert [s.id for s in queue.drain()] == ["wh-1"]


def test_post_when_same_alert_in_another_key_order_or_token_place_then_duplicate(
        request, store, session):
    queue = SignalQueue(id_prefix="wh")
    served = _serve(request, queue, store)
    assert _post(session, served.url, ALERT).status_code == 202
    reordered = '{ "source" : "tradingview", "target": 2.31, "stop": 2.61, ' \
                f'"confidence": 0.9, "side": "SELL", "token": "{TOKEN}", "symbol": "ATOMUSDT"}}'
    response = session.post(served.url, data=reordered, timeout=5,
                            headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["status"] == "duplicate"
    assert len(queue) == 1


def test_post_when_same_alert_after_window_then_queued_again(request, store, session):
    queue = SignalQueue(id_prefix="wh")
    clock = FakeClock()
    served = _serve(request, queue, store, clock=clock, dedupe_s=60)
    assert _post(session, served.url, ALERT).status_code == 202
    clock.advance(seconds=60)
    response = _post(session, served.url, ALERT)
    assert response.status_code == 202 and response.json()["id"] == "wh-2"
    assert len(queue) == 2


def test_post_when_dedupe_disabled_then_every_identical_alert_queued(request, store, session):
    queue = SignalQueue(id_prefix="wh")
    served = _serve(request, queue, store, dedupe_s=0)
    codes = [_post(session, served.url, ALERT).status_code for _ in range(3)]
    assert codes == [202, 202, 202] and len(queue) == 3


def test_post_when_alerts_differ_in_one_field_then_both_queued(request, store, session):
    queue = SignalQueue(id_prefix="wh")
    served = _serve(request, queue, store)
    assert _post(session, served.url, ALERT).status_code == 202
    assert _post(session, served.url, {**ALERT, "confidence": 0.91}).status_code == 202
    assert len(queue) == 2


def test_post_when_identical_alerts_race_on_threads_then_queued_once(request, store):
    queue = SignalQueue(id_prefix="wh")
    served = _serve(request, queue, store)
    answers: list[int] = []

    def send():
        with requests.Session() as s:
            answers.append(_post(s, served.url, ALERT).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200] * 7 + [202] and len(queue) == 1


# --- a stop too close to the price ---------------------------------------------------

def test_post_when_stop_within_minimum_distance_of_mark_then_422_with_the_distance(
        request, store, session):
    queue = SignalQueue()
    served = _serve(request, queue, store, mark=lambda symbol: Decimal("3000.00"),
                    min_stop_distance_pct=Decimal("0.1"))
    body = {"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.9, "stop": 2999.98}
    response = _post(session, served.url, body)
    assert response.status_code == 422
    assert response.json()["problems"] == [
        "stop: 2999.98 is only 0.02 (0.0007 %) from the price 3000.00; "
        "it must be at least 0.1 % (3) away"]
    assert len(queue) == 0
    [event] = store.events(kinds=[EventKind.SIGNAL_REJECTED])
    assert "at least 0.1 %" in event.message


def test_post_when_stop_just_at_minimum_distance_then_queued(request, store, session):
    queue = SignalQueue()
    served = _serve(request, queue, store, mark=lambda symbol: Decimal("3000.00"),
                    min_stop_distance_pct=Decimal("0.1"))
    body = {"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.9, "stop": 2997}
    assert _post(session, served.url, body).status_code == 202 and len(queue) == 1


# --- content types -------------------------------------------------------------------

@pytest.mark.parametrize("events", [True, False])
def test_post_when_text_plain_with_valid_header_then_415_and_recorded(request, store, session,
                                                                      events):
    queue = SignalQueue()
    app = Flask("webhook-415")
    register_webhook(app, queue.submit, TOKEN, SYMBOLS, events=store if events else None,
                     clock=lambda: T0)
    served = _Served(app)
    request.addfinalizer(served.close)
    response = session.post(served.url, data=json.dumps(ALERT), timeout=5,
                            headers={"X-QT-Token": TOKEN, "Content-Type": "text/plain"})
    assert response.status_code == 415 and "JSON" in response.json()["problems"][0]
    assert len(queue) == 0
    assert len(store.events(kinds=[EventKind.SIGNAL_REJECTED])) == (1 if events else 0)


def test_post_when_text_plain_without_header_then_415_and_no_event(request, store, session):
    queue = SignalQueue()
    served = _serve(request, queue, store)
    response = session.post(served.url, data=json.dumps({**ALERT, "token": TOKEN}), timeout=5,
                            headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert len(queue) == 0 and store.events() == []


def test_queue_is_thread_safe_under_concurrent_submits():
    queue = SignalQueue(maxsize=1000, id_prefix="t")
    signal = Signal("ATOMUSDT", Direction.LONG, 0.5, "test", T0)
    ids: list[str] = []
    lock = threading.Lock()

    def worker():
        for _ in range(100):
            sid = queue.submit(signal)
            with lock:
                ids.append(sid)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 800 and len(queue.drain()) == 800
