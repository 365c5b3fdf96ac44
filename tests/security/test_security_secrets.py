"""No secret in any artefact of a full paper session.

One run wired as app.py wires it, with distinctive secret values set through the
settings: bot start (reconciliation), webhook signals (accepted, rejected, wrong
token), executor, monitor, regime, strategy, rollup, a kill-switch round trip and
a refused rule change from the dashboard, page loads and callbacks over HTTP.
Then every log record (DEBUG and up, captured before any redaction), every row of
every table, the raw database file, every page and callback response, the paper
venue's ledger and the reprs of the assembled parts are searched for the secrets.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from app import secrets_of
from bot.domain import KillAction
from bot.runtime.control import BotControl
from bot.runtime.logs import RedactSecrets
from bot.settings import load_settings
from bot.web.webhook import PATH as WEBHOOK_PATH
from bot.web.webhook import TOKEN_HEADER
from tests.fixtures.fuzz import RecordingHandler
from tests.fixtures.security import (
    chart_body,
    kill_confirm_body,
    poll_body,
    served_bot,
    settings_env,
)

SECRETS = {
    "QT_PAPER_API_SECRET": "PaperSecret-Xy7Q-9f2LmZ",
    "QT_API_SECRET": "ApiSecret-Wt3K-4h8NpR",
    "QT_API_KEY": "ApiKey-Vb5J-1c6TqS",
    "QT_WEBHOOK_TOKEN": "HookToken-Rd2M-7k9XwY",
    "QT_DASHBOARD_PASSWORD": "DashPass-Gn8P-3s5ZvU",
}
USER = "operator-one"


def find_leaks(texts: Iterable[str], secrets: dict[str, str]) -> list[str]:
    """Each (secret name, where) found; also catches the secrets' common encodings."""
    leaks = []
    for name, value in secrets.items():
        forms = {value, value.lower(), json.dumps(value)[1:-1],
                 requests.utils.quote(value, safe="")}
        for text in texts:
            if any(form in text for form in forms):
                index = next(text.find(f) for f in forms if f in text)
                leaks.append(f"{name} in ...{text[max(0, index - 80):index + 40]!r}")
                break
    return leaks


def test_find_leaks_when_secret_present_then_reported():
    """The grep must be able to fail, or the test below proves nothing."""
    value = SECRETS["QT_API_SECRET"]
    assert find_leaks([f"token={value}&x"], SECRETS)
    assert find_leaks([json.dumps({"k": value.lower()})], SECRETS)
    assert not find_leaks(["nothing to see"], SECRETS)


def dump_database(path: Path) -> list[str]:
    rows = []
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from the db
                rows.append(f"{table}: {row!r}")
    return rows


def raw_files(folder: Path) -> list[str]:
    """The database file and its journals as bytes: deleted pages keep old values."""
    return [p.read_bytes().decode("latin-1") for p in folder.iterdir() if p.is_file()]


@pytest.fixture
def capture() -> Iterable[RecordingHandler]:
    handler = RecordingHandler()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


