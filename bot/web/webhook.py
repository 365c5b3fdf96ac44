"""``POST /api/signals``: external signals (TradingView-style alerts) into the bot's queue.

The request thread only authenticates, validates and queues; the executor job
drains the queue, so a slow exchange never holds an HTTP request open and a
burst of alerts cannot start a burst of orders (the queue is bounded: 429).
The token travels in a header or, for senders that cannot set one (TradingView),
in the body; it is taken out of the body before validation, so no event or log
line can carry it.

In order: token (401), size (413), content type (415), JSON and fields (422), the
entry gate (409 while the kill switch holds entries), the same body again within the
dedupe window (200 "duplicate", not queued), the queue (202, or 429 when full).
Nothing is recorded before the request is authenticated.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from decimal import Decimal

from flask import Flask, Response, jsonify, request

from bot.decisions.signal_queue import SignalQueueFull
from bot.decisions.signals import MarkPrice, SignalRejected, validate_signal
from bot.domain import Event, EventKind, Signal
from bot.domain.ports import Clock, EventSink
from bot.web.dedupe import RecentBodies, body_key

log = logging.getLogger(__name__)

PATH = "/api/signals"
TOKEN_HEADER = "X-QT-Token"
TOKEN_FIELD = "token"  # TradingView alerts cannot set headers, only the message body
MAX_BODY_BYTES = 8 * 1024
DEFAULT_DEDUPE_S = 60.0
DEFAULT_MIN_STOP_DISTANCE_PCT = Decimal("0.1")
# every other method answers 405 here, so Dash's catch-all page route never sees the path
OTHER_METHODS = ("GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS")
UNKNOWN_STATE = "UNKNOWN"

EntryGate = Callable[[], str | None]
"""None while entries are allowed, else the reason they are not (the kill switch's)."""
KillStateReader = Callable[[], str]
"""The kill switch's state (a ``KillState``), named in the 409 body."""


def register_webhook(
    server: Flask, intake: Callable[[Signal], str], token: str | None,
    known_symbols: Collection[str], mark_price: MarkPrice | None = None,
    events: EventSink | None = None, clock: Clock | None = None,
    entry_gate: EntryGate | None = None, kill_state: KillStateReader | None = None,
    dedupe_s: float = DEFAULT_DEDUPE_S,
    min_stop_distance_pct: Decimal = DEFAULT_MIN_STOP_DISTANCE_PCT,
) -> None:
    """Add ``POST /api/signals`` to the app's Flask server (the Dash app's ``server``).

    ``entry_gate`` (the kill switch's ``entry_denial``) refuses signals with 409 while
    entries are held, ``kill_state`` names the state in that answer; ``dedupe_s`` is the
    window in which the same body is a duplicate (0: off); ``min_stop_distance_pct`` the
    closest a stop may be to the price, in percent of it (0: any distance).
    """
    expected = token.encode() if token else None
    now = clock or (lambda: datetime.now(UTC))
    recent = RecentBodies(dedupe_s, now)

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
            if header is None:
                return _refused()
            return _reject([f"body larger than {MAX_BODY_BYTES} bytes"], 413, sink, now)
        if not request.is_json:
            # a body that is not JSON cannot carry a token either: 415 with or without the
            # header, recorded only when the header authenticated the request
            return _reject(["body must be JSON (Content-Type: application/json)"], 415,
                           sink, now)
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
            signal = validate_signal(payload, known_symbols, now(), mark_price,
                                     min_stop_distance_pct=min_stop_distance_pct)
        except SignalRejected as exc:
            return _reject(exc.problems, 422, sink, now)
        denial = entry_gate() if entry_gate is not None else None
        if denial:
            return _halted(signal, denial, _state_of(kill_state), sink, now)
        try:
            signal_id, queued = recent.queue_once(body_key(payload), lambda: intake(signal))
        except SignalQueueFull as exc:
            log.warning("[WEBHOOK] Signal for %s refused: %s", signal.symbol, exc)
            return jsonify(error=str(exc)), 429
        if not queued:
            log.info("[WEBHOOK] Duplicate %s %s ignored: the same alert was queued as %s",
                     signal.direction.value, signal.symbol, signal_id)
            return jsonify(id=signal_id, status="duplicate"), 200
        log.info("[WEBHOOK] Queued %s %s (confidence %.2f) as %s", signal.direction.value,
                 signal.symbol, signal.confidence, signal_id)
        return jsonify(id=signal_id, status="queued"), 202

    def other_method() -> Response:
        response = jsonify(error=f"method {request.method} not allowed: send POST")
        response.status_code = 405
        response.headers["Allow"] = "POST"
        return response

    # no automatic OPTIONS on either rule: it would answer 200 instead of 405
    server.add_url_rule(PATH, endpoint="qt_receive_signal", view_func=receive_signal,
                        methods=["POST"], provide_automatic_options=False)
    server.add_url_rule(PATH, endpoint="qt_signal_other_method", view_func=other_method,
                        methods=list(OTHER_METHODS), provide_automatic_options=False)


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


def _state_of(kill_state: KillStateReader | None) -> str:
    if kill_state is None:
        return UNKNOWN_STATE
    try:
        return str(kill_state())
    except Exception as exc:  # the gate already refused; the state only names why
        log.warning("[WEBHOOK] Kill switch state unreadable (%s)", exc)
        return UNKNOWN_STATE


def _halted(
    signal: Signal, reason: str, state: str, events: EventSink | None, now: Clock,
) -> tuple[Response, int]:
    """Refused at the door while entries are held: queued, it would only die later."""
    log.warning("[WEBHOOK] Refused %s %s: %s", signal.direction.value, signal.symbol, reason)
    if events is not None:
        events.append(Event(EventKind.SIGNAL_REJECTED, now(), signal.symbol,
                            message=f"{signal.direction.value} {signal.symbol} refused: {reason}",
                            details={"problems": [reason], "source": "webhook", "status": 409,
                                     "state": state}))
    return jsonify(error="halted", state=state, reason=reason), 409


def _reject(
    problems: list[str], status: int, events: EventSink | None, now: Clock,
) -> tuple[Response, int]:
    log.info("[WEBHOOK] Rejected signal: %s", "; ".join(problems))
    if events is not None:
        events.append(Event(EventKind.SIGNAL_REJECTED, now(), message="; ".join(problems),
                            details={"problems": problems, "source": "webhook"}))
    return jsonify(error="invalid signal", problems=problems), status

