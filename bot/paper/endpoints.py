"""Binance futures REST endpoints: parse the parameters, ask the engine, shape the answer.

Each handler takes the venue context and the request's parameters and returns
a JSON-able body, or raises ``PaperError``. The route table carries what the
front checks before a handler runs: signed or not, request weight, order count.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.paper import errors, parsing, wire
from bot.paper.account_endpoints import (
    account_v2,
    account_v3,
    balance,
    multi_assets_get,
    multi_assets_set,
    position_mode_get,
    position_mode_set,
    position_risk_v2,
    position_risk_v3,
)

Params = dict[str, str]
INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d",
             "1w", "1M")


@dataclass(frozen=True)
class Route:
    handler: Callable[[Any, Params], Any]
    signed: bool = False
    weight: int | Callable[[Params], int] = 1
    counts_order: bool = False
    key_only: bool = False  # X-MBX-APIKEY without signature (listenKey)

    def weight_of(self, params: Params) -> int:
        return self.weight(params) if callable(self.weight) else self.weight


def _spec(ctx: Any, symbol: str) -> Any:
    return ctx.engine.spec(symbol)


def ping(ctx: Any, p: Params) -> dict:
    return {}


def server_time(ctx: Any, p: Params) -> dict:
    return {"serverTime": ctx.auth.server_time()}


def exchange_info(ctx: Any, p: Params) -> dict:
    return {
        "timezone": "UTC",
        "serverTime": ctx.auth.server_time(),
        "futuresType": "U_MARGINED",
        "rateLimits": _rate_limits(ctx.limiter),
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
        "symbols": [spec.exchange_info() for spec in ctx.engine.specs.values()],
    }


def _rate_limits(limiter: Any) -> list[dict]:
    """The limits this venue enforces, as Binance publishes its own. A limit switched off is
    left out rather than published as a number nobody enforces; with no limiter (a bare
    handler in a test) Binance's figures."""
    weight, orders_1m, orders_10s = ((2400, 1200, 300) if limiter is None else
                                     (limiter.weight_limit, limiter.orders_1m, limiter.orders_10s))
    rows = [("REQUEST_WEIGHT", "MINUTE", 1, weight), ("ORDERS", "MINUTE", 1, orders_1m),
            ("ORDERS", "SECOND", 10, orders_10s)]
    return [{"rateLimitType": kind, "interval": interval, "intervalNum": num, "limit": limit}
            for kind, interval, num, limit in rows if limit is not None]


def _symbols(ctx: Any, p: Params) -> list[str]:
    symbol = parsing.symbol(p, required=False)
    if symbol is None:
        return list(ctx.engine.specs)
    ctx.engine.spec(symbol)
    return [symbol]


