"""The real app in headless Chromium: Bot + paper exchange + SQLite + dashboard, end to end.

Unlike test_dashboard_browser.py (a FakeControl), every badge here comes from
the real monitor reading the paper venue over python-binance, and every click
lands in the real kill switch and rule book, stored in a SQLite file.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

from app import make_dash
from bot.domain import EventKind, KillState
from bot.runtime.assembly import build
from bot.runtime.bot import Bot
from bot.settings import load_settings
from dashboard import ids
from tests.browser.test_dashboard_browser import Page, browser  # noqa: F401  (fixture)
from tests.fixtures.dashboard import CHROMIUM, SHORT_BLOCK, ServedApp
from tests.fixtures.paper import API_KEY, API_SECRET, eventually, make_client

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

TOKEN = "e2e-hook-token"
UI_MS = 10_000  # the dashboard polls every 2 s; a scheduled job adds up to 1 s


def settings_for(tmp_path, **extra):
    env = {
        "QT_DB_URL": f"sqlite:///{tmp_path}/bot.db",
        "QT_PAPER_API_KEY": API_KEY,
        "QT_PAPER_API_SECRET": API_SECRET,
        "QT_WEBHOOK_TOKEN": TOKEN,
        "QT_SYMBOLS": "BTCUSDT,ETHUSDT,ATOMUSDT,XRPUSDT",
        "QT_MONITOR_INTERVAL_S": "1",
        "QT_NAKED_GRACE_S": "0",
    }
    env.update(extra)
    return load_settings(env)


class Running:
    """One bot with its dashboard served on loopback; closed in reverse order."""

    def __init__(self, tmp_path, paper, *, scheduler: bool, **extra):
        self.bot = Bot(build(settings_for(tmp_path, **extra), paper=paper))
        self.bot.start(scheduler=scheduler)
        self.served = ServedApp(make_dash(self.bot).server).__enter__()
        self.url = self.served.url

    def signal(self, symbol: str, side: str, confidence: float = 0.9,
               expect: int = 202) -> dict:
        body = json.dumps({"symbol": symbol, "side": side, "confidence": confidence}).encode()
        req = urllib.request.Request(self.url + "/api/signals", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-QT-Token": TOKEN})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, payload = resp.status, resp.read()
        except urllib.error.HTTPError as exc:  # 4xx: the answer is the point
            status, payload = exc.code, exc.read()
        assert status == expect, (status, payload)
        return json.loads(payload or b"{}")

    def close(self) -> None:
        self.served.__exit__(None, None, None)
        self.bot.shutdown()


@pytest.fixture
def run(tmp_path, paper_exchange):
    started: list[Running] = []

    def start(*, scheduler: bool, **extra) -> Running:
        r = Running(tmp_path, paper_exchange, scheduler=scheduler, **extra)
        started.append(r)
        return r

    yield start
    for r in reversed(started):
        r.close()


@pytest.fixture
def pages(browser):  # noqa: F811
    opened: list[Page] = []

    def open_page(url: str):
        page = Page(browser, url)
        opened.append(page)
        return page.open()

    open_page.problems = lambda: [p for page in opened for p in page.problems]
    yield open_page
    for page in opened:
        page.context.close()
    assert [p for page in opened for p in page.problems] == []


def row(page, symbol: str):
    return page.locator(f'tr[data-symbol="{symbol}"]')


def confirm_kill(page, button: str, reason: str) -> None:
    page.locator(f"#{button}").click()
    page.locator(f"#{ids.KILL_REASON}").fill(reason)
    page.locator(f"#{ids.KILL_CONFIRM}").click()


def test_scheduled_bot_when_webhook_opens_position_then_page_shows_it_covered(
        run, pages, paper_exchange):
    """No job is called by the test: the scheduler's executor and monitor do the work."""
    app = run(scheduler=True)
    page = pages(app.url)
    expect(page.locator(f"#{ids.HEADER_MODE}")).to_have_text("PAPER")
    expect(page.locator(f"#{ids.HEADER_KILL}")).to_have_text("RUNNING")
    expect(page.locator("tr[data-symbol]")).to_have_count(0)
    assert pages.problems() == []  # console errors, page errors, off-host requests

    app.signal("ATOMUSDT", "BUY")

    expect(row(page, "ATOMUSDT").locator(".qs-coverage")).to_have_text("COVERED", timeout=UI_MS)
    state = paper_exchange.control.state()
    assert set(state["positions"]) == {"ATOMUSDT"}
    assert state["openAlgoOrders"] == 1
    expect(page.locator('[data-kpi="coverage"]')).to_contain_text("1 / 1", timeout=UI_MS)


def test_stop_silently_cancelled_when_monitor_cycles_then_naked_then_covered_again(
        run, pages, paper_exchange):
    app = run(scheduler=False)
    app.signal("XRPUSDT", "BUY")
    app.bot.run_executor()
    app.bot.run_monitor()
    page = pages(app.url)
    expect(row(page, "XRPUSDT").locator(".qs-coverage")).to_have_text("COVERED", timeout=UI_MS)

    client = make_client(paper_exchange)
    [stop] = client.futures_get_open_algo_orders(symbol="XRPUSDT")
    paper_exchange.control.silent_cancel(stop["algoId"])
    assert paper_exchange.control.state()["openAlgoOrders"] == 0

    app.bot.run_monitor()  # finds the position naked and protects it at once (grace 0)
    expect(row(page, "XRPUSDT").locator(".qs-coverage")).to_have_text("NAKED", timeout=UI_MS)
    naked = app.bot.c.store.events(kinds=[EventKind.NAKED_DETECTED], symbol="XRPUSDT")
    assert len(naked) == 1
    assert paper_exchange.control.state()["openAlgoOrders"] == 1

    app.bot.run_monitor()  # the next cycle reads the new stop
    expect(row(page, "XRPUSDT").locator(".qs-coverage")).to_have_text("COVERED", timeout=UI_MS)
    [again] = client.futures_get_open_algo_orders(symbol="XRPUSDT")
    assert again["algoId"] != stop["algoId"]


