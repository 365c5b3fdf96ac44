"""The books in headless Chromium: closed trades, performance, signals, audit, red-flag
incidents and the activity filters, with axe on every tab. Writes their screenshots."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain import Coverage, Direction, Severity
from dashboard import create_app, ids, tabs
from tests.browser.test_dashboard_browser import (  # noqa: F401  (browser is a fixture)
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Page,
    browser,
)
from tests.fixtures.dashboard import (
    CHROMIUM,
    FakeControl,
    ServedApp,
    add_books,
    eventually,
    populated,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

POLL_MS = 500


def books_fake() -> FakeControl:
    fake = FakeControl()
    fake.add_position("BTCUSDT", quantity="0.015", entry="96325.64", mark="96400.1",
                      stop="95000", take_profit="99000", leverage=20, reprotected_s_ago=400,
                      last_naked_s=9)
    fake.add_position("ETHUSDT", Direction.SHORT, quantity="0.5", entry="3120.5", mark="3101.2",
                      stop="3190")
    fake.add_position("DOGEUSDT", coverage=Coverage.NAKED, quantity="1500", entry="0.1",
                      mark="0.099")
    fake.add_red_flag("NAKED", symbol="DOGEUSDT", severity=Severity.CRITICAL,
                      message="No covering stop for 12 s; protecting")
    history = populated(1)
    fake.equity_curve, fake.regime_history = history.equity_curve, history.regime_history
    fake.unrealized_now = sum(pos.unrealized_pnl for pos in fake.positions.values())
    return add_books(fake)


@pytest.fixture
def serve(browser):  # noqa: F811
    opened: list[tuple[Page, ServedApp]] = []

    def start(fake: FakeControl, **page_args):
        app = create_app(fake, mode_label="paper", poll_ms=POLL_MS, snapshot_ttl=0,
                         now=lambda: fake.now)
        srv = ServedApp(app.server).__enter__()
        page = Page(browser, srv.url, **page_args)
        opened.append((page, srv))
        return page

    yield start
    for page, srv in opened:
        page.context.close()
        srv.stop()
    assert [m for page, _ in opened for m in page.problems] == []


def open_tab(p, label: str):
    p.get_by_role("tab", name=label).click()
    return p


def axe_findings(p) -> list:
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    results = axe.Axe().run(p).response
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def test_books_trades_when_filtered_and_paged_then_rows_follow_and_csv_downloads(serve):
    fake = books_fake()
    page = serve(fake)
    p = open_tab(page.open(), "Closed trades")
    card = p.locator(f"#{ids.CLOSED_TRADES}")
    rows = card.locator(f"#{ids.TRADES_TABLE} tr[data-trade-id]")
    expect(rows).to_have_count(50)
    expect(card.locator(f"#{ids.TRADES_SUMMARY}")).to_have_text("1–50 of 120 closed trades")
    card.locator(f"#{ids.TRADES_PAGER}").get_by_text("3", exact=True).click()
    expect(card.locator(f"#{ids.TRADES_SUMMARY}")).to_have_text("101–120 of 120 closed trades")
    expect(rows).to_have_count(20)
    card.locator(f"#{ids.TRADES_REASON}").select_option("emergency")
    expect(card.locator(f"#{ids.TRADES_SUMMARY}")).to_have_text("1–15 of 15 closed trades")
    expect(rows.first.locator("[data-reason]")).to_have_text("emergency")
    expect(rows.first).to_contain_text("−1.30R")
    assert axe_findings(p) == []
    p.wait_for_timeout(200)
    p.screenshot(path=str(SCREENSHOTS / "closed-trades.png"), full_page=True)
    with p.expect_download() as download:
        card.locator(f"#{ids.TRADES_EXPORT}").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("id,symbol,side,") and text.count("\n") == 1 + 15
    assert re.search(r",emergency,", text)


def test_books_trades_when_on_live_tab_then_never_read(serve):
    fake = books_fake()
    p = serve(fake).open()
    p.wait_for_timeout(3 * POLL_MS)
    assert fake.calls_to("closed_trades") == []
    open_tab(p, "Closed trades")
    expect(p.locator(f"#{ids.TRADES_TABLE} tr[data-trade-id]")).to_have_count(50)
    expect(p.locator(f'[data-page="{tabs.LIVE}"]')).to_be_hidden()
    p.reload()  # the chosen tab survives a reload of the page
    expect(p.locator(f'[data-page="{tabs.TRADES}"]')).to_be_visible()
    expect(p.locator(f'[data-page="{tabs.LIVE}"]')).to_be_hidden()


def test_books_performance_when_shown_then_tiles_tables_bars_and_equity_ranges(serve):
    fake = books_fake()
    p = open_tab(serve(fake).open(), "Performance")
    perf = p.locator(f"#{ids.PERFORMANCE}")
    expect(perf.locator('[data-perf="trades"] .qs-kpi-value')).to_have_text("120")
    expected = fake.performance()
    win_rate = f"{expected.win_rate * 100:.1f}%"
    expect(perf.locator('[data-perf="win-rate"] .qs-kpi-value')).to_have_text(win_rate)
    expect(perf.locator(f'#{ids.PERF_BY_REASON} [data-group="emergency"]')).to_contain_text(
        "emergency")
    expect(perf.locator(f"#{ids.PERF_BY_SYMBOL} tr[data-group]")).to_have_count(5)
    expect(perf.locator(f"#{ids.PERF_DAILY} .bars path").first).to_be_attached()
    expect(perf.locator(f"#{ids.PERF_EQUITY} .scatterlayer .trace")).to_have_count(2)
    perf.get_by_text("24h", exact=True).click()
    eventually(lambda: [c.args for c in fake.calls_to("equity_history")][-1:] == [
        (timedelta(hours=24),)], message="range not asked for")
    assert axe_findings(p) == []
    p.wait_for_timeout(300)
    p.screenshot(path=str(SCREENSHOTS / "performance.png"), full_page=True)


def test_books_positions_when_detail_opened_then_it_survives_a_redraw_and_risk_is_shown(serve):
    fake = books_fake()
    p = serve(fake).open()
    btc = p.locator('tr[data-symbol="BTCUSDT"]')
    expect(btc).to_contain_text("20×")
    expect(btc.locator(".qs-coverage-note")).to_have_text("re-protected 11:53:20 · naked 9s")
    expect(p.locator('tr[data-symbol="DOGEUSDT"] .qs-coverage-note')).to_have_text("naked 9s")
    btc.locator("summary").click()
    expect(btc.locator(".qs-stop-detail")).to_be_visible()
    expect(btc.locator(".qs-stop-detail")).to_contain_text("MARK_PRICE")
    fake.add_position("BTCUSDT", quantity="0.015", entry="96325.64", mark="96500.0",
                      stop="95000", take_profit="99000", leverage=20, reprotected_s_ago=400,
                      last_naked_s=9)  # a new mark: the rows are sent again
    expect(btc.locator("td").nth(4)).to_have_text("96,500.00")
    expect(btc.locator(".qs-stop-detail")).to_be_visible()
    p.wait_for_timeout(200)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p.locator(".card", has=p.locator(f"#{ids.POSITIONS_TABLE}")).screenshot(
        path=str(SCREENSHOTS / "positions-detail.png"))


def test_books_signals_when_denied_filtered_then_rule_and_reason_of_each(serve):
    fake = books_fake()
    p = open_tab(serve(fake).open(), "Signals")
    card = p.locator(f"#{ids.SIGNALS}")
    rows = card.locator(f"#{ids.SIGNALS_TABLE} tr[data-decision-id]")
    expect(rows).to_have_count(50)
    expect(card.locator(f"#{ids.SIGNALS_SUMMARY}")).to_have_text("1–50 of 60 signals")
    card.locator(f"#{ids.SIGNALS_VERDICT}").select_option("denied")
    expect(card.locator(f"#{ids.SIGNALS_SUMMARY}")).to_have_text("1–20 of 20 signals")
    expect(rows.first).to_contain_text("max_positions_per_symbol")
    expect(rows.first).to_contain_text("2 positions already open on the symbol (limit 2)")
    card.locator(f"#{ids.SIGNALS_RULE}").select_option("max_open_positions")
    expect(card.locator(f"#{ids.SIGNALS_SUMMARY}")).to_have_text("1–5 of 5 signals")
    card.locator(f"#{ids.SIGNALS_VERDICT}").select_option("*")
    assert axe_findings(p) == []
    p.wait_for_timeout(200)
    p.screenshot(path=str(SCREENSHOTS / "signals.png"), full_page=True)


def test_books_flags_when_ladder_incident_then_one_card_title_count_and_acknowledge_all(serve):
    from tests.unit.dashboard.test_dashboard_incidents import ladder_incident

    fake = books_fake()
    ladder_incident(fake)
    fake.add_red_flag("STREAM DOWN", severity=Severity.CRITICAL, kind="STREAM_DOWN",
                      message="user-data stream down for 45 s; polling every 2 s")
    p = serve(fake).open()
    incident = p.locator('[data-incident-labels="-2021 EMERGENCY CLOSE"]')
    expect(incident).to_contain_text("retry 2 refused → closed 36,504 at 0.1225, −7.30 USDT")
    expect(incident).to_contain_text("-2021 ×3")
    expect(p.locator(f"#{ids.HEADER_FLAGS}")).to_have_text("6")
    expect(p).to_have_title("(6) QuantShield")
    incident.get_by_text("4 flags").click()
    expect(incident.locator("[data-flag-id]")).to_have_count(4)
    assert axe_findings(p) == []
    p.locator(".card", has=p.locator(f"#{ids.FLAGS_LIST}")).screenshot(
        path=str(SCREENSHOTS / "red-flag-incidents.png"))
    p.locator(f"#{ids.FLAGS_ACK_ALL}").click()
    expect(p.locator(f"#{ids.HEADER_FLAGS}")).to_have_text("0")
    expect(p).to_have_title("QuantShield")
    expect(incident).to_contain_text("acknowledged")
    assert [c.args[1] for c in fake.calls_to("acknowledge_all")] == [6]


def test_books_audit_when_rule_switched_off_with_reason_then_listed_with_old_value(serve):
    fake = books_fake()
    p = serve(fake).open()
    p.locator('[data-rule="uptrend_short_block"] input[type="checkbox"]').click()
    p.locator(f"#{ids.RULES_REASON}").fill("regime feed under maintenance")
    p.locator(f"#{ids.RULES_CONFIRM}").click()
    expect(p.locator(".modal-dialog")).to_have_count(0)
    p.locator(f"nav #{ids.KILL_HALT}").click()
    p.locator(f"#{ids.KILL_REASON}").fill("drill")
    p.locator(f"#{ids.KILL_CONFIRM}").click()
    expect(p.locator(f"#{ids.HEADER_KILL}")).to_have_text("HALTED")
    open_tab(p, "Audit")
    rows = p.locator(f"#{ids.AUDIT_TABLE} tr[data-audit-key]")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("kill switch")
    expect(rows.first).to_contain_text("RUNNING → HALTED")
    expect(rows.nth(1)).to_contain_text("uptrend_short_block · enabled")
    expect(rows.nth(1)).to_contain_text("true → false")
    expect(rows.nth(1)).to_contain_text("regime feed under maintenance")
    assert axe_findings(p) == []
    p.screenshot(path=str(SCREENSHOTS / "audit.png"))


def test_books_activity_when_filtered_then_list_narrows_and_new_matches_still_arrive(serve):
    from tests.unit.dashboard.test_dashboard_activity_filters import LINES

    fake = books_fake()
    for line in LINES:
        fake.add_activity(line.text, level=line.level, at=line.at)
    p = serve(fake).open()
    log = p.locator(f"#{ids.ACTIVITY_LIST} .qs-log-line")
    expect(log).to_have_count(4)
    p.locator(f"#{ids.ACTIVITY_KIND}").select_option("SHIELD")
    expect(log).to_have_count(2)
    p.locator(f"#{ids.ACTIVITY_SEARCH}").fill("emergency")
    expect(log).to_have_count(1)
    expect(log.first).to_contain_text("DOGEUSDT")
    p.locator(f"#{ids.ACTIVITY_SEARCH}").fill("")
    p.locator(f"#{ids.ACTIVITY_LEVEL}").select_option("WARNING")
    expect(log).to_have_count(1)
    fake.add_activity("[SHIELD] STOP REJECTED for ETHUSDT (-2021)", level="WARNING",
                      at=fake.now + timedelta(seconds=1))
    fake.add_activity("[SHIELD] SL kept for ETHUSDT", at=fake.now + timedelta(seconds=1))
    expect(log).to_have_count(2)  # the warning arrived by the poll; the INFO line did not
    expect(log.first).to_contain_text("STOP REJECTED")
    p.locator(f"#{ids.ACTIVITY_SYMBOL}").fill("ETHUSDT")
    p.locator(f"#{ids.ACTIVITY_SYMBOL}").press("Enter")
    expect(log).to_have_count(1)
    card = p.locator(".card", has=p.locator(f"#{ids.ACTIVITY_LIST}"))
    card.screenshot(path=str(SCREENSHOTS / "activity.png"))


@pytest.mark.parametrize(("label", "tab", "ready"), [
    ("Closed trades", tabs.TRADES, f"#{ids.TRADES_TABLE} tr[data-trade-id]"),
    ("Performance", tabs.PERFORMANCE, f"#{ids.PERF_BY_SYMBOL} tr[data-group]"),
    ("Signals", tabs.SIGNALS, f"#{ids.SIGNALS_TABLE} tr[data-decision-id]"),
])
def test_books_phone_when_390_wide_then_tab_usable_without_side_scroll(serve, label, tab, ready):
    page = serve(books_fake(), viewport=PHONE, is_mobile=True, has_touch=True)
    p = open_tab(page.open(), label)
    expect(p.locator(ready).first).to_be_visible()
    expect(p.locator(f"nav #{ids.KILL_HALT}")).to_be_in_viewport()
    p.wait_for_timeout(300)
    assert p.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    p.screenshot(path=str(SCREENSHOTS / f"phone-{tab}.png"))
