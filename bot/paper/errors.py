"""Binance's rejections as values the engine raises and the REST front serialises.

Codes, messages and HTTP statuses follow Binance's futures error list, so a
client (python-binance or the bot's adapter) cannot tell the paper venue from
the real one by its errors.
"""

from __future__ import annotations


class PaperError(Exception):
    """A rejection: the request changed nothing."""

    def __init__(self, code: int, msg: str, http_status: int = 400,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.headers = dict(headers or {})  # e.g. Retry-After on 429 and 418

    def body(self) -> dict:
        return {"code": self.code, "msg": self.msg}


def _retry(seconds: int | None) -> dict[str, str]:
    return {"Retry-After": str(seconds)} if seconds is not None else {}


def too_many_requests(limit: int, retry_after_s: int | None = None) -> PaperError:
    return PaperError(
        -1003,
        f"Too many requests; current limit of IP(127.0.0.1) is {limit} requests per minute. "
        "Please use the websocket for live updates to avoid polling the API.",
        429, _retry(retry_after_s),
    )


def ip_banned(until_ms: int, retry_after_s: int) -> PaperError:
    return PaperError(
        -1003, f"Way too many requests; IP banned until {until_ms}. "
        "Please use the websocket for live updates to avoid bans.", 418, _retry(retry_after_s),
    )


def too_many_orders(limit: int, window: str, retry_after_s: int | None = None) -> PaperError:
    return PaperError(
        -1015, f"Too many new orders; current limit is {limit} orders per {window}.", 429,
        _retry(retry_after_s),
    )


def server_busy() -> PaperError:
    return PaperError(
        -1008, "Server is currently overloaded with other requests. "
        "Please try again in a few minutes.", 503,
    )


def bad_timestamp(ahead: bool) -> PaperError:
    if ahead:
        return PaperError(
            -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    return PaperError(-1021, "Timestamp for this request is outside of the recvWindow.")


def start_after_end() -> PaperError:
    return PaperError(-1023, "Start time is greater than end time.")


def bad_signature() -> PaperError:
    return PaperError(-1022, "Signature for this request is not valid.")


def bad_api_key() -> PaperError:
    return PaperError(-2015, "Invalid API-key, IP, or permissions for action.", 401)


def illegal_chars(param: str, legal: str) -> PaperError:
    return PaperError(
        -1100, f"Illegal characters found in parameter '{param}'; legal range is '{legal}'."
    )


def mandatory(param: str) -> PaperError:
    return PaperError(
        -1102, f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed."
    )


def not_required(param: str) -> PaperError:
    return PaperError(-1106, f"Parameter '{param}' sent when not required.")


def bad_precision() -> PaperError:
    return PaperError(-1111, "Precision is over the maximum defined for this asset.")


def invalid_tif() -> PaperError:
    return PaperError(-1115, "Invalid timeInForce.")


def invalid_order_type() -> PaperError:
    return PaperError(-1116, "Invalid orderType.")


def invalid_side() -> PaperError:
    return PaperError(-1117, "Invalid side.")


def bad_symbol() -> PaperError:
    return PaperError(-1121, "Invalid symbol.")


def invalid_symbol_status() -> PaperError:
    return PaperError(-1122, "Invalid symbol status.")


def opening_not_allowed() -> PaperError:
    return PaperError(-4140, "Invalid symbol status for opening position")


def symbol_closed() -> PaperError:
    return PaperError(-4141, "Symbol is closed")


def invalid_listen_key() -> PaperError:
    return PaperError(-1125, "This listenKey does not exist.")


def interval_too_long(hours: int) -> PaperError:
    return PaperError(-1127, f"More than {hours} hours between startTime and endTime.")


def bad_param_combo() -> PaperError:
    return PaperError(-1128, "Combination of optional parameters invalid.")


def invalid_data(param: str) -> PaperError:
    return PaperError(-1130, f"Data sent for parameter '{param}' is not valid.")


def invalid_callback_rate() -> PaperError:
    return PaperError(-2007, "Invalid callBack rate.")


def cancel_rejected() -> PaperError:
    return PaperError(-2011, "Unknown order sent.")


def no_such_order() -> PaperError:
    return PaperError(-2013, "Order does not exist.")


def margin_insufficient() -> PaperError:
    return PaperError(-2019, "Margin is insufficient.")


def would_trigger() -> PaperError:
    return PaperError(-2021, "Order would immediately trigger.")


def tp_sl_would_trigger() -> PaperError:
    return PaperError(-4142, "TP/SL order would be triggered immediately.")


def reduce_only_rejected() -> PaperError:
    return PaperError(-2022, "ReduceOnly Order is rejected.")


def reduce_only_conflict() -> PaperError:
    """-2022's second meaning, worded as Binance's error list words it."""
    return PaperError(
        -2022, "This indicates the new reduce-only order conflicts with existing open orders; "
        "cancel the existing order and resubmit the reduce-only order.")


def user_in_liquidation() -> PaperError:
    return PaperError(-2023, "User in liquidation mode now.")


def market_order_reject() -> PaperError:
    return PaperError(
        -4131, "The counterparty's best price does not meet the PERCENT_PRICE filter limit")


def me_recv_window() -> PaperError:
    return PaperError(-5028, "Timestamp for this request is outside of the ME recvWindow.")


def server_throttled() -> PaperError:
    return PaperError(
        -1008, "Request throttled by system-level protection. Reduce-only/close-position "
        "orders are exempt. Please try again.", 503)


def qty_not_positive() -> PaperError:
    return PaperError(-4003, "Quantity less than or equal to zero.")


def qty_below_min() -> PaperError:
    return PaperError(-4004, "Quantity less than min quantity.")


def qty_above_max() -> PaperError:
    return PaperError(-4005, "Quantity greater than max quantity.")


def price_not_positive() -> PaperError:
    return PaperError(-4006, "Stop price less than zero.")


def price_below_min() -> PaperError:
    return PaperError(-4013, "Price less than min price.")


def price_not_tick() -> PaperError:
    return PaperError(-4014, "Price not increased by tick size.")


def limit_price_too_high(bound: str) -> PaperError:
    return PaperError(-4016, f"Limit price can't be higher than {bound}.")


def qty_not_step() -> PaperError:
    return PaperError(-4023, "Qty not increased by step size.")


def limit_price_too_low(bound: str) -> PaperError:
    return PaperError(-4024, f"Limit price can't be lower than {bound}.")


def invalid_leverage(value: int) -> PaperError:
    return PaperError(-4028, f"Leverage {value} is not valid")


def max_stop_orders() -> PaperError:
    return PaperError(-4045, "Reach max stop order limit.")


def position_side_mismatch() -> PaperError:
    return PaperError(-4061, "Order's position side does not match user's setting.")


def stop_triggering() -> PaperError:
    return PaperError(-4117, "stop order is triggering")


def invalid_position_side() -> PaperError:
    return PaperError(-4060, "Invalid position side.")


def no_need_to_change_position_side() -> PaperError:
    return PaperError(-4059, "No need to change position side.")


def position_side_change_open_orders() -> PaperError:
    return PaperError(-4067, "Position side cannot be changed if there exists open orders.")


def position_side_change_position() -> PaperError:
    return PaperError(-4068, "Position side cannot be changed if there exists position.")


def multi_assets_open_orders() -> PaperError:
    return PaperError(
        -4170, "Unable to adjust Multi-Assets Mode with open orders in USDⓈ-M Futures.")


def no_need_to_change_multi_assets() -> PaperError:
    return PaperError(
        -4171, "Adjusted asset mode is currently set and does not need to be adjusted "
        "repeatedly.")


def hedge_both_sides_not_modelled() -> PaperError:
    """Not Binance's: the paper venue nets one position per symbol, so it refuses to open
    the other side in hedge mode instead of booking it wrongly."""
    return PaperError(
        -2010, "Paper venue: holding LONG and SHORT of one symbol at once is not modelled.")


def duplicate_client_id() -> PaperError:
    return PaperError(-4116, "ClientOrderId is duplicated.")


def switch_to_algo() -> PaperError:
    return PaperError(
        -4120,
        "Order type not supported for this endpoint. "
        "Please use the Algo Order API endpoints instead.",
    )


def close_position_exists() -> PaperError:
    return PaperError(
        -4130,
        "An open stop or take profit order with GTE and closePosition "
        "in the direction is existing.",
    )


def min_notional(notional: str) -> PaperError:
    return PaperError(
        -4164,
        f"Order's notional must be no smaller than {notional} (unless you choose reduce only).",
    )

