"""Wire parameters (strings) to typed engine requests, with Binance's errors for bad input."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from bot.paper import errors
from bot.paper.model import (
    AlgoRequest,
    OrderRequest,
    OrderType,
    Side,
    TimeInForce,
    WorkingType,
)
from bot.paper.trades import WEEK_MS, TradeQuery

Params = Mapping[str, str]
POSITION_SIDES = ("BOTH", "LONG", "SHORT")


def text(params: Params, name: str, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise errors.mandatory(name)
        return None
    return value


def decimal(params: Params, name: str, required: bool = False) -> Decimal | None:
    raw = text(params, name, required)
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise errors.mandatory(name) from None
    if not value.is_finite() or "e" in raw.lower() or raw.strip() != raw:
        raise errors.mandatory(name)
    return value


def integer(params: Params, name: str, required: bool = False) -> int | None:
    raw = text(params, name, required)
    if raw is None:
        return None
    if not raw.lstrip("-").isdigit() or len(raw) > 19:
        raise errors.mandatory(name)
    return int(raw)


def boolean(params: Params, name: str) -> bool:
    raw = text(params, name)
    if raw is None:
        return False
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise errors.invalid_data(name)
    return lowered == "true"


def symbol(params: Params, required: bool = True) -> str | None:
    value = text(params, "symbol", required)
    if value is not None and (not value.isalnum() or value.upper() != value):
        raise errors.bad_symbol()
    return value


def side(params: Params) -> Side:
    raw = text(params, "side", required=True)
    try:
        return Side(raw)
    except ValueError:
        raise errors.invalid_side() from None


def order_type(params: Params, name: str = "type") -> OrderType:
    raw = text(params, name, required=True)
    try:
        return OrderType(raw)
    except ValueError:
        raise errors.invalid_order_type() from None


def time_in_force(params: Params) -> TimeInForce | None:
    raw = text(params, "timeInForce")
    if raw is None:
        return None
    try:
        return TimeInForce(raw)
    except ValueError:
        raise errors.invalid_tif() from None


def working_type(params: Params) -> WorkingType:
    raw = text(params, "workingType")
    if raw is None:
        return WorkingType.CONTRACT_PRICE
    try:
        return WorkingType(raw)
    except ValueError:
        raise errors.invalid_data("workingType") from None


def position_side(params: Params) -> str:
    """BOTH (the default), LONG or SHORT; whether it fits the account's position mode is
    the engine's check (-4061)."""
    raw = text(params, "positionSide")
    if raw is None:
        return "BOTH"
    if raw not in POSITION_SIDES:
        raise errors.invalid_position_side()
    return raw


def order_request(params: Params) -> OrderRequest:
    sym = symbol(params)
    assert sym is not None
    kind = order_type(params)
    pos_side = position_side(params)
    if kind.is_conditional:
        # Binance answers the endpoint question before any other parameter check.
        raise errors.switch_to_algo()
    return OrderRequest(
        symbol=sym, side=side(params), type=kind, quantity=decimal(params, "quantity"),
        price=decimal(params, "price"), time_in_force=time_in_force(params),
        reduce_only=boolean(params, "reduceOnly"),
        client_order_id=text(params, "newClientOrderId"), position_side=pos_side,
        reduce_only_sent="reduceOnly" in params,
    )


def algo_request(params: Params) -> AlgoRequest:
    algo_type = text(params, "algoType", required=True)
    if algo_type != "CONDITIONAL":
        raise errors.invalid_data("algoType")
    sym = symbol(params)
    assert sym is not None
    pos_side = position_side(params)
    kind = order_type(params)
    if params.get("activationPrice") and not params.get("activatePrice"):
        raise errors.not_required("activationPrice")
    if params.get("stopPrice") and not params.get("triggerPrice"):
        raise errors.not_required("stopPrice")
    return AlgoRequest(
        symbol=sym, side=side(params), type=kind, quantity=decimal(params, "quantity"),
        price=decimal(params, "price"), trigger_price=decimal(params, "triggerPrice"),
        working_type=working_type(params), close_position=boolean(params, "closePosition"),
        reduce_only=boolean(params, "reduceOnly"), price_protect=boolean(params, "priceProtect"),
        activate_price=decimal(params, "activatePrice"),
        callback_rate=decimal(params, "callbackRate"),
        client_algo_id=text(params, "clientAlgoId"),
        time_in_force=time_in_force(params) or TimeInForce.GTC, position_side=pos_side,
        reduce_only_sent="reduceOnly" in params,
    )


def order_ref(params: Params, id_name: str, client_name: str) -> tuple[int | None, str | None]:
    order_id = integer(params, id_name)
    client_id = text(params, client_name)
    if order_id is None and client_id is None:
        raise errors.PaperError(
            -1102, f"Param '{client_name}' or '{id_name}' must be sent, but both were empty/null!"
        )
    return order_id, client_id


def trade_query(params: Params) -> TradeQuery:
    """userTrades' parameters, checked in Binance's order; nothing is read before this passes."""
    sym = symbol(params)
    assert sym is not None
    order_id = integer(params, "orderId")
    start = integer(params, "startTime")
    end = integer(params, "endTime")
    from_id = integer(params, "fromId")
    limit = integer(params, "limit")
    limit = 500 if limit is None else limit
    if not 1 <= limit <= 1000:
        raise errors.invalid_data("limit")
    if from_id is not None and (start is not None or end is not None):
        raise errors.bad_param_combo()
    if start is not None and end is not None:
        if start > end:
            raise errors.start_after_end()
        if end - start > WEEK_MS:
            raise errors.interval_too_long(WEEK_MS // 3_600_000)
    return TradeQuery(symbol=sym, order_id=order_id, start_ms=start, end_ms=end,
                      from_id=from_id, limit=limit)
