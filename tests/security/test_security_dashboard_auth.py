"""With dashboard credentials set, nothing is served without them, over real HTTP.

The app is wired as app.py wires it (``make_dash`` over a started bot) and served
by waitress. Pages, assets, Dash's own endpoints and the callback endpoint all
answer 401 without credentials (and change nothing), 200 with them; a wrong Host
header is refused with 400; the webhook keeps its own token check.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator

import pytest
import requests

from bot.domain import KillAction, KillState
from bot.runtime.control import BotControl
from bot.web.webhook import PATH as WEBHOOK_PATH
from bot.web.webhook import TOKEN_HEADER
from dashboard import security
from tests.fixtures.security import Served, kill_confirm_body, poll_body, served_bot, settings_env

USER = "ops"
PASSWORD = "AuthPass-Hy62-secret"
TOKEN = "AuthHook-Pc40-secret"
GOOD = (USER, PASSWORD)
SIGNAL = {"symbol": "ATOMUSDT", "side": "BUY", "confidence": 0.9}


@pytest.fixture(autouse=True)
def no_login_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """This module sends dozens of wrong passwords on purpose from one address; the
    failed-login throttle has its own tests (tests/unit/dashboard/test_dashboard_http.py)."""
    monkeypatch.setattr(security, "FAILED_LOGIN_LIMIT", 10_000)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    env = settings_env(tmp_path_factory.mktemp("auth"), QT_DASHBOARD_USER=USER,
                       QT_DASHBOARD_PASSWORD=PASSWORD, QT_WEBHOOK_TOKEN=TOKEN)
    with served_bot(env) as s:
        yield s


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def deps(served: Served, http: requests.Session) -> list[dict]:
    response = http.get(served.url + "/_dash-dependencies", auth=GOOD, timeout=10)
    assert response.status_code == 200
    return response.json()


def page_urls(served: Served, http: requests.Session) -> list[str]:
    """Every path the browser loads: the page, Dash's endpoints, every script and style."""
    index = http.get(served.url + "/", auth=GOOD, timeout=10)
    assert index.status_code == 200 and "QuantShield" in index.text
    linked = re.findall(r'(?:src|href)="(/[^"]+)"', index.text)
    assert any("/_dash-component-suites/" in u for u in linked), linked
    assert any(u.startswith("/assets/") for u in linked), linked
    fixed = ["/", "/_dash-layout", "/_dash-dependencies", "/_favicon.ico",
             "/assets/quantshield.css", "/assets/bootstrap.min.css"]
    return list(dict.fromkeys([*fixed, *linked]))


def test_debug_off_when_served_then_flask_not_in_debug(served: Served):
    assert served.app.server.debug is False


def test_every_page_and_asset_when_no_credentials_then_401_and_with_them_200(
        served: Served, http: requests.Session):
    urls = page_urls(served, http)
    assert len(urls) >= 10
    for path in urls:
        anonymous = http.get(served.url + path, timeout=10)
        assert anonymous.status_code == 401, path
        assert anonymous.headers["WWW-Authenticate"].startswith("Basic"), path
        assert PASSWORD not in anonymous.text
        assert http.get(served.url + path, auth=GOOD, timeout=10).status_code == 200, path


@pytest.mark.parametrize("header", [
    None, "", "Basic", "Basic !!!notbase64!!!", "Bearer " + PASSWORD,
    "Basic " + base64.b64encode(f"{USER}:{PASSWORD}x".encode()).decode(),
    "Basic " + base64.b64encode(f"{USER.upper()}:{PASSWORD}".encode()).decode(),
    "Basic " + base64.b64encode(f"{USER}:".encode()).decode(),
    "Basic " + base64.b64encode(f":{PASSWORD}".encode()).decode(),
    "Basic " + base64.b64encode(f"{USER}{PASSWORD}".encode()).decode(),
    "Basic " + base64.b64encode(f"{USER}:{PASSWORD[:-1]}".encode()).decode(),
    "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
    "Digest username=\"ops\"",
])
def test_wrong_or_malformed_credentials_when_page_requested_then_401(
        served: Served, http: requests.Session, header):
    headers = {} if header is None else {"Authorization": header}
    for path in ("/", "/_dash-layout", "/assets/quantshield.css", "/no/such/page"):
        response = http.get(served.url + path, headers=headers, timeout=10)
        assert response.status_code == 401, (path, header)


def test_unknown_path_when_no_credentials_then_401(served, http):
    """A prober learns nothing about which routes exist (Dash serves its page for any
    path, so with credentials the answer is the page)."""
    for path in ("/admin", "/api/nothing", "/_dash-update-component/x", "/.env"):
        assert http.get(served.url + path, timeout=10).status_code == 401, path
        assert http.get(served.url + path, auth=GOOD, timeout=10).status_code != 401, path


def test_callback_endpoint_when_no_credentials_then_401_and_nothing_runs(
        served: Served, http: requests.Session, deps: list[dict]):
    body = kill_confirm_body(deps, "HALT", "anonymous attempt")
    audit_before = served.bot.c.store.audit_trail(1000)
    for auth in (None, (USER, "wrong"), ("intruder", PASSWORD)):
        response = http.post(served.url + "/_dash-update-component", json=body, auth=auth,
                             timeout=10)
        assert response.status_code == 401, auth
    poll = http.post(served.url + "/_dash-update-component", json=poll_body(deps), timeout=10)
    assert poll.status_code == 401
    assert served.bot.c.killswitch.state == KillState.RUNNING
    assert served.bot.c.store.audit_trail(1000) == audit_before