def test_short_block_when_switched_off_in_browser_then_same_short_allowed(
        run, pages, paper_exchange):
    # 1-minute candles and tiny EMAs: a 40-minute BTC climb through the venue is an uptrend
    app = run(scheduler=False, QT_REGIME_INTERVAL="1m", QT_REGIME_FAST="2",
              QT_REGIME_SLOW="3", QT_REGIME_ADX_MIN="0")
    base = Decimal(paper_exchange.control.state()["prices"]["BTCUSDT"]["last"])
    for minute in range(40):
        paper_exchange.control.set_price("BTCUSDT", base * (1 + Decimal(minute) / 200))
        paper_exchange.control.advance(60_000)
    assert app.bot.c.regime.refresh().regime.value == "UPTREND"
    page = pages(app.url)
    expect(page.locator(f"#{ids.HEADER_REGIME}")).to_contain_text("UPTREND", timeout=UI_MS)

    app.signal("ETHUSDT", "SELL", confidence=0.6)
    app.bot.run_executor()
    denied = app.bot.c.store.events(kinds=[EventKind.DECISION_DENIED], symbol="ETHUSDT")
    assert [e.details["rule"] for e in denied] == [SHORT_BLOCK]
    assert paper_exchange.control.state()["positions"] == {}

    switch = page.locator(f'[data-rule="{SHORT_BLOCK}"] input[type="checkbox"]')
    expect(switch).to_be_checked()
    switch.click()
    page.locator(f"#{ids.RULES_REASON}").fill("e2e: allow the short")
    page.locator(f"#{ids.RULES_CONFIRM}").click()
    expect(page.locator(f'[data-rule="{SHORT_BLOCK}"]')).to_contain_text("switched off")
    eventually(lambda: not next(r for r in app.bot.c.rulebook.views() if r.name == SHORT_BLOCK)
               .enabled, timeout=5, message="rule still on in the rule book")
    (audited,) = app.bot.c.store.audit_trail(key_prefix=f"rule.{SHORT_BLOCK}.")
    assert (audited.old, audited.new, audited.note) == ("true", "false", "e2e: allow the short")

    paper_exchange.control.advance(60_000)  # a later signal, not the first one again
    app.signal("ETHUSDT", "SELL", confidence=0.6)
    app.bot.run_executor()
    positions = paper_exchange.control.state()["positions"]
    assert set(positions) == {"ETHUSDT"}
    assert len(app.bot.c.store.events(kinds=[EventKind.DECISION_DENIED],
                                      symbol="ETHUSDT")) == 1


def test_halt_from_browser_when_app_restarts_then_still_halted_and_no_entry(
        run, pages, paper_exchange):
    first = run(scheduler=False)
    page = pages(first.url)
    confirm_kill(page, ids.KILL_HALT, "e2e halt")
    expect(page.locator(f"#{ids.HEADER_KILL}")).to_have_text("HALTED", timeout=UI_MS)
    assert first.bot.c.killswitch.state == KillState.HALTED

    assert first.signal("ATOMUSDT", "BUY", expect=409)["error"] == "halted"
    first.bot.run_executor()
    assert paper_exchange.control.state()["positions"] == {}
    page.close()  # the old tab would only report the stopped server as refused connections
    first.close()

    second = run(scheduler=False)
    assert second.bot.c.killswitch.state == KillState.HALTED
    page = pages(second.url)
    expect(page.locator(f"#{ids.HEADER_KILL}")).to_have_text("HALTED", timeout=UI_MS)
    assert second.signal("ATOMUSDT", "BUY", expect=409)["error"] == "halted"
    second.bot.run_executor()
    assert paper_exchange.control.state()["positions"] == {}


@pytest.mark.parametrize("scheduler", [False, True])
def test_flatten_from_browser_when_positions_open_then_flat_and_halted(
        run, pages, paper_exchange, scheduler):
    app = run(scheduler=scheduler)
    app.signal("ATOMUSDT", "BUY")
    app.signal("XRPUSDT", "BUY")
    if not scheduler:
        app.bot.run_executor()
        app.bot.run_monitor()
    page = pages(app.url)
    for symbol in ("ATOMUSDT", "XRPUSDT"):
        expect(row(page, symbol).locator(".qs-coverage")).to_have_text("COVERED", timeout=UI_MS)

    confirm_kill(page, ids.KILL_FLATTEN, "e2e flatten")
    eventually(lambda: app.bot.c.killswitch.state != KillState.RUNNING, timeout=5,
               message="FLATTEN did not reach the kill switch")
    if not scheduler:
        app.bot.run_monitor()  # the cycle FLATTEN wakes: close, then cancel the stops

    eventually(lambda: paper_exchange.control.state()["positions"] == {}, timeout=15,
               message="positions still open after FLATTEN")
    eventually(lambda: app.bot.c.killswitch.state == KillState.HALTED, timeout=10)
    expect(page.locator(f"#{ids.HEADER_KILL}")).to_have_text("HALTED", timeout=UI_MS)
    expect(page.locator("tr[data-symbol]")).to_have_count(0, timeout=UI_MS)
    assert paper_exchange.control.state()["openAlgoOrders"] == 0
