"""The whole path, as app.py wires it: a fault injected on the paper exchange (three -2021
answers, so the ladder ends in an emergency close) reaches a real receiver; and across a full
session the secret parts of every notify URL appear in no log line, settings dump, database
row, dashboard page or message."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from app import make_dash, secrets_of
from bot.domain import KillAction
from bot.runtime.assembly import build
from bot.runtime.bot import Bot
from bot.runtime.control import BotControl
from bot.runtime.logs import LOG_FORMAT, RedactSecrets, RingBufferHandler
from bot.runtime.notify_control import NotificationControl
from bot.settings import load_settings
from tests.fixtures.paper import API_KEY, API_SECRET, eventually
from tests.integration.notify.receivers import http_receiver, smtp_receiver

ALGO = "/fapi/v1/algoOrder"
TOKEN = "hook-token-e2e"
JSON_PW, HEADER_TOKEN, MAIL_PW = "JsonPw-Lk55t-9q", "HdrTok-Vv3094-xz", "MailPw-Qz81x-2w"
SECRETS = (JSON_PW, HEADER_TOKEN, MAIL_PW)


def start_bot(tmp_path: Path, paper, urls: str) -> Bot:
    settings = load_settings({
        "QT_DB_URL": f"sqlite:///{tmp_path}/bot.db", "QT_PAPER_API_KEY": API_KEY,
        "QT_PAPER_API_SECRET": API_SECRET, "QT_WEBHOOK_TOKEN": TOKEN,
        "QT_SYMBOLS": "BTCUSDT,ETHUSDT,ATOMUSDT,XRPUSDT", "QT_NOTIFY_URLS": urls,
        "QT_PUBLIC_URL": "https://qs.example.com",
    })
    bot = Bot(build(settings, paper=paper))
    bot.start(scheduler=False)
    return bot


def ladder_fault(bot: Bot, paper, symbol: str = "ATOMUSDT") -> None:
    """Three -2021 answers: the first stop and both retry rungs refused."""
    paper.control.inject_fault("POST", ALGO, code=-2021, count=3)
    client = make_dash(bot).server.test_client()
    resp = client.post("/api/signals", json={"symbol": symbol, "side": "BUY", "confidence": 0.9},
                       headers={"X-QT-Token": TOKEN})
    assert resp.status_code == 202, resp.get_json()
    bot.run_executor()


def test_fault_when_stop_refused_three_times_then_ladder_message_arrives(
        tmp_path, paper_exchange):
    with http_receiver() as receiver:
        bot = start_bot(tmp_path, paper_exchange, receiver.url())
        try:
            eventually(lambda: "INFO: QuantShield started (PAPER)" in receiver.titles())
            ladder_fault(bot, paper_exchange)
            eventually(lambda: "CRITICAL: ATOMUSDT Stop ladder exhausted" in receiver.titles())
            assert paper_exchange.control.state()["positions"] == {}
            [message] = [r.body["message"] for r in receiver.requests
                         if r.body["title"] == "CRITICAL: ATOMUSDT Stop ladder exhausted"]
            assert "3 times" in message and "Dashboard: https://qs.example.com" in message
        finally:
            bot.shutdown()
        assert receiver.titles()[-1] == "WARNING: QuantShield stopping"


@contextmanager
def logs_as_the_operator_sees_them(secrets: Iterable[str]) -> Iterator[tuple[list, io.StringIO,
                                                                        RingBufferHandler]]:
    """app.main's console and ring buffer (same redaction), plus every raw record; apprise at
    DEBUG (it logs Telegram's token URL there), the worst case for the filter."""
    raw: list[logging.LogRecord] = []

    class Raw(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raw.append(record)

    text = io.StringIO()
    console, buffer = logging.StreamHandler(text), RingBufferHandler(capacity=5000)
    console.setFormatter(logging.Formatter(LOG_FORMAT))
    buffer.setLevel(logging.DEBUG)
    redact = RedactSecrets(secrets)
    handlers = [console, buffer, Raw(level=logging.DEBUG)]
    for handler in handlers[:2]:
        handler.addFilter(redact)
    root, apprise_log = logging.getLogger(), logging.getLogger("apprise")
    levels = root.level, apprise_log.level
    root.setLevel(logging.DEBUG)
    apprise_log.setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield raw, text, buffer
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        root.setLevel(levels[0])
        apprise_log.setLevel(levels[1])


def leaks(texts: Iterable[str]) -> list[str]:
    forms = {f for s in SECRETS for f in (s, s.lower(), quote(s, safe=""))}
    return [t[:200] for t in texts if any(f in t for f in forms)]


def test_leaks_when_a_secret_is_present_then_found():
    """The grep must be able to fail, or the test below proves nothing."""
    assert leaks([f"auth={quote(MAIL_PW, safe='')}"]) and leaks([JSON_PW.lower()])
    assert not leaks(["nothing to see"])


def database_texts(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [repr(row) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"')]
    return rows + [path.read_bytes().decode("latin-1")]


def test_session_when_notify_urls_carry_secrets_then_none_appears_anywhere(
        tmp_path, paper_exchange):
    with http_receiver() as receiver, smtp_receiver() as smtp:
        json_url = receiver.url(userinfo=f"bob:{JSON_PW}", query=f"+X-Token={HEADER_TOKEN}")
        urls = f"{json_url} , {smtp.url('alice', MAIL_PW)}"
        settings = load_settings({"QT_NOTIFY_URLS": urls})
        with logs_as_the_operator_sees_them(secrets_of(settings)) as (raw, console, buffer):
            bot = start_bot(tmp_path, paper_exchange, urls)
            try:
                control = BotControl(bot)
                notify = NotificationControl(bot.c.notifier, bot.c.store)
                assert control.kill_switch(KillAction.HALT, "alice", "checking alerts").ok
                assert control.kill_switch(KillAction.RESUME, "alice", "done").ok
                ladder_fault(bot, paper_exchange)
                assert notify.set_notify_level("entry", "on", "alice").ok
                assert not notify.set_notify_level("naked", "off", "alice").ok
                assert notify.send_test_notification("alice").ok
                eventually(lambda: "INFO: test notification" in receiver.titles())
                eventually(lambda: smtp.messages)  # apprise spaces e-mails 5.5 s apart
                raw_page = make_dash(bot).server.test_client().get("/_dash-layout").get_data()
                page = json.dumps(json.loads(raw_page), ensure_ascii=False)  # \u002f -> /
                status = repr(bot.c.notifier.status())
            finally:
                bot.shutdown()
        # the channels really carried the credentials
        assert receiver.requests[0].headers.get("X-Token") == HEADER_TOKEN
        assert receiver.requests[0].headers.get("Authorization", "").startswith("Basic ")
        assert ("alice", MAIL_PW) in smtp.logins
        assert f"json://127.0.0.1:{receiver.port}" in page
        assert f"mailto://127.0.0.1:{smtp.port}" in page
        sent = [str(r.body) for r in receiver.requests] + [m.as_string() for m in smtp.messages]
    sender_side = [r.getMessage() for r in raw if not r.name.startswith("mail.log")]
    assert leaks(console.getvalue().splitlines()) == []
    assert leaks(line.text for line in buffer.lines(5000)) == []
    assert leaks(sender_side) == []  # not even before the filter (the receiver's log aside)
    assert set(SECRETS) <= set(secrets_of(settings))  # and the filter would catch them anyway
    assert leaks([str(settings.dump()), repr(settings), str(settings), page, status,
                  raw_page.decode()]) == []
    assert leaks(sent) == []
    assert leaks(database_texts(tmp_path / "bot.db")) == []
    assert len(raw) > 100 and any("apprise" == r.name for r in raw)  # the grep had material
