"""Stream payloads read into VenueEvents: a TRIGGERING update carries the trigger's time."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import VenueEventKind
from bot.exchange.stream_events import parse_stream_message

TRIGGER_MS = 1_767_225_600_000
PUSH_MS = TRIGGER_MS + 3_000


def _algo(status: str, tt: int) -> dict:
    return {"e": "ALGO_UPDATE", "E": PUSH_MS, "T": PUSH_MS - 1,
            "o": {"s": "ETHUSDT", "X": status, "caid": "qs-sl-1", "tt": tt, "rm": ""}}


def test_parse_when_algo_triggering_then_at_is_the_venue_trigger_time() -> None:
    event = parse_stream_message(_algo("TRIGGERING", TRIGGER_MS))
    assert event is not None and event.kind is VenueEventKind.ALGO and event.touches
    assert event.at == datetime.fromtimestamp(TRIGGER_MS / 1000, UTC)


def test_parse_when_trigger_time_missing_then_transaction_time() -> None:
    event = parse_stream_message(_algo("TRIGGERING", 0))
    assert event is not None
    assert event.at == datetime.fromtimestamp((PUSH_MS - 1) / 1000, UTC)


def test_parse_when_algo_canceled_then_at_is_the_push_time() -> None:
    event = parse_stream_message(_algo("CANCELED", 0))
    assert event is not None
    assert event.at == datetime.fromtimestamp(PUSH_MS / 1000, UTC)
