"""``POST /api/signals``: external signals (TradingView-style alerts) into the bot's queue.

The request thread only authenticates, validates and queues; the executor job
drains the queue, so a slow exchange never holds an HTTP request open and a
burst of alerts cannot start a burst of orders (the queue is bounded: 429).
The token travels in a header or, for senders that cannot set one (TradingView),
in the body; it is taken out of the body before validation, so no event or log
line can carry it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from flask import Flask, Response, jsonify, request

from bot.decisions.ports import Clock, EventSink
from bot.decisions.signal_queue import SignalQueueFull
from bot.decisions.signals import MarkPrice, SignalRejected, validate_signal
from bot.domain import Event, EventKind, Signal

log = logging.getLogger(__name__)

PATH = "/api/signals"
TOKEN_HEADER = "X-QT-Token"
TOKEN_FIELD = "token"  # TradingView alerts cannot set headers, only the message body
MAX_BODY_BYTES = 8 * 1024


def register_webhook(
    server: Flask, intake: Callable[[Signal], str], token: str | None,
    known_symbols: Collection[str], mark_price: MarkPrice | None = None,
    events: EventSink | None = None, clock: Clock | None = None,
) -> None:
    """Add ``POST /api/signals`` to the app's Flask server (the Dash app's ``server``)."""
    expected = token.encode() if token else None
    now = clock or (lambda: datetime.now(UTC))

    def receive_signal() -> tuple[Response, int]:
        if expected is None:
            return jsonify(error="webhook disabled: no QT_WEBHOOK_TOKEN configured"), 503
        header = request.headers.get(TOKEN_HEADER)
        if header is not None and not _token_matches(header, expected):
            return _refused()
        # without the header the token is in the body, so nothing is reported before it
        # is checked: unauthenticated junk leaves no event behind
        sink = events if header is not None else None
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _refused() if sink is None else _reject(
                [f"body larger than {MAX_BODY_BYTES} bytes"], 413, sink, now)
        if not request.is_json:
            return _refused() if sink is None else _reject(
                ["body must be JSON (Content-Type: application/json)"], 415, sink, now)
        try:
            payload = request.get_json(silent=True)
        except RecursionError:  # absurdly nested JSON: a malformed body, not a server fault
            payload = None
        body_token = payload.pop(TOKEN_FIELD, None) if isinstance(payload, dict) else None
        if header is None:
            if not isinstance(body_token, str) or not _token_matches(body_token, expected):
                return _refused()
            sink = events
        if payload is None:
            return _reject(["body is not valid JSON"], 422, sink, now)
        try:
            signal = validate_signal(payload, known_symbols, now(), mark_price)
        except SignalRejected as exc:
            return _reject(exc.problems, 422, sink, now)
        try:
            signal_id = intake(signal)
        except SignalQueueFull as exc:
            log.warning("[WEBHOOK] Signal for %s refused: %s", signal.symbol, exc)
            return jsonify(error=str(exc)), 429
        log.info("[WEBHOOK] Queued %s %s (confidence %.2f) as %s", signal.direction.value,
                 signal.symbol, signal.confidence, signal_id)
        return jsonify(id=signal_id, status="queued"), 202

    server.add_url_rule(PATH, endpoint="qt_receive_signal", view_func=receive_signal,
                        methods=["POST"])


def _token_matches(given: str, expected: bytes) -> bool:
    """A token that is not even encodable (JSON allows a lone surrogate) is a wrong token."""
    try:
        return hmac.compare_digest(given.encode(), expected)
    except UnicodeEncodeError:
        return False


def _refused() -> tuple[Response, int]:
    log.warning("[WEBHOOK] Refused signal from %s: missing or wrong token", request.remote_addr)
    return jsonify(error=f"missing or wrong token: send the {TOKEN_HEADER} header, or a "
                         f'"{TOKEN_FIELD}" field in the JSON body'), 401


def _reject(
    problems: list[str], status: int, events: EventSink | None, now: Clock,
) -> tuple[Response, int]:
    log.info("[WEBHOOK] Rejected signal: %s", "; ".join(problems))
    if events is not None:
        events.append(Event(EventKind.SIGNAL_REJECTED, now(), message="; ".join(problems),
                            details={"problems": problems, "source": "webhook"}))
    return jsonify(error="invalid signal", problems=problems), status

