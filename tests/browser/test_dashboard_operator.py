"""The operator's review, in the browser: numbers, clocks, the kill switch, empty states,
accessibility and the phone. Writes the phone screenshots to docs/screenshots/."""

from __future__ import annotations

import os
import re

import pytest

from bot.domain import Coverage, Direction, KillState, Severity
from dashboard import create_app, ids
from tests.browser.test_dashboard_browser import (  # noqa: F401  (browser is a fixture)
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Page,
    browser,
)
from tests.fixtures.dashboard import CHROMIUM, FakeControl, ServedApp, populated

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

POLL_MS = 500
LONG_ENTRY = "96325.64093959731543624161074"


def busy_fake() -> FakeControl:
    fake = FakeControl()
    fake.add_position("BTCUSDT", quantity="0.015", entry=LONG_ENTRY, mark="96400.1",
                      stop="95000", take_profit="99000")
    fake.add_position("ETHUSDT", Direction.SHORT, quantity="0.5", entry="3120.5",
                      mark="3101.2", stop="3190")
    fake.add_position("DOGEUSDT", coverage=Coverage.NAKED, quantity="1500", entry="0.1",
                      mark="0.099")
    fake.add_red_flag("NAKED", symbol="DOGEUSDT", severity=Severity.CRITICAL,
                      message="No covering stop for 12 s; protecting")
    fake.add_activity("[SHIELD] Placing IMMEDIATE SL for DOGEUSDT: SELL @ 0.097")
    history = populated(1)
    fake.equity_curve, fake.regime_history = history.equity_curve, history.regime_history
    return fake


@pytest.fixture
def serve(browser):  # noqa: F811
    """``serve(fake, **page_args)`` -> an opened page; closed and checked for errors after."""
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


def test_operator_numbers_when_entry_has_many_decimals_then_rounded_grouped_right_aligned(serve):
    p = serve(busy_fake()).open()
    row = p.locator('tr[data-symbol="BTCUSDT"]')
    entry = row.locator("td").nth(3)
    expect(entry).to_have_text("96,325.64")
    assert entry.evaluate("td => getComputedStyle(td).textAlign") == "right"
    expect(p.locator('[data-kpi="loss-per-stop"]')).to_contain_text("−0.74%")


def test_operator_clock_when_browser_elsewhere_then_utc_shown_and_local_time_on_hover(serve):
    p = serve(busy_fake(), timezone_id="Asia/Tokyo").open()
    stamp = p.locator('[data-flag-label="NAKED"] [data-utc]')
    expect(stamp).to_have_text("12:00:00 UTC")
    expect(stamp).to_have_attribute("title", re.compile(r"21:00:00"))  # Tokyo is UTC+9
    clock = p.locator(f"#{ids.HEADER_CLOCK} [data-utc]")
    expect(clock).to_have_text("bot clock 12:00:00 UTC")
    expect(clock).to_have_attribute("title", re.compile(r"local time: .*21:00:00"))


def test_operator_kill_when_dialog_reopened_then_clean_and_flatten_lists_positions(serve):
    fake = busy_fake()
    p = serve(fake).open()
    halt, flatten, resume = (p.locator(f"header #{b}, nav #{b}") for b in
                             (ids.KILL_HALT, ids.KILL_FLATTEN, ids.KILL_RESUME))
    expect(halt).to_be_enabled()
    expect(resume).to_be_disabled()  # RUNNING: nothing to resume
    flatten.click()
    modal = p.locator(".modal-dialog")
    expect(modal.locator(f"#{ids.KILL_FLATTEN_LIST}")).to_contain_text("3 positions to close")
    expect(modal.locator(f"#{ids.KILL_FLATTEN_LIST}")).to_contain_text("1,550.60")  # ETH
    p.locator(f"#{ids.KILL_CANCEL}").click()
    halt.click()
    p.locator(f"#{ids.KILL_REASON}").fill("drill one")
    p.locator(f"#{ids.KILL_CONFIRM}").click()
    expect(p.locator(f"#{ids.KILL_RESULT}")).to_have_text("HALT engaged")
    expect(halt).to_be_disabled()
    expect(resume).to_be_enabled()
    resume.click()
    expect(p.locator(f"#{ids.KILL_REASON}")).to_have_value("")  # not "drill one"
    expect(p.locator(f"#{ids.KILL_RESULT}")).to_have_text("")
    expect(modal).not_to_contain_text("positions to close")
    p.locator(f"#{ids.KILL_CONFIRM}").click()
    expect(p.locator(f"#{ids.HEADER_KILL}")).to_have_text(KillState.RUNNING.value)


