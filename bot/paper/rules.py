"""Pure matching rules: trigger predicates, trailing extremes, fill prices, filter checks.

No state and no I/O, so each rule is tested alone and the engine only wires
them together.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from bot.paper import errors
from bot.paper.model import OrderType, Side
from bot.paper.specs import SymbolSpec

HUNDRED = Decimal("100")


def condition_met(order_type: OrderType, side: Side, trigger: Decimal, price: Decimal) -> bool:
    """Binance's trigger table: stops fire through the trigger, take-profits at or beyond it."""
    if order_type in (OrderType.STOP, OrderType.STOP_MARKET):
        return price >= trigger if side is Side.BUY else price <= trigger
    if order_type in (OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_MARKET):
        return price <= trigger if side is Side.BUY else price >= trigger
    raise ValueError(f"{order_type} has no fixed trigger")


def trailing_activates(side: Side, activate_price: Decimal | None, price: Decimal) -> bool:
    """A SELL trailing stop arms once price reaches activatePrice from below, a BUY from above."""
    if activate_price is None:
        return True
    return price >= activate_price if side is Side.SELL else price <= activate_price


def trailing_extreme(side: Side, extreme: Decimal | None, price: Decimal) -> Decimal:
    """The best price since activation: highest for a SELL (long's stop), lowest for a BUY."""
    if extreme is None:
        return price
    return max(extreme, price) if side is Side.SELL else min(extreme, price)


def trailing_trigger(side: Side, extreme: Decimal, callback_rate: Decimal) -> Decimal:
    ratio = callback_rate / HUNDRED
    return extreme * (1 - ratio) if side is Side.SELL else extreme * (1 + ratio)


def trailing_fires(side: Side, extreme: Decimal, callback_rate: Decimal, price: Decimal) -> bool:
    level = trailing_trigger(side, extreme, callback_rate)
    return price <= level if side is Side.SELL else price >= level


def market_fill_price(side: Side, price: Decimal, slippage: Decimal, tick: Decimal) -> Decimal:
    """Taker price: slippage always against the taker, snapped to the tick on the adverse side."""
    if side is Side.BUY:
        raw = price * (1 + slippage)
        return (raw / tick).to_integral_value(rounding=ROUND_CEILING) * tick
    raw = price * (1 - slippage)
    return (raw / tick).to_integral_value(rounding=ROUND_FLOOR) * tick


def limit_crossed(side: Side, limit: Decimal, price: Decimal) -> bool:
    return price <= limit if side is Side.BUY else price >= limit


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def check_price(spec: SymbolSpec, price: Decimal) -> None:
    """PRICE_FILTER: precision (-1111), tick (-4014), bounds (-4013)."""
    if price <= 0:
        raise errors.price_not_positive()
    if _decimals(price) > spec.price_precision:
        raise errors.bad_precision()
    if price % spec.tick_size != 0:
        raise errors.price_not_tick()
    if price < spec.min_price:
        raise errors.price_below_min()
    if price > spec.max_price:
        raise errors.limit_price_too_high(str(spec.max_price))


def check_quantity(spec: SymbolSpec, qty: Decimal, market: bool) -> None:
    """LOT_SIZE / MARKET_LOT_SIZE: sign (-4003), precision (-1111), step (-4023), bounds."""
    if qty <= 0:
        raise errors.qty_not_positive()
    if _decimals(qty) > spec.quantity_precision:
        raise errors.bad_precision()
    if qty % spec.step_size != 0:
        raise errors.qty_not_step()
    if qty < spec.min_qty:
        raise errors.qty_below_min()
    if qty > (spec.market_max_qty if market else spec.max_qty):
        raise errors.qty_above_max()


def check_percent_price(spec: SymbolSpec, price: Decimal, mark: Decimal) -> None:
    """PERCENT_PRICE for limit orders, against the mark price."""
    high = mark * spec.multiplier_up
    low = mark * spec.multiplier_down
    if price > high:
        raise errors.limit_price_too_high(str(high.quantize(spec.tick_size)))
    if price < low:
        raise errors.limit_price_too_low(str(low.quantize(spec.tick_size)))


def check_notional(spec: SymbolSpec, qty: Decimal, price: Decimal, reduce_only: bool) -> None:
    if not reduce_only and qty * price < spec.min_notional:
        raise errors.min_notional(_plain(spec.min_notional))


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
