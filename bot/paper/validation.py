"""Checks a request must pass before the engine touches anything.

Each function raises the ``PaperError`` Binance would answer and never
mutates: the engine calls them all first, then applies the order.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bot.paper import errors, rules
from bot.paper.model import AlgoOrder, AlgoRequest, OrderRequest, OrderType, Side, TimeInForce
from bot.paper.specs import SymbolSpec

CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
CLIENT_ID_RANGE = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"
MIN_CALLBACK = Decimal("0.1")
MAX_CALLBACK = Decimal("20")


def check_client_id(value: str | None, param: str) -> None:
    if value is not None and not CLIENT_ID.match(value):
        raise errors.illegal_chars(param, CLIENT_ID_RANGE)


def check_reduce(side: Side, position_amount: Decimal) -> None:
    """-2022: a reduce-only order needs a position on the other side."""
    if position_amount == 0:
        raise errors.reduce_only_rejected()
    if (position_amount > 0) == (side is Side.BUY):
        raise errors.reduce_only_rejected()


def check_order(req: OrderRequest, spec: SymbolSpec, last: Decimal, mark: Decimal) -> None:
    if req.type.is_conditional:
        raise errors.switch_to_algo()
    check_client_id(req.client_order_id, "newClientOrderId")
    if req.quantity is None:
        raise errors.mandatory("quantity")
    rules.check_quantity(spec, req.quantity, market=req.type is OrderType.MARKET)
    if req.type is OrderType.MARKET:
        if req.price is not None:
            raise errors.not_required("price")
        rules.check_notional(spec, req.quantity, last, req.reduce_only)
        return
    if req.price is None:
        raise errors.mandatory("price")
    rules.check_price(spec, req.price)
    rules.check_percent_price(spec, req.price, mark)
    rules.check_notional(spec, req.quantity, req.price, req.reduce_only)


def check_algo(req: AlgoRequest, spec: SymbolSpec) -> None:
    """Shape checks: which parameters each conditional type needs, and their filters."""
    if not req.type.is_conditional:
        raise errors.invalid_order_type()
    check_client_id(req.client_algo_id, "clientAlgoId")
    if req.close_position:
        if req.type not in (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET):
            raise errors.not_required("closePosition")
        if req.quantity is not None:
            raise errors.not_required("quantity")
        if req.reduce_only:
            raise errors.not_required("reduceOnly")
    elif req.quantity is None:
        raise errors.mandatory("quantity")
    else:
        rules.check_quantity(spec, req.quantity, market=not req.type.child_is_limit)
    if req.type.child_is_limit:
        if req.price is None:
            raise errors.mandatory("price")
        rules.check_price(spec, req.price)
    elif req.price is not None:
        raise errors.not_required("price")
    if req.type is OrderType.TRAILING_STOP_MARKET:
        if req.callback_rate is None:
            raise errors.mandatory("callbackRate")
        if not MIN_CALLBACK <= req.callback_rate <= MAX_CALLBACK:
            raise errors.invalid_callback_rate()
        if req.activate_price is not None:
            rules.check_price(spec, req.activate_price)
        return
    if req.trigger_price is None:
        raise errors.mandatory("triggerPrice")
    rules.check_price(spec, req.trigger_price)


def check_algo_against_book(req: AlgoRequest, spec: SymbolSpec, price: Decimal,
                            open_algos: list[AlgoOrder], limit: int) -> None:
    """Checks that need the book and the market: notional, the caps (the symbol's
    MAX_NUM_ALGO_ORDERS and ``limit`` for the account), -4130, would-trigger."""
    if not (req.close_position or req.reduce_only):
        reference = req.price or req.trigger_price or req.activate_price or price
        assert req.quantity is not None
        rules.check_notional(spec, req.quantity, reference, False)
    on_symbol = sum(1 for a in open_algos if a.symbol == req.symbol)
    if on_symbol >= spec.max_algo_orders or len(open_algos) >= limit:
        raise errors.max_stop_orders()
    if req.close_position:
        for other in open_algos:
            if (other.close_position and other.symbol == req.symbol and other.side is req.side
                    and other.type.is_stop_family == req.type.is_stop_family):
                raise errors.close_position_exists()
    if req.type is OrderType.TRAILING_STOP_MARKET:
        if req.activate_price is not None:
            wrong = (req.activate_price >= price if req.side is Side.BUY
                     else req.activate_price <= price)
            if wrong:
                raise errors.would_trigger()
        return
    assert req.trigger_price is not None
    if rules.condition_met(req.type, req.side, req.trigger_price, price):
        raise errors.would_trigger() if req.type.is_stop_family else errors.tp_sl_would_trigger()


def check_time_in_force(order_type: OrderType, tif: TimeInForce | None) -> TimeInForce:
    if order_type is OrderType.LIMIT and tif is None:
        raise errors.mandatory("timeInForce")
    return tif or TimeInForce.GTC