def test_operator_empty_when_no_data_then_neutral_words_and_graphs_keep_their_height(serve):
    fake = FakeControl()
    fake.snapshot_delay = 0.5  # the first answers arrive after the page has painted
    page = serve(fake)
    p = page.page
    p.goto(page.url)
    graphs = [f"#{g}" for g in (ids.CHART_PRICE, ids.CHART_EQUITY, ids.CHART_REGIME)]
    expect(p.locator(f"#{ids.CHART_EQUITY} .main-svg").first).to_be_visible()
    before = [p.locator(g).bounding_box()["height"] for g in graphs]
    expect(p.locator('[data-kpi="coverage"]')).to_contain_text("none open", timeout=10_000)
    coverage = p.locator('[data-kpi="coverage"] .qs-kpi-value')
    expect(coverage).not_to_have_class(re.compile("text-success"))
    expect(p.locator(f"#{ids.CHART_PRICE}")).to_contain_text("No open positions")
    expect(p.locator(f"#{ids.CHART_EQUITY}")).to_contain_text("No equity history yet")
    expect(p.locator(f"#{ids.POSITIONS_TABLE}")).to_contain_text("No open positions")
    after = [p.locator(g).bounding_box()["height"] for g in graphs]
    assert before == after


def test_operator_a11y_when_main_page_loaded_then_no_serious_or_critical_axe_findings(serve):
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    p = serve(busy_fake()).open()
    expect(p.locator('tr[data-symbol="BTCUSDT"]')).to_be_visible()
    expect(p.locator(f"#{ids.CHART_PRICE} .main-svg").first).to_be_visible()
    results = axe.Axe().run(p).response
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == []
    saves = p.get_by_role("button", name=re.compile(r"^Save "))
    names = [saves.nth(i).evaluate("b => b.textContent") for i in range(saves.count())]
    assert len(names) == len(set(names)) == 3


def test_operator_phone_when_390_wide_then_no_side_scroll_cards_and_kill_in_header(serve):
    page = serve(busy_fake(), viewport=PHONE, is_mobile=True, has_touch=True)
    p = page.open()
    cards = p.locator(f"#{ids.POSITIONS_CARDS} [data-symbol]")
    expect(cards).to_have_count(3)
    naked = p.locator(f'#{ids.POSITIONS_CARDS} [data-symbol="DOGEUSDT"]')
    expect(naked).to_contain_text("NAKED")
    expect(naked).to_contain_text("LONG")
    expect(p.locator('tr[data-symbol="BTCUSDT"]')).to_be_hidden()
    halt = p.locator(f"nav #{ids.KILL_HALT}")
    expect(halt).to_be_in_viewport()
    p.wait_for_timeout(300)  # let the charts settle before measuring and photographing
    assert p.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(SCREENSHOTS / "phone.png"))
    p.mouse.wheel(0, 1500)
    expect(halt).to_be_in_viewport()  # the header is sticky
    halt.click()
    expect(p.locator(".modal-dialog")).to_contain_text("HALT")
    p.wait_for_function("getComputedStyle(document.querySelector('.modal.show')).opacity === '1'")
    p.screenshot(path=str(SCREENSHOTS / "phone-kill-switch.png"))
    assert DESKTOP["width"] > PHONE["width"]
