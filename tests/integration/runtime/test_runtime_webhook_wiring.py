"""app.py's webhook wiring: the kill switch's gate, the dedupe window and the minimum stop
distance come from the running bot and its settings, not from register_webhook's defaults."""

from __future__ import annotations

from decimal import Decimal

from app import make_dash
from bot.domain import EventKind, KillAction
from bot.runtime.assembly import build
from bot.runtime.bot import Bot
from bot.runtime.control import BotControl
from bot.settings import load_settings
from tests.fixtures.paper import API_KEY, API_SECRET

TOKEN = "wiring-token-4d1e"
HEADERS = {"X-QT-Token": TOKEN}


def start_bot(tmp_path, paper, **extra) -> Bot:
    env = {"QT_DB_URL": f"sqlite:///{tmp_path}/bot.db", "QT_PAPER_API_KEY": API_KEY,
           "QT_PAPER_API_SECRET": API_SECRET, "QT_WEBHOOK_TOKEN": TOKEN,
           "QT_SYMBOLS": "BTCUSDT,ETHUSDT,ATOMUSDT", **extra}
    bot = Bot(build(load_settings(env), paper=paper))
    bot.start(scheduler=False)
    return bot


def test_make_dash_when_bot_halted_then_webhook_answers_409_and_queues_nothing(
        tmp_path, paper_exchange):
    bot = start_bot(tmp_path, paper_exchange)
    try:
        assert BotControl(bot).kill_switch(KillAction.HALT, "operator", "wiring").ok
        client = make_dash(bot).server.test_client()
        response = client.post("/api/signals", headers=HEADERS,
                               json={"symbol": "ATOMUSDT", "side": "BUY", "confidence": 0.9})
        assert response.status_code == 409, response.get_json()
        assert response.get_json() == {"error": "halted", "state": "HALTED",
                                       "reason": "kill switch is HALTED: no new entries"}
        assert len(bot.c.queue) == 0
    finally:
        bot.shutdown()


def test_make_dash_when_same_alert_twice_then_second_is_a_duplicate_per_settings(
        tmp_path, paper_exchange):
    bot = start_bot(tmp_path, paper_exchange, QT_WEBHOOK_DEDUPE_S="60")
    try:
        client = make_dash(bot).server.test_client()
        body = {"symbol": "ATOMUSDT", "side": "BUY", "confidence": 0.9}
        first = client.post("/api/signals", headers=HEADERS, json=body)
        again = client.post("/api/signals", headers=HEADERS, json=body)
        assert first.status_code == 202
        assert (again.status_code, again.get_json()["status"]) == (200, "duplicate")
        assert len(bot.c.queue) == 1
    finally:
        bot.shutdown()


def test_make_dash_when_stop_closer_than_setting_to_mark_then_422(tmp_path, paper_exchange):
    bot = start_bot(tmp_path, paper_exchange, QT_MIN_STOP_DISTANCE_PCT="0.5")
    try:
        client = make_dash(bot).server.test_client()
        mark = bot.c.exchange.mark_price("ATOMUSDT")
        stop = (mark * Decimal("0.998")).quantize(Decimal("0.001"))  # 0.2 % below
        response = client.post("/api/signals", headers=HEADERS, json={
            "symbol": "ATOMUSDT", "side": "BUY", "confidence": 0.9, "stop": str(stop)})
        assert response.status_code == 422, response.get_json()
        [problem] = response.get_json()["problems"]
        assert problem.startswith(f"stop: {stop} is only") and "at least 0.5 %" in problem
        assert len(bot.c.queue) == 0
        assert bot.c.store.events(kinds=[EventKind.SIGNAL_REJECTED])
    finally:
        bot.shutdown()
