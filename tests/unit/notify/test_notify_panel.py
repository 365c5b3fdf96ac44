"""The dashboard's notifications panel (pure builders) and the control behind it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.notify import (
    ChannelStatus,
    DeliveryRecord,
    NotifierStatus,
    NotifyCategory,
    NotifyLevel,
)
from bot.notify.channel import Channel, DeliveryPolicy
from bot.notify.levels import PREFIX
from bot.notify.notifier import Notifier
from bot.runtime.notify_control import NotificationControl
from dashboard import notifications as panel
from tests.unit.notify.fakes import FakeSender
from tests.unit.notify.test_notify_settings import FakeLevelStore

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def text_of(component) -> str:
    """Every string in a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


def status(**kw) -> NotifierStatus:
    base = dict(enabled=True, levels=tuple((c, NotifyLevel.ON) for c in NotifyCategory))
    return NotifierStatus(**{**base, **kw})


def test_channel_rows_when_channel_failing_then_error_and_counts_shown():
    failing = ChannelStatus("tgram://****", sent=2, failed=1, dropped=3, last_attempt_at=AT,
                            last_ok_at=datetime(2025, 3, 1, 11, tzinfo=UTC),
                            last_error="Unauthorized")
    text = text_of(panel.channel_rows(status(channels=(failing,))))
    assert "failing" in text and "tgram://****" in text and "last error: Unauthorized" in text
    assert "sent 2 · failed 1 · dropped 3" in text


def test_channel_rows_when_no_channel_then_says_how_to_add_one():
    assert "QT_NOTIFY_URLS" in text_of(panel.channel_rows(status(enabled=False)))


def test_history_rows_when_deliveries_then_newest_first_with_attempts():
    history = (DeliveryRecord(AT, "json://h:1", "CRITICAL: BTCUSDT NAKED past grace", "naked",
                              True, 3),
               DeliveryRecord(AT, "json://h:1", "INFO: test", "test", False, 1, "timeout"))
    text = text_of(panel.history_rows(status(history=history)))
    assert text.index("NAKED past grace") < text.index("INFO: test")
    assert "after 3 attempts" in text and "timeout" in text


def test_level_rows_when_always_on_then_off_option_disabled():
    rows = panel.level_rows(status())
    by_category = {getattr(r, "data-category"): r for r in rows}
    naked = by_category["naked"].children[0].children[1].children
    entry = by_category["entry"].children[0].children[1].children
    assert [o["disabled"] for o in naked.options] == [False, False, True]
    assert not any(o["disabled"] for o in entry.options)


def test_layout_when_no_api_then_panel_says_not_wired():
    assert "not wired" in text_of(panel.layout(None))


def control(sender: FakeSender | None = None, store: FakeLevelStore | None = None):
    channels = [Channel("json://h:1", sender or FakeSender(), DeliveryPolicy())]
    notifier = Notifier(channels)
    store = store or FakeLevelStore({})
    return NotificationControl(notifier, store), notifier, store


def test_set_notify_level_when_valid_then_effective_and_saved_with_actor():
    api, notifier, store = control()
    result = api.set_notify_level("entry", "silent", "alice")
    assert result.ok and notifier.level(NotifyCategory.ENTRY) is NotifyLevel.SILENT
    assert store.saved == {PREFIX + "entry": "silent"}


def test_set_notify_level_when_always_on_off_then_refused_and_nothing_saved():
    api, notifier, store = control()
    result = api.set_notify_level("naked", "off", "alice")
    assert not result.ok and "always on" in result.errors[0]
    assert notifier.level(NotifyCategory.NAKED) is NotifyLevel.ON and store.saved == {}


def test_set_notify_level_when_unknown_then_refused():
    api, _, store = control()
    assert not api.set_notify_level("bogus", "on", "alice").ok
    assert not api.set_notify_level("entry", "loud", "alice").ok
    assert store.saved == {}


def test_send_test_when_no_channel_then_refused():
    api = NotificationControl(Notifier([]), FakeLevelStore({}))
    result = api.send_test_notification("alice")
    assert not result.ok and "QT_NOTIFY_URLS" in result.errors[0]