def test_full_paper_session_when_grepped_then_no_secret_anywhere(tmp_path, capture):
    env = settings_env(tmp_path, QT_DASHBOARD_USER=USER, QT_LOG_LEVEL="DEBUG",
                       QT_PAPER_API_KEY="paper-key-visible", **SECRETS)
    artefacts: list[str] = []
    with served_bot(env) as served, requests.Session() as http:
        bot, url = served.bot, served.url
        auth = (USER, SECRETS["QT_DASHBOARD_PASSWORD"])
        token = SECRETS["QT_WEBHOOK_TOKEN"]
        artefacts += [repr(served.settings), str(served.settings), repr(served.settings.dump()),
                      repr(bot.c), repr(served.paper)]

        def hook(body: object, sent_token: str | None = token) -> requests.Response:
            headers = {TOKEN_HEADER: sent_token} if sent_token is not None else {}
            response = http.post(url + WEBHOOK_PATH, json=body, headers=headers, auth=auth,
                                 timeout=10)
            artefacts.append(response.text)
            return response

        assert hook({"symbol": "ATOMUSDT", "side": "BUY", "confidence": 0.9}).status_code == 202
        assert hook({"symbol": "XRPUSDT", "side": "SELL", "confidence": 0.95}).status_code == 202
        assert hook({"symbol": "DOGEUSDT", "side": "BUY", "confidence": 3}).status_code == 422
        assert hook({"symbol": "ATOMUSDT", "side": "BUY", "confidence": 0.9},
                    sent_token=token[:-1]).status_code == 401
        assert hook({"symbol": "ATOMUSDT", "side": "BUY", "confidence": 0.9},
                    sent_token=None).status_code == 401
        assert hook({"symbol": "BTCUSDT", "side": "BUY", "confidence": 0.9, "token": token},
                    sent_token=None).status_code == 202  # TradingView: token in the body
        assert hook({"symbol": "DOGEUSDT", "side": "BUY", "confidence": 0.9, "token": token},
                    sent_token=None).status_code == 422
        bot.run_executor()
        bot.run_monitor()
        bot.run_regime()
        bot.run_strategy()
        bot.run_executor()
        bot.rollup()
        control = BotControl(bot)
        assert control.set_rule("max_positions_per_symbol", None, {"limit": "99"}, USER).errors
        assert control.kill_switch(KillAction.HALT, USER, "secret drill").ok
        assert control.kill_switch(KillAction.RESUME, USER, "done").ok
        bot.run_monitor()

        for path in ("/", "/_dash-layout", "/_dash-dependencies", "/assets/quantshield.css"):
            response = http.get(url + path, auth=auth, timeout=10)
            assert response.status_code == 200, path
            artefacts.append(response.text)
        deps = http.get(url + "/_dash-dependencies", auth=auth, timeout=10).json()
        for body in (poll_body(deps, 1), chart_body(deps, "ATOMUSDT"), poll_body(deps, 2),
                     kill_confirm_body(deps, "HALT", "callback drill"), poll_body(deps, 3)):
            response = http.post(url + "/_dash-update-component", json=body, auth=auth,
                                 timeout=10)
            assert response.status_code in (200, 204), response.text[:300]
            artefacts.append(response.text)
        control.kill_switch(KillAction.RESUME, USER, "after callbacks")
        for bad in ({"output": "nope"}, [1, 2], "x"):
            response = http.post(url + "/_dash-update-component", json=bad, auth=auth,
                                 timeout=10)
            assert 400 <= response.status_code < 500
            artefacts.append(response.text)
        for wrong in ((USER, "nope"), None):
            artefacts.append(http.get(url + "/", auth=wrong, timeout=10).text)

        snapshot = control.snapshot()
        artefacts += [repr(snapshot), *(line.text for line in snapshot.activity)]
        artefacts += [json.dumps(e.to_json()) for e in served.paper.control.ledger()]
        opened = [p.symbol for p in snapshot.positions]

    logs = capture.texts()
    rows = dump_database(tmp_path / "bot.db")
    # the session really happened: the evidence below is not empty by accident
    assert opened, "no position was opened; the session exercised too little"
    assert any("[WEBHOOK]" in line for line in logs)
    assert any(r.levelno == logging.DEBUG for r in capture.records), "DEBUG was not captured"
    assert any(line.startswith("events:") for line in rows)
    assert any(line.startswith("audit") and USER in line for line in rows)
    leaks = find_leaks([*logs, *rows, *raw_files(tmp_path), *artefacts], SECRETS)
    assert not leaks, "\n".join(leaks)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_app(tmp_path: Path, **extra: str) -> tuple[str, list[str]]:
    """``python app.py`` as an operator runs it (DEBUG), a page and a webhook call, then
    SIGTERM: its console and its answers."""
    root = Path(__file__).resolve().parents[2]
    dash_port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("QT_")}
    env.update(settings_env(tmp_path, QT_DASHBOARD_USER=USER, QT_LOG_LEVEL="DEBUG",
                            QT_DASH_PORT=str(dash_port), QT_PAPER_PORT=str(_free_port()),
                            **SECRETS, **extra))
    process = subprocess.Popen([sys.executable, "app.py"], cwd=root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{dash_port}"
    auth = (USER, SECRETS["QT_DASHBOARD_PASSWORD"])
    answers: list[str] = []
    try:
        deadline = time.monotonic() + 45
        while True:
            assert process.poll() is None, process.communicate()[0][-2000:]
            try:
                page = requests.get(url + "/", auth=auth, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "app did not serve within 45 s"
                time.sleep(0.2)
        assert page.status_code == 200
        answers.append(page.text)
        hook = requests.post(url + WEBHOOK_PATH, auth=auth, timeout=5,
                             json={"symbol": "ATOMUSDT", "side": "BUY", "confidence": 0.9},
                             headers={TOKEN_HEADER: SECRETS["QT_WEBHOOK_TOKEN"]})
        assert hook.status_code == 202, hook.text
        answers += [hook.text, requests.get(url + "/_dash-layout", auth=auth, timeout=5).text,
                    requests.get(url + "/", auth=(USER, "wrong"), timeout=5).text]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            # graceful shutdown is app.py's concern (seen to hang now and then under load);
            # what it printed up to now is still the evidence to grep
            process.kill()
            output, _ = process.communicate()
    assert "[CONFIG] Effective settings" in output and "[WEBHOOK]" in output
    return output, answers


def test_app_process_when_run_and_stopped_then_console_and_database_hold_no_secret(tmp_path):
    """The console, the answers and the database after SIGTERM, grepped for the secrets."""
    output, answers = _run_app(tmp_path)
    leaks = find_leaks([output, *answers, *dump_database(tmp_path / "bot.db"),
                        *raw_files(tmp_path)], SECRETS)
    assert not leaks, "\n".join(leaks)


def test_app_process_when_db_password_is_in_the_url_query_then_console_holds_none(
        tmp_path, postgres_url):
    """libpq also takes the password as ``?password=``: shown nowhere, like one after
    ``user:`` (the test server trusts loopback, so the value itself is ignored)."""
    password = "DbPass-Uu71-do-not-show"
    db_url = make_url(postgres_url).update_query_dict({"password": password})
    output, answers = _run_app(tmp_path,
                               QT_DB_URL=db_url.render_as_string(hide_password=False))
    assert "[STORE] Database ready" in output and "password=****" in output
    leaks = find_leaks([output, *answers], {**SECRETS, "QT_DB_URL": password})
    assert not leaks, "\n".join(leaks)


def test_secrets_of_when_the_db_url_has_passwords_then_the_log_filter_hides_them(tmp_path):
    """A driver error can echo the connection's password; the filter must know it."""
    env = settings_env(tmp_path, QT_DB_URL="postgresql://bot:UserInfo-Pw1@db/qs"
                                           "?sslmode=require&password=Query-Pw2")
    redact = RedactSecrets(secrets_of(load_settings(env)))
    record = logging.LogRecord("psycopg", logging.ERROR, __file__, 1,
                               "connect failed: %s", ("password=Query-Pw2 UserInfo-Pw1",), None)
    assert redact.filter(record)
    assert "Pw1" not in record.getMessage() and "Pw2" not in record.getMessage()
