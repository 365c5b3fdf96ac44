"""Binance error codes, classified once, with the policy next to each.

    ExchangeError
    ├── RetryableError            -- back off and try again
    │   ├── RateLimitedError      -1003, HTTP 429 / 418
    │   └── TimestampError        -1021 (resync the clock first)
    ├── UnknownStatusError        HTTP 5xx, timeouts, -1001 / -1006 / -1007:
    │                             the order may or may not exist; query the
    │                             client id before any retry
    ├── WouldTriggerError         -2021 / -4142: the stop ladder (buffer, then close)
    ├── InvalidCallbackRateError  -2007: never retried; trailing off, fixed stop kept
    ├── ClosePositionExistsError  -4130: one closePosition stop per direction
    ├── UnknownOrderError         -2011 / -2013: already gone; re-read
    ├── ReduceOnlyRejectedError   -2022: nothing to reduce; re-read the position
    ├── InsufficientMarginError   -2019: skip the entry, record it
    ├── MinNotionalError          -4164: size check failed
    └── InvalidOrderError         precision, bad parameters, wrong endpoint, unknown symbol
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Policy(StrEnum):
    RETRY = "retry"
    RECONCILE = "reconcile"
    LADDER = "ladder"
    GIVE_UP = "give_up"


class ExchangeError(Exception):
    """An answer from the exchange (or its absence) the bot must act on."""

    policy: Policy = Policy.GIVE_UP

    def __init__(self, code: int | None, message: str, http_status: int | None = None):
        super().__init__(f"{code}: {message}" if code is not None else message)
        self.code = code
        self.message = message
        self.http_status = http_status


class RetryableError(ExchangeError):
    policy = Policy.RETRY


class RateLimitedError(RetryableError):
    pass


class TimestampError(RetryableError):
    pass


class UnknownStatusError(ExchangeError):
    policy = Policy.RECONCILE


class WouldTriggerError(ExchangeError):
    policy = Policy.LADDER


class InvalidCallbackRateError(ExchangeError):
    pass


class ClosePositionExistsError(ExchangeError):
    pass


class UnknownOrderError(ExchangeError):
    pass


class ReduceOnlyRejectedError(ExchangeError):
    pass


class InsufficientMarginError(ExchangeError):
    pass


class MinNotionalError(ExchangeError):
    pass


class InvalidOrderError(ExchangeError):
    pass


@dataclass(frozen=True)
class _Rule:
    error: type[ExchangeError]
    name: str


ERROR_TABLE: dict[int, _Rule] = {
    -1001: _Rule(UnknownStatusError, "DISCONNECTED"),
    -1003: _Rule(RateLimitedError, "TOO_MANY_REQUESTS"),
    -1006: _Rule(UnknownStatusError, "UNEXPECTED_RESP"),
    -1007: _Rule(UnknownStatusError, "TIMEOUT"),
    -1021: _Rule(TimestampError, "INVALID_TIMESTAMP"),
    -1100: _Rule(InvalidOrderError, "ILLEGAL_CHARS"),
    -1102: _Rule(InvalidOrderError, "MANDATORY_PARAM_EMPTY_OR_MALFORMED"),
    -1111: _Rule(InvalidOrderError, "BAD_PRECISION"),
    -1116: _Rule(InvalidOrderError, "INVALID_ORDER_TYPE"),
    -1121: _Rule(InvalidOrderError, "BAD_SYMBOL"),
    -2007: _Rule(InvalidCallbackRateError, "INVALID_CALLBACK_RATE"),
    -2011: _Rule(UnknownOrderError, "CANCEL_REJECTED"),
    -2013: _Rule(UnknownOrderError, "NO_SUCH_ORDER"),
    -2019: _Rule(InsufficientMarginError, "MARGIN_NOT_SUFFICIEN"),
    -2021: _Rule(WouldTriggerError, "ORDER_WOULD_IMMEDIATELY_TRIGGER"),
    -2022: _Rule(ReduceOnlyRejectedError, "REDUCE_ONLY_REJECT"),
    -4014: _Rule(InvalidOrderError, "PRICE_NOT_INCREASED_BY_TICK_SIZE"),
    -4023: _Rule(InvalidOrderError, "QTY_NOT_INCREASED_BY_STEP_SIZE"),
    -4120: _Rule(InvalidOrderError, "STOP_ORDER_SWITCH_ALGO"),
    -4130: _Rule(ClosePositionExistsError, "CLOSE_POSITION_STOP_EXISTS"),
    -4142: _Rule(WouldTriggerError, "TP_SL_WOULD_IMMEDIATELY_TRIGGER"),
    -4164: _Rule(MinNotionalError, "MIN_NOTIONAL"),
}


def classify(code: int | None, message: str, http_status: int | None = None) -> ExchangeError:
    """The one mapping from a Binance answer to the bot's error type."""
    if http_status in (429, 418):
        return RateLimitedError(code, message, http_status)
    if code is not None and code in ERROR_TABLE:
        return ERROR_TABLE[code].error(code, message, http_status)
    if http_status is not None and http_status >= 500:
        return UnknownStatusError(code, message, http_status)
    return InvalidOrderError(code, message, http_status)
