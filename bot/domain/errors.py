"""Binance's error codes, named once, and the one table from a code to how the bot handles it.

The only file of the bot that spells a Binance error number. Everything else names
the code (``BinanceErrorCode.ORDER_WOULD_IMMEDIATELY_TRIGGER``) or, better, catches
the error type the table maps it to. The types form a tree by handling policy, so a
caller catches the policy it implements, never a list of numbers:

    ExchangeError
    ├── RetryableError            back off and try again
    │   ├── RateLimitedError      TOO_MANY_REQUESTS, TOO_MANY_ORDERS, HTTP 429 / 418
    │   ├── ServerBusyError       SERVER_BUSY: not executed, try later
    │   └── TimestampError        INVALID_TIMESTAMP, ME_RECVWINDOW_REJECT: not executed
    ├── UnknownStatusError        HTTP 5xx, timeouts, DISCONNECTED / UNEXPECTED_RESP /
    │                             TIMEOUT: the order may exist; query by client id first
    ├── WouldTriggerError         ORDER_WOULD_IMMEDIATELY_TRIGGER, TP_SL_WOULD_TRIGGER:
    │                             the stop ladder (buffer, then close at market)
    ├── InvalidCallbackRateError  INVALID_CALLBACK_RATE: never retried; trailing off
    ├── ClosePositionExistsError  CLOSE_POSITION_STOP_EXISTS: one per direction
    ├── DuplicateClientIdError    DUPLICATE_CLIENT_ID: an open order has this id already
    ├── UnknownOrderError         CANCEL_REJECTED / NO_SUCH_ORDER: gone; re-read
    ├── ReduceOnlyRejectedError   REDUCE_ONLY_REJECT: nothing to reduce; re-read the position
    ├── InsufficientMarginError   MARGIN_NOT_SUFFICIENT: skip the entry, record it
    ├── MinNotionalError          MIN_NOTIONAL: size check failed
    ├── TooManyStopsError         MAX_NUM_ALGO_ORDERS reached for the symbol or account
    ├── FilterError               BAD_PRECISION / tick / step: refresh filters, re-round
    │   └── QuantityAboveMaxError QTY_GREATER_THAN_MAX_QTY: refresh, then split the order
    └── InvalidOrderError         bad parameters, wrong endpoint, unknown symbol
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class BinanceErrorCode(IntEnum):
    DISCONNECTED = -1001
    TOO_MANY_REQUESTS = -1003
    UNEXPECTED_RESP = -1006
    TIMEOUT = -1007
    SERVER_BUSY = -1008
    TOO_MANY_ORDERS = -1015
    INVALID_TIMESTAMP = -1021
    ILLEGAL_CHARS = -1100
    MANDATORY_PARAM = -1102  # MANDATORY_PARAM_EMPTY_OR_MALFORMED
    BAD_PRECISION = -1111
    INVALID_ORDER_TYPE = -1116
    INVALID_INTERVAL = -1120
    BAD_SYMBOL = -1121
    INVALID_LISTEN_KEY = -1125
    INVALID_PARAMETER = -1130
    INVALID_CALLBACK_RATE = -2007
    CANCEL_REJECTED = -2011
    NO_SUCH_ORDER = -2013
    MARGIN_NOT_SUFFICIENT = -2019
    ORDER_WOULD_IMMEDIATELY_TRIGGER = -2021
    REDUCE_ONLY_REJECT = -2022
    USER_IN_LIQUIDATION = -2023
    INVALID_QUANTITY = -4003
    QTY_GREATER_THAN_MAX_QTY = -4005
    PRICE_NOT_INCREASED_BY_TICK_SIZE = -4014
    QTY_NOT_INCREASED_BY_STEP_SIZE = -4023
    INVALID_LEVERAGE = -4028
    MAX_STOP_ORDERS_EXCEEDED = -4045
    POSITION_SIDE_NOT_MATCH = -4061
    DUPLICATE_CLIENT_ID = -4116
    STOP_ORDER_TRIGGERING = -4117
    STOP_ORDER_SWITCH_ALGO = -4120
    CLOSE_POSITION_STOP_EXISTS = -4130
    MARKET_ORDER_PRICE_PROTECTED = -4131
    TP_SL_WOULD_TRIGGER = -4142
    MIN_NOTIONAL = -4164
    ME_RECVWINDOW_REJECT = -5028


class ExchangeError(Exception):
    """An answer from the exchange (or its absence) the bot must act on."""

    def __init__(self, code: int | None, message: str, http_status: int | None = None):
        super().__init__(f"{code}: {message}" if code is not None else message)
        self.code = code
        self.message = message
        self.http_status = http_status

    def is_code(self, code: BinanceErrorCode) -> bool:
        return self.code == code


class RetryableError(ExchangeError):
    pass


class RateLimitedError(RetryableError):
    pass


class ServerBusyError(RetryableError):
    pass


class TimestampError(RetryableError):
    pass


class UnknownStatusError(ExchangeError):
    pass


class WouldTriggerError(ExchangeError):
    pass


class InvalidCallbackRateError(ExchangeError):
    pass


class ClosePositionExistsError(ExchangeError):
    pass


class DuplicateClientIdError(ExchangeError):
    pass


class UnknownOrderError(ExchangeError):
    pass


class ReduceOnlyRejectedError(ExchangeError):
    pass


class InsufficientMarginError(ExchangeError):
    pass


class MinNotionalError(ExchangeError):
    pass


class TooManyStopsError(ExchangeError):
    pass


class InvalidOrderError(ExchangeError):
    pass


class FilterError(InvalidOrderError):
    pass


class QuantityAboveMaxError(FilterError):
    """More than one order may carry (LOT_SIZE / MARKET_LOT_SIZE maxQty): a close must go in
    pieces, and the venue may have lowered the limit since the filters were read."""


@dataclass(frozen=True)
class _Rule:
    error: type[ExchangeError]


_C = BinanceErrorCode
ERROR_TABLE: dict[BinanceErrorCode, _Rule] = {
    _C.DISCONNECTED: _Rule(UnknownStatusError),
    _C.TOO_MANY_REQUESTS: _Rule(RateLimitedError),
    _C.UNEXPECTED_RESP: _Rule(UnknownStatusError),
    _C.TIMEOUT: _Rule(UnknownStatusError),
    _C.SERVER_BUSY: _Rule(ServerBusyError),
    _C.TOO_MANY_ORDERS: _Rule(RateLimitedError),
    _C.INVALID_TIMESTAMP: _Rule(TimestampError),
    _C.ME_RECVWINDOW_REJECT: _Rule(TimestampError),
    _C.ILLEGAL_CHARS: _Rule(InvalidOrderError),
    _C.MANDATORY_PARAM: _Rule(InvalidOrderError),
    _C.BAD_PRECISION: _Rule(FilterError),
    _C.INVALID_ORDER_TYPE: _Rule(InvalidOrderError),
    _C.BAD_SYMBOL: _Rule(InvalidOrderError),
    _C.INVALID_CALLBACK_RATE: _Rule(InvalidCallbackRateError),
    _C.CANCEL_REJECTED: _Rule(UnknownOrderError),
    _C.NO_SUCH_ORDER: _Rule(UnknownOrderError),
    _C.MARGIN_NOT_SUFFICIENT: _Rule(InsufficientMarginError),
    _C.ORDER_WOULD_IMMEDIATELY_TRIGGER: _Rule(WouldTriggerError),
    _C.REDUCE_ONLY_REJECT: _Rule(ReduceOnlyRejectedError),
    _C.PRICE_NOT_INCREASED_BY_TICK_SIZE: _Rule(FilterError),
    _C.QTY_NOT_INCREASED_BY_STEP_SIZE: _Rule(FilterError),
    _C.QTY_GREATER_THAN_MAX_QTY: _Rule(QuantityAboveMaxError),
    _C.MAX_STOP_ORDERS_EXCEEDED: _Rule(TooManyStopsError),
    _C.DUPLICATE_CLIENT_ID: _Rule(DuplicateClientIdError),
    _C.STOP_ORDER_SWITCH_ALGO: _Rule(InvalidOrderError),
    _C.CLOSE_POSITION_STOP_EXISTS: _Rule(ClosePositionExistsError),
    _C.TP_SL_WOULD_TRIGGER: _Rule(WouldTriggerError),
    _C.MIN_NOTIONAL: _Rule(MinNotionalError),
}

IMMEDIATE_TRIGGER = frozenset({_C.ORDER_WOULD_IMMEDIATELY_TRIGGER, _C.TP_SL_WOULD_TRIGGER})
"""Codes with one meaning and one answer: the stop ladder."""


def classify(code: int | None, message: str, http_status: int | None = None) -> ExchangeError:
    """The one mapping from a Binance answer to the bot's error type."""
    if http_status in (429, 418):
        return RateLimitedError(code, message, http_status)
    if code is not None and code in ERROR_TABLE.keys():
        return ERROR_TABLE[BinanceErrorCode(code)].error(code, message, http_status)
    if http_status is not None and http_status >= 500:
        return UnknownStatusError(code, message, http_status)
    return InvalidOrderError(code, message, http_status)


def refused(code: BinanceErrorCode, message: str) -> ExchangeError:
    """An error the adapter raises itself, before a request, as the venue would answer it."""
    return classify(int(code), message)
