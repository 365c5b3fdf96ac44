"""Engine records to Binance's JSON shapes (strings for numbers, camelCase)."""

from __future__ import annotations

from decimal import Decimal

from bot.paper.model import ZERO, AlgoOrder, Order, OrderStatus
from bot.paper.specs import SymbolSpec
from bot.paper.trades import Trade


def num(value: Decimal | None, places: int | None = None) -> str:
    if value is None:
        return ""
    if places is not None:
        return f"{value:.{places}f}"
    text = format(value.normalize(), "f") if value != 0 else "0"
    return text


def order(o: Order, spec: SymbolSpec, with_time: bool = True) -> dict:
    price_places, qty_places = spec.price_precision, spec.quantity_precision
    body = {
        "orderId": o.order_id,
        "symbol": o.symbol,
        "status": o.status.value,
        "clientOrderId": o.client_order_id,
        "price": num(o.price, price_places),
        "avgPrice": num(o.avg_price, price_places) if o.executed_qty else "0.00",
        "origQty": num(o.orig_qty, qty_places),
        "executedQty": num(o.executed_qty, qty_places),
        "cumQty": num(o.executed_qty, qty_places),
        "cumQuote": num(o.cum_quote, 5),
        "timeInForce": o.time_in_force.value,
        "type": o.type.value,
        "reduceOnly": o.reduce_only,
        "closePosition": o.close_position,
        "side": o.side.value,
        "positionSide": o.position_side,
        "stopPrice": num(o.stop_price, price_places),
        "workingType": o.working_type.value,
        "priceProtect": False,
        "origType": (o.orig_type or o.type).value,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "goodTillDate": 0,
        "updateTime": o.update_ms,
    }
    if with_time:
        body["time"] = o.time_ms
    return body


def order_ack(o: Order, spec: SymbolSpec) -> dict:
    """The default (ACK) answer to a new order: as accepted, before any fill."""
    body = order(o, spec, with_time=False)
    zero_qty = num(ZERO, spec.quantity_precision)
    body.update(status=OrderStatus.NEW.value, executedQty=zero_qty, cumQty=zero_qty,
                cumQuote="0.00000", avgPrice="0.00")
    return body


def algo(a: AlgoOrder, spec: SymbolSpec) -> dict:
    price_places = spec.price_precision
    return {
        "algoId": a.algo_id,
        "clientAlgoId": a.client_algo_id,
        "algoType": "CONDITIONAL",
        "orderType": a.type.value,
        "symbol": a.symbol,
        "side": a.side.value,
        "positionSide": a.position_side,
        "timeInForce": a.time_in_force.value,
        "quantity": num(a.quantity, spec.quantity_precision),
        "algoStatus": a.status.value,
        "actualOrderId": str(a.actual_order_id) if a.actual_order_id else "",
        "actualPrice": num(a.actual_price, price_places) if a.actual_price else "",
        "triggerPrice": num(a.trigger_price, price_places) if a.trigger_price else "0",
        "price": num(a.price, price_places) if a.price else "0",
        "icebergQuantity": None,
        "tpTriggerPrice": "0.000",
        "tpPrice": "0.000",
        "slTriggerPrice": "0.000",
        "slPrice": "0.000",
        "tpOrderType": "",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "workingType": a.working_type.value,
        "priceMatch": "NONE",
        "closePosition": a.close_position,
        "priceProtect": a.price_protect,
        "reduceOnly": a.reduce_only or a.close_position,
        "activatePrice": num(a.activate_price, price_places) if a.activate_price else "",
        "callbackRate": num(a.callback_rate) if a.callback_rate is not None else "",
        "createTime": a.create_ms,
        "updateTime": a.update_ms,
        "triggerTime": a.trigger_ms,
        "goodTillDate": 0,
    }


def trade(t: Trade, spec: SymbolSpec) -> dict:
    """One userTrades row; commission is what was paid (positive), as live answers show it."""
    return {
        "buyer": t.side.value == "BUY",
        "commission": num(t.commission, 8),
        "commissionAsset": "USDT",
        "id": t.trade_id,
        "maker": t.maker,
        "orderId": t.order_id,
        "price": num(t.price, spec.price_precision),
        "qty": num(t.qty, spec.quantity_precision),
        "quoteQty": num(t.quote_qty, spec.price_precision + spec.quantity_precision),
        "realizedPnl": num(t.realized_pnl, 8),
        "side": t.side.value,
        "positionSide": "BOTH",
        "symbol": t.symbol,
        "time": t.time_ms,
    }
