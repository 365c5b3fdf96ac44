"""As assembled for the embedded paper venue, the stream keeps its listenKey alive on the
venue's clock, and the monitor's re-check requests are kept by the stream's reactor, or by
the re-check timer when the stream is off."""

from __future__ import annotations

from bot.domain import StreamState
from bot.runtime.assembly import build
from bot.runtime.stream_reactor import RecheckTimer
from tests.fixtures.paper import eventually
from tests.integration.runtime.test_runtime_app import settings_for
from tests.integration.stream.test_stream_reaction import Hooks

MINUTE_MS = 60_000


def test_build_when_embedded_venue_then_listen_key_kept_alive_on_its_clock(
        tmp_path, paper_exchange) -> None:
    c = build(settings_for(tmp_path), paper=paper_exchange)
    assert c.stream is not None and c.rechecks is None
    try:
        c.stream.start(Hooks())
        eventually(lambda: c.stream.status().state is StreamState.UP, message="connects")
        keys = paper_exchange.stream.keys
        [key] = list(keys)
        first_expiry = keys.expiry_ms(key) or 0
        paper_exchange.control.advance(31 * MINUTE_MS)  # half a key's life, no wall time
        eventually(lambda: (keys.expiry_ms(key) or 0) > first_expiry, timeout=4,
                   message="keepalive on the venue's clock")
    finally:
        c.stream.stop()
        c.notifier.stop()
        c.store.close()


def test_build_when_stream_off_then_recheck_timer_keeps_the_monitors_requests(
        tmp_path, paper_exchange) -> None:
    c = build(settings_for(tmp_path, QT_STREAM_ENABLED="false"), paper=paper_exchange)
    assert c.stream is None and isinstance(c.rechecks, RecheckTimer)
    hooks = Hooks()
    try:
        c.rechecks.start(hooks)
        c.protection.checks.at("ETHUSDT", c.clock())  # what the monitor asks at a grace end
        eventually(lambda: hooks.refreshed >= 1, message="the timer ran the targeted check")
        assert c.protection.checks.scheduled() == ()
    finally:
        c.rechecks.stop()
        c.notifier.stop()
        c.store.close()