def premium_index(ctx: Any, p: Params) -> Any:
    engine = ctx.engine
    with engine.lock:
        engine.sync()
        now = engine.now_ms()
        rows = [{
            "symbol": s, "markPrice": wire.num(engine.mark[s], 8),
            "indexPrice": wire.num(engine.mark[s], 8),
            "estimatedSettlePrice": wire.num(engine.mark[s], 8),
            "lastFundingRate": "0.00010000", "interestRate": "0.00010000",
            "nextFundingTime": (now // 28_800_000 + 1) * 28_800_000, "time": now,
        } for s in _symbols(ctx, p)]
    return rows[0] if "symbol" in p else rows


def ticker_price(ctx: Any, p: Params) -> Any:
    engine = ctx.engine
    with engine.lock:
        engine.sync()
        now = engine.now_ms()
        rows = [{"symbol": s, "price": wire.num(engine.last[s], _spec(ctx, s).price_precision),
                 "time": now} for s in _symbols(ctx, p)]
    return rows[0] if "symbol" in p else rows


def _klines_weight(p: Params) -> int:
    try:
        limit = int(p.get("limit") or 500)
    except ValueError:
        return 1
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def klines(ctx: Any, p: Params) -> list:
    symbol = parsing.symbol(p)
    assert symbol is not None
    ctx.engine.spec(symbol)
    interval = parsing.text(p, "interval", required=True)
    if interval not in INTERVALS:
        raise errors.PaperError(-1120, "Invalid interval.")
    limit = parsing.integer(p, "limit") or 500
    if not 1 <= limit <= 1500:
        raise errors.invalid_data("limit")
    start = parsing.integer(p, "startTime")
    end = parsing.integer(p, "endTime")
    with ctx.engine.lock:
        ctx.engine.sync()
        try:
            candles = ctx.market.klines(symbol, interval, start_ms=start, end_ms=end, limit=limit)
        except ValueError:
            raise errors.invalid_data("startTime") from None
    return [c.to_wire() for c in candles]


# ---------------------------------------------------------------- orders
def new_order(ctx: Any, p: Params) -> dict:
    req = parsing.order_request(p)
    ack, final = ctx.engine.place_order(req)
    spec = _spec(ctx, req.symbol)
    if (p.get("newOrderRespType") or "ACK") == "RESULT":
        return wire.order(final, spec, with_time=False)
    return wire.order_ack(ack, spec)


def get_order(ctx: Any, p: Params) -> dict:
    symbol = parsing.symbol(p)
    assert symbol is not None
    order_id, client_id = parsing.order_ref(p, "orderId", "origClientOrderId")
    order = ctx.engine.get_order(symbol, order_id, client_id)
    return wire.order(order, _spec(ctx, symbol))


def cancel_order(ctx: Any, p: Params) -> dict:
    symbol = parsing.symbol(p)
    assert symbol is not None
    order_id, client_id = parsing.order_ref(p, "orderId", "origClientOrderId")
    order = ctx.engine.cancel_order(symbol, order_id, client_id)
    return wire.order(order, _spec(ctx, symbol), with_time=False)


def open_orders(ctx: Any, p: Params) -> list:
    symbol = parsing.symbol(p, required=False)
    return [wire.order(o, _spec(ctx, o.symbol)) for o in ctx.engine.open_orders(symbol)]


def all_orders(ctx: Any, p: Params) -> list:
    symbol = parsing.symbol(p)
    assert symbol is not None
    found = _window(ctx.engine.all_orders(symbol), p, "orderId", lambda o: o.order_id,
                    lambda o: o.time_ms)
    return [wire.order(o, _spec(ctx, symbol)) for o in found]


def _window(items: list, p: Params, id_name: str, id_of: Callable, time_of: Callable) -> list:
    from_id = parsing.integer(p, id_name)
    start = parsing.integer(p, "startTime")
    end = parsing.integer(p, "endTime")
    limit = parsing.integer(p, "limit") or 500
    if not 1 <= limit <= 1000:
        raise errors.invalid_data("limit")
    kept = [i for i in items if (from_id is None or id_of(i) >= from_id)
            and (start is None or time_of(i) >= start) and (end is None or time_of(i) <= end)]
    return kept[:limit] if from_id is not None or start is not None else kept[-limit:]


def user_trades(ctx: Any, p: Params) -> list:
    query = parsing.trade_query(p)
    spec = _spec(ctx, query.symbol)
    return [wire.trade(t, spec) for t in ctx.engine.user_trades(query)]


def cancel_all_orders(ctx: Any, p: Params) -> dict:
    symbol = parsing.symbol(p)
    assert symbol is not None
    ctx.engine.cancel_all_orders(symbol)
    return {"code": 200, "msg": "The operation of cancel all open order is done."}


# ---------------------------------------------------------------- algo orders
def new_algo(ctx: Any, p: Params) -> dict:
    req = parsing.algo_request(p)
    algo = ctx.engine.place_algo(req)
    return wire.algo(algo, _spec(ctx, req.symbol))


def _algo_ref(p: Params) -> tuple[int | None, str | None]:
    return parsing.order_ref(p, "algoId", "clientAlgoId")


def get_algo(ctx: Any, p: Params) -> dict:
    algo_id, client_id = _algo_ref(p)
    algo = ctx.engine.get_algo(algo_id, client_id)
    return wire.algo(algo, _spec(ctx, algo.symbol))


def cancel_algo(ctx: Any, p: Params) -> dict:
    algo_id, client_id = _algo_ref(p)
    algo = ctx.engine.cancel_algo(algo_id, client_id)
    return {"algoId": algo.algo_id, "clientAlgoId": algo.client_algo_id, "code": "200",
            "msg": "success"}


def open_algos(ctx: Any, p: Params) -> list:
    symbol = parsing.symbol(p, required=False)
    return [wire.algo(a, _spec(ctx, a.symbol)) for a in ctx.engine.open_algos(symbol)]


def all_algos(ctx: Any, p: Params) -> list:
    symbol = parsing.symbol(p)
    found = _window(ctx.engine.all_algos(symbol), p, "algoId", lambda a: a.algo_id,
                    lambda a: a.create_ms)
    return [wire.algo(a, _spec(ctx, a.symbol)) for a in found]


def cancel_all_algos(ctx: Any, p: Params) -> dict:
    symbol = parsing.symbol(p)
    assert symbol is not None
    ctx.engine.cancel_all_algos(symbol)
    return {"code": 200, "msg": "The operation of cancel all open order is done."}


# ---------------------------------------------------------------- account
def leverage(ctx: Any, p: Params) -> dict:
    symbol = parsing.symbol(p)
    assert symbol is not None
    value = parsing.integer(p, "leverage", required=True)
    assert value is not None
    ctx.engine.set_leverage(symbol, value)
    return {"leverage": value, "maxNotionalValue": "1000000", "symbol": symbol}


def leverage_bracket(ctx: Any, p: Params) -> Any:
    rows = [{"symbol": s, "notionalCoef": 1.0,
             "brackets": [b.to_wire() for b in ctx.engine.brackets[s]]} for s in _symbols(ctx, p)]
    return rows[0] if "symbol" in p else rows


def listen_key_new(ctx: Any, p: Params) -> dict:
    key = secrets.token_urlsafe(48)
    ctx.listen_keys.add(key)
    return {"listenKey": key}


def listen_key_keepalive(ctx: Any, p: Params) -> dict:
    key = p.get("listenKey")
    if key is not None and key not in ctx.listen_keys:
        raise errors.invalid_listen_key()
    if key is None and not ctx.listen_keys:
        raise errors.invalid_listen_key()
    return {"listenKey": key or next(iter(ctx.listen_keys))}


def listen_key_close(ctx: Any, p: Params) -> dict:
    key = p.get("listenKey")
    if key:
        ctx.listen_keys.discard(key)
    else:
        ctx.listen_keys.clear()
    return {}


def _many(base: int, without_symbol: int) -> Callable[[Params], int]:
    return lambda p: base if p.get("symbol") else without_symbol


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/fapi/v1/ping"): Route(ping),
    ("GET", "/fapi/v1/time"): Route(server_time),
    ("GET", "/fapi/v1/exchangeInfo"): Route(exchange_info),
    ("GET", "/fapi/v1/premiumIndex"): Route(premium_index, weight=_many(1, 10)),
    ("GET", "/fapi/v1/ticker/price"): Route(ticker_price, weight=_many(1, 2)),
    ("GET", "/fapi/v2/ticker/price"): Route(ticker_price, weight=_many(1, 2)),
    ("GET", "/fapi/v1/klines"): Route(klines, weight=_klines_weight),
    ("POST", "/fapi/v1/order"): Route(new_order, signed=True, weight=0, counts_order=True),
    ("GET", "/fapi/v1/order"): Route(get_order, signed=True),
    ("DELETE", "/fapi/v1/order"): Route(cancel_order, signed=True),
    ("GET", "/fapi/v1/openOrders"): Route(open_orders, signed=True, weight=_many(1, 40)),
    ("GET", "/fapi/v1/allOrders"): Route(all_orders, signed=True, weight=5),
    ("DELETE", "/fapi/v1/allOpenOrders"): Route(cancel_all_orders, signed=True),
    ("GET", "/fapi/v1/userTrades"): Route(user_trades, signed=True, weight=5),
    ("POST", "/fapi/v1/algoOrder"): Route(new_algo, signed=True, weight=0, counts_order=True),
    ("GET", "/fapi/v1/algoOrder"): Route(get_algo, signed=True),
    ("DELETE", "/fapi/v1/algoOrder"): Route(cancel_algo, signed=True),
    ("GET", "/fapi/v1/openAlgoOrders"): Route(open_algos, signed=True, weight=_many(1, 40)),
    ("GET", "/fapi/v1/allAlgoOrders"): Route(all_algos, signed=True, weight=5),
    ("DELETE", "/fapi/v1/algoOpenOrders"): Route(cancel_all_algos, signed=True),
    ("POST", "/fapi/v1/leverage"): Route(leverage, signed=True),
    ("GET", "/fapi/v1/leverageBracket"): Route(leverage_bracket, signed=True),
    ("GET", "/fapi/v2/account"): Route(account_v2, signed=True, weight=5),
    ("GET", "/fapi/v3/account"): Route(account_v3, signed=True, weight=5),
    ("GET", "/fapi/v2/balance"): Route(balance, signed=True, weight=5),
    ("GET", "/fapi/v3/balance"): Route(balance, signed=True, weight=5),
    ("GET", "/fapi/v2/positionRisk"): Route(position_risk_v2, signed=True, weight=5),
    ("GET", "/fapi/v3/positionRisk"): Route(position_risk_v3, signed=True, weight=5),
    ("GET", "/fapi/v1/positionSide/dual"): Route(position_mode_get, signed=True, weight=30),
    ("POST", "/fapi/v1/positionSide/dual"): Route(position_mode_set, signed=True),
    ("GET", "/fapi/v1/multiAssetsMargin"): Route(multi_assets_get, signed=True, weight=30),
    ("POST", "/fapi/v1/multiAssetsMargin"): Route(multi_assets_set, signed=True),
    ("POST", "/fapi/v1/listenKey"): Route(listen_key_new, key_only=True),
    ("PUT", "/fapi/v1/listenKey"): Route(listen_key_keepalive, key_only=True),
    ("DELETE", "/fapi/v1/listenKey"): Route(listen_key_close, key_only=True),
}
