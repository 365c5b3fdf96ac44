"""A page that loses its server says so within two poll periods and recovers by itself."""

from __future__ import annotations

import os
import re
import time

import pytest

from dashboard import create_app, ids
from tests.browser.test_dashboard_browser import Page, browser  # noqa: F401  (fixture)
from tests.fixtures.dashboard import CHROMIUM, FakeControl, ServedApp

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

POLL_MS = 1000
# what Chromium and dash-renderer log for each request to a server that is gone: expected
_REFUSED = re.compile(
    r"net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE|SOCKET_NOT_CONNECTED)"
    r"|Callback failed: the server did not respond"
)


def test_connection_when_server_stops_then_banner_within_two_polls_and_clears_when_back(
        browser):  # noqa: F811
    fake = FakeControl()
    fake.add_position("ATOMUSDT")
    app = create_app(fake, mode_label="paper", poll_ms=POLL_MS, snapshot_ttl=0,
                     now=lambda: fake.now)
    first = ServedApp(app.server).__enter__()
    second = None
    page = Page(browser, first.url)
    try:
        p = page.open()
        status = p.locator(f"#{ids.CONNECTION_STATUS}")
        expect(status).to_have_text(re.compile(r"^updated \d+ s ago$"), timeout=10_000)
        expect(status).to_have_attribute("data-state", "live")

        first.stop()
        stopped = time.monotonic()
        expect(status).to_have_attribute("data-state", re.compile("disconnected|stale"),
                                          timeout=2 * POLL_MS)
        noticed = time.monotonic() - stopped
        expect(status).to_contain_text(re.compile("DISCONNECTED|STALE"))
        expect(status).to_have_class(re.compile("qs-connection-lost"))
        assert noticed <= 2 * POLL_MS / 1000 + 0.25, noticed

        fake.add_position("XRPUSDT")  # changes while the page cannot see them
        second = ServedApp(app.server, port=first.port).__enter__()
        expect(status).to_have_attribute("data-state", "live", timeout=15_000)
        expect(status).to_have_text(re.compile(r"^updated \d+ s ago$"))
        expect(p.locator('tr[data-symbol="XRPUSDT"]')).to_have_count(1)  # polling resumed
        assert p.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    finally:
        page.context.close()
        first.stop()
        if second is not None:
            second.stop()
    assert [m for m in page.problems if not _REFUSED.search(m)] == []