def test_callback_endpoint_when_credentials_then_200_and_action_audited_with_user(
        served: Served, http: requests.Session, deps: list[dict]):
    poll = http.post(served.url + "/_dash-update-component", json=poll_body(deps), auth=GOOD,
                     timeout=10)
    assert poll.status_code == 200, poll.text[:300]
    response = http.post(served.url + "/_dash-update-component",
                         json=kill_confirm_body(deps, "HALT", "auth drill"), auth=GOOD,
                         timeout=10)
    assert response.status_code == 200, response.text[:300]
    try:
        assert served.bot.c.killswitch.state == KillState.HALTED
        newest = served.bot.c.store.audit_trail(1)[0]
        assert newest.actor == USER and newest.new == KillState.HALTED
    finally:
        BotControl(served.bot).kill_switch(KillAction.RESUME, "test-cleanup")
    assert served.bot.c.killswitch.state == KillState.RUNNING


@pytest.mark.parametrize("host", [
    "evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "evil.example:80",
    "[::2]", "0.0.0.0", "10.0.0.1", "", "127.0.0.1@evil.example", "evil.example#127.0.0.1",
])
def test_wrong_host_header_when_requested_then_400_even_with_credentials(
        served: Served, http: requests.Session, deps: list[dict], host: str):
    for auth in (None, GOOD):
        page = http.get(served.url + "/", headers={"Host": host}, auth=auth, timeout=10)
        assert page.status_code == 400, (host, auth, page.status_code)
    callback = http.post(served.url + "/_dash-update-component", headers={"Host": host},
                         json=kill_confirm_body(deps, "HALT", "rebinding"), auth=GOOD,
                         timeout=10)
    assert callback.status_code == 400
    hook = http.post(served.url + WEBHOOK_PATH, headers={"Host": host, TOKEN_HEADER: TOKEN},
                     json=SIGNAL, auth=GOOD, timeout=10)
    assert hook.status_code == 400
    assert served.bot.c.killswitch.state == KillState.RUNNING
    assert len(served.bot.c.queue) == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_loopback_host_header_when_requested_then_served(served, http, host):
    port = served.url.rsplit(":", 1)[1]
    response = http.get(served.url + "/", headers={"Host": f"{host}:{port}"}, auth=GOOD,
                        timeout=10)
    assert response.status_code == 200


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN[:-1], TOKEN.lower(), PASSWORD])
def test_webhook_when_token_missing_or_wrong_then_401_even_with_dashboard_credentials(
        served: Served, http: requests.Session, token):
    headers = {} if token is None else {TOKEN_HEADER: token}
    for auth in (None, GOOD):
        response = http.post(served.url + WEBHOOK_PATH, json=SIGNAL, headers=headers,
                             auth=auth, timeout=10)
        assert response.status_code == 401, (token, auth)
        assert TOKEN not in response.text
    assert len(served.bot.c.queue) == 0


def test_webhook_when_token_and_dashboard_credentials_then_queued(served: Served, http):
    response = http.post(served.url + WEBHOOK_PATH, json=SIGNAL, headers={TOKEN_HEADER: TOKEN},
                         auth=GOOD, timeout=10)
    assert response.status_code == 202, response.text
    assert [s.symbol for s in served.bot.c.queue.drain()] == ["ATOMUSDT"]


def test_webhook_when_auth_on_and_only_token_then_queued_by_its_own_check(
        served: Served, http: requests.Session):
    response = http.post(served.url + WEBHOOK_PATH, data=json.dumps(SIGNAL),
                         headers={TOKEN_HEADER: TOKEN, "Content-Type": "application/json"},
                         timeout=10)
    queued = served.bot.c.queue.drain()
    assert response.status_code == 202, (response.status_code, response.text)
    assert [s.symbol for s in queued] == ["ATOMUSDT"]



@pytest.mark.parametrize("path", [
    WEBHOOK_PATH + "/", WEBHOOK_PATH + "/x", WEBHOOK_PATH.upper(),
    "/" + WEBHOOK_PATH,
    WEBHOOK_PATH + "%2F..%2F", WEBHOOK_PATH + "/../", WEBHOOK_PATH + ";x",
])
def test_webhook_exemption_when_path_only_looks_alike_then_no_page_without_credentials(
        served: Served, http: requests.Session, path: str):
    """Only the webhook itself skips Basic auth: a look-alike path must not serve a page."""
    for method in ("GET", "POST"):
        response = http.request(method, served.url + path, json=SIGNAL,
                                headers={TOKEN_HEADER: TOKEN}, timeout=10)
        if method == "POST" and path.replace("//", "/") == WEBHOOK_PATH:
            # the router merges slashes: this IS the webhook, which checked its token
            assert response.status_code == 202, response.status_code
            continue
        assert response.status_code in (401, 404, 405), (method, path, response.status_code)
        assert "QuantShield" not in response.text
    served.bot.c.queue.drain()


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_webhook_path_when_not_post_and_no_credentials_then_no_page(served, http, method):
    response = http.request(method, served.url + WEBHOOK_PATH, timeout=10)
    assert response.status_code in (401, 405), response.status_code
