"""The stream's parts without a socket: listenKey lifetimes, faults, routes, ledger listeners."""

from __future__ import annotations

import pytest

from bot.paper import errors
from bot.paper.clock import ManualClock
from bot.paper.ledger import Ledger
from bot.paper.listen_keys import LISTEN_KEY_TTL_MS, KeyEnd, ListenKeys
from bot.paper.stream_faults import StreamFaults
from bot.paper.ws_server import parse_route

MINUTE = 60_000


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def keys(clock) -> ListenKeys:
    return ListenKeys(clock)


def _ended(keys: ListenKeys) -> list[tuple[str, KeyEnd]]:
    seen: list[tuple[str, KeyEnd]] = []
    keys.on_end(lambda key, how: seen.append((key, how)))
    return seen


def test_create_when_a_key_is_live_then_same_key_extended(keys, clock):
    key = keys.create()
    assert len(key) == 64 and key.isalnum()
    clock.advance(59 * MINUTE)
    assert keys.create() == key
    assert keys.expiry_ms(key) == clock.now_ms() + LISTEN_KEY_TTL_MS


def test_key_when_60_venue_minutes_pass_then_expired_and_listeners_told(keys, clock):
    seen = _ended(keys)
    key = keys.create()
    clock.advance(LISTEN_KEY_TTL_MS - 1)
    assert keys.expire_due() == [] and keys.is_live(key)
    clock.advance(1)
    assert not keys.is_live(key) and key not in keys
    assert keys.expire_due() == [key]
    assert seen == [(key, KeyEnd.EXPIRED)]
    assert keys.create() != key  # POST after expiry: a new key


def test_keepalive_when_sent_before_expiry_then_another_60_minutes(keys, clock):
    key = keys.create()
    clock.advance(50 * MINUTE)
    assert keys.keepalive(key) == key
    clock.advance(50 * MINUTE)
    assert keys.is_live(key)


@pytest.mark.parametrize("late", [True, False])
def test_keepalive_when_key_unknown_or_expired_then_1125(keys, clock, late):
    key = keys.create()
    if late:
        clock.advance(LISTEN_KEY_TTL_MS)
    with pytest.raises(errors.PaperError) as caught:
        keys.keepalive(key if late else "not-a-key")
    assert (caught.value.code, caught.value.msg) == (-1125, "This listenKey does not exist.")


def test_keepalive_when_no_key_named_and_none_live_then_1125(keys):
    with pytest.raises(errors.PaperError) as caught:
        keys.keepalive(None)
    assert caught.value.code == -1125


def test_close_when_key_live_then_gone_and_listeners_told_closed(keys):
    seen = _ended(keys)
    key = keys.create()
    keys.close(key)
    assert list(keys) == [] and seen == [(key, KeyEnd.CLOSED)]
    with pytest.raises(errors.PaperError) as caught:
        keys.close(key)
    assert caught.value.code == -1125


def test_expire_when_told_then_expired_now_and_unknown_name_refused(keys):
    seen = _ended(keys)
    key = keys.create()
    assert keys.expire() == [key] and seen == [(key, KeyEnd.EXPIRED)]
    with pytest.raises(ValueError):
        keys.expire("nope")


def test_faults_when_lose_armed_then_that_many_events_swallowed():
    faults = StreamFaults()
    faults.arm("lose", count=2)
    assert [faults.next_event().send for _ in range(3)] == [False, False, True]


def test_faults_when_stalled_then_everything_swallowed_until_clear():
    faults = StreamFaults()
    faults.arm("stall")
    assert not any(faults.next_event().send for _ in range(5))
    faults.arm("clear")
    assert faults.next_event().send


def test_faults_when_delay_armed_then_next_count_events_late():
    faults = StreamFaults()
    faults.arm("delay", count=2, delay_ms=300)
    assert [faults.next_event().delay_ms for _ in range(3)] == [300, 300, 0]


@pytest.mark.parametrize("kind, count, delay_ms", [
    ("bogus", 1, 0), ("lose", 0, 0), ("lose", True, 0), ("delay", 1, 0), ("delay", 1, -5)])
def test_faults_when_arguments_bad_then_value_error_and_nothing_armed(kind, count, delay_ms):
    faults = StreamFaults()
    with pytest.raises(ValueError):
        faults.arm(kind, count=count, delay_ms=delay_ms)
    assert faults.to_json() == {"stalled": False, "lose": 0, "delayCount": 0, "delayMs": 0}


@pytest.mark.parametrize("target, expected", [
    ("/private/ws?listenKey=abc", ("private", "abc")),
    ("/private/ws?listenKey=abc&timeUnit=MICROSECOND", ("private", "abc")),
    ("/private/ws/abc", ("private", "abc")),
    ("/ws/abc", ("legacy", "abc")),
    ("/stream?streams=abc", ("legacy", "abc")),
    ("/private/ws", ("private", "")),
    ("/market/ws/btcusdt@aggTrade", (None, "")),
    ("/", (None, "")),
])
def test_route_when_parsed_then_private_legacy_or_unknown(target, expected):
    assert parse_route(target) == expected


def test_ledger_when_listener_subscribed_then_told_each_entry_until_unsubscribed(clock):
    ledger = Ledger(clock)
    seen: list[int] = []
    unsubscribe = ledger.subscribe(lambda entry: seen.append(entry.id))
    ledger.account("LEVERAGE", "client", "BTCUSDT", {"leverage": 5})
    unsubscribe()
    ledger.account("LEVERAGE", "client", "BTCUSDT", {"leverage": 6})
    assert seen == [1] and len(ledger) == 2


def test_ledger_when_listener_raises_then_entry_kept_and_others_still_told(clock):
    ledger = Ledger(clock)
    seen: list[int] = []

    def broken(entry) -> None:
        raise RuntimeError("observer bug")

    ledger.subscribe(broken)
    ledger.subscribe(lambda entry: seen.append(entry.id))
    entry = ledger.account("LEVERAGE", "client", "BTCUSDT", {"leverage": 5})
    assert entry.id == 1 and seen == [1] and len(ledger) == 1
