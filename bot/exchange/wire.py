"""Binance wire format <-> domain types: the only place that reads camelCase dicts.

Every parse function takes one JSON object (or row) exactly as the REST API
returns it and gives back a frozen domain object, so nothing past the adapter
ever handles a dict or a float. Binance is inconsistent about numbers (strings
almost everywhere, bare numbers in a few places, ``""`` for "not set") and
booleans (JSON ``true`` in algo responses, ``"true"`` in some echoes), so the
helpers below accept each spelling the documentation or the wild shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.domain import (
    Account,
    AlgoStatus,
    ConditionalOrder,
    Direction,
    Fill,
    Kline,
    MarkQuote,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    SymbolFilters,
    WorkingType,
)
from bot.domain.errors import BinanceErrorCode as Code
from bot.domain.errors import refused

Wire = Mapping[str, Any]
_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")


class WireFormatError(ValueError):
    """A response field the adapter cannot read; raised instead of guessing."""


# --- scalar helpers -------------------------------------------------------------------------

def dec(value: Any, field: str = "value") -> Decimal:
    """A required decimal; floats go through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None or value == "":
        raise WireFormatError(f"{field}: expected a number, got {value!r}")
    try:
        return Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise WireFormatError(f"{field}: expected a number, got {value!r}") from exc


def opt_dec(value: Any, field: str = "value") -> Decimal | None:
    """An optional decimal: missing, empty and zero all mean "not set" on Binance's wire."""
    if value is None or value == "":
        return None
    number = dec(value, field)
    return None if number == 0 else number


def flag(value: Any) -> bool:
    """Binance booleans arrive as JSON booleans or as the strings "true"/"false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return False


def ms_to_dt(value: Any) -> datetime | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError) as exc:
        raise WireFormatError(f"timestamp: expected epoch ms, got {value!r}") from exc


def to_int(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise WireFormatError(f"{field}: expected an integer, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise WireFormatError(f"{field}: expected an integer, got {value!r}") from exc


def opt_int(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise WireFormatError(f"expected an integer id, got {value!r}") from exc


def _enum(kind: type, value: Any, field: str) -> Any:
    try:
        return kind(value)
    except ValueError as exc:
        raise WireFormatError(f"{field}: unknown value {value!r}") from exc


def _req(d: Wire, key: str) -> Any:
    if key not in d:
        raise WireFormatError(f"missing field {key!r}")
    return d[key]


# --- formatting and request checks (the one place a Decimal becomes wire text) -----------

def wire_decimal(value: Decimal) -> str:
    """Plain notation without exponent or trailing zeros: Decimal("1E+2") -> "100"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def wire_price(filters: SymbolFilters, price: Decimal) -> str:
    """Snap to tickSize (nearest); callers who need a direction snap before calling."""
    return wire_decimal(filters.round_price(price))


def wire_qty(filters: SymbolFilters, qty: Decimal, market: bool = False) -> str:
    """Snap down to the (market) step size: never sizes up a risk."""
    return wire_decimal(filters.round_qty(qty, market=market))


def positive(value: Decimal | int | str, name: str) -> Decimal:
    """Money arrives as Decimal; a float would carry binary noise onto the wire."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise refused(Code.MANDATORY_PARAM,
                      f"{name} must be a Decimal, got {type(value).__name__}.")
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise refused(Code.MANDATORY_PARAM, f"{name} is not a number: {value!r}.") from None
    if not number.is_finite() or number <= 0:
        raise refused(Code.MANDATORY_PARAM, f"{name} must be a positive number, got {value!r}.")
    return number


def client_id(value: str) -> str:
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise refused(Code.ILLEGAL_CHARS, f"client id {value!r} breaks ^[.A-Z:/a-z0-9_-]{{1,36}}$.")
    return value


def side(value: Side | str) -> str:
    try:
        return Side(value).value
    except ValueError:
        raise refused(Code.MANDATORY_PARAM, f"side must be BUY or SELL, got {value!r}.") from None


def wire_bool(value: bool) -> str:
    """python-binance sends str(value); Binance wants lowercase."""
    return "true" if value else "false"


# --- parse functions -------------------------------------------------------------------------

def parse_position(d: Wire) -> Position | None:
    """One positionRisk row (v2 or v3); None for a flat row.

    v3 has no ``leverage`` field, so it is derived from notional / initial
    margin when absent; 0 means the exchange reported neither.
    """
    amount = dec(_req(d, "positionAmt"), "positionAmt")
    if amount == 0:
        return None
    mark = dec(d.get("markPrice", "0"), "markPrice")
    leverage = 0
    if d.get("leverage") not in (None, ""):
        leverage = int(dec(d["leverage"], "leverage"))
    else:
        margin = opt_dec(d.get("positionInitialMargin") or d.get("initialMargin"))
        notional = opt_dec(d.get("notional"))
        if margin and notional:
            leverage = int((abs(notional) / margin).to_integral_value())
    return Position(
        symbol=str(_req(d, "symbol")),
        direction=Direction.LONG if amount > 0 else Direction.SHORT,
        quantity=abs(amount),
        entry_price=dec(d.get("entryPrice", "0"), "entryPrice"),
        mark_price=mark,
        unrealized_pnl=dec(d.get("unRealizedProfit", d.get("unrealizedProfit", "0")), "upnl"),
        leverage=leverage,
        liquidation_price=opt_dec(d.get("liquidationPrice")),
        updated_at=ms_to_dt(d.get("updateTime")),
    )


def parse_positions(rows: Sequence[Wire]) -> list[Position]:
    return [p for p in (parse_position(r) for r in rows) if p is not None]


def parse_conditional_order(d: Wire) -> ConditionalOrder:
    """An Algo-service order (new-order response, query, or openAlgoOrders row)."""
    close_position = flag(d.get("closePosition", False))
    return ConditionalOrder(
        algo_id=to_int(_req(d, "algoId"), "algoId"),
        client_algo_id=str(d.get("clientAlgoId", "")),
        symbol=str(_req(d, "symbol")),
        side=_enum(Side, _req(d, "side"), "side"),
        type=_enum(OrderType, d.get("orderType", d.get("type")), "orderType"),
        status=_enum(AlgoStatus, d.get("algoStatus", d.get("status", "NEW")), "algoStatus"),
        trigger_price=opt_dec(d.get("triggerPrice"), "triggerPrice"),
        quantity=opt_dec(d.get("quantity"), "quantity"),
        close_position=close_position,
        reduce_only=flag(d.get("reduceOnly", False)),
        working_type=_enum(
            WorkingType, d.get("workingType") or WorkingType.CONTRACT_PRICE.value, "workingType"
        ),
        activate_price=opt_dec(d.get("activatePrice"), "activatePrice"),
        callback_rate=opt_dec(d.get("callbackRate"), "callbackRate"),
        created_at=ms_to_dt(d.get("createTime")),
        updated_at=ms_to_dt(d.get("updateTime")),
        actual_order_id=opt_int(d.get("actualOrderId")),
    )


def parse_conditional_orders(rows: Sequence[Wire] | Wire) -> list[ConditionalOrder]:
    """openAlgoOrders answers a bare list; an object with "orders" is read the same."""
    return [parse_conditional_order(r) for r in algo_order_rows(rows)]


def algo_order_rows(answer: Sequence[Wire] | Wire) -> Sequence[Any]:
    """The rows of an openAlgoOrders answer, to be read one by one (``bot.exchange.rows``)."""
    items = answer.get("orders", []) if isinstance(answer, Mapping) else answer
    return list_rows(items)


def list_rows(answer: Any) -> Sequence[Any]:
    """A list answer, or WireFormatError: a whole answer that is not a list is unreadable."""
    if isinstance(answer, str | bytes | Mapping) or not isinstance(answer, Sequence):
        raise WireFormatError(f"expected a list, got {type(answer).__name__}")
    return answer


def parse_order(d: Wire) -> Order:
    """An ordinary-book order (new-order RESULT response, query, or openOrders row)."""
    return Order(
        order_id=to_int(_req(d, "orderId"), "orderId"),
        client_order_id=str(d.get("clientOrderId", "")),
        symbol=str(_req(d, "symbol")),
        side=_enum(Side, _req(d, "side"), "side"),
        type=_enum(OrderType, _req(d, "type"), "type"),
        status=_enum(OrderStatus, _req(d, "status"), "status"),
        price=dec(d.get("price") or "0", "price"),
        avg_price=dec(d.get("avgPrice") or "0", "avgPrice"),
        orig_qty=dec(d.get("origQty") or "0", "origQty"),
        executed_qty=dec(d.get("executedQty") or "0", "executedQty"),
        reduce_only=flag(d.get("reduceOnly", False)),
        updated_at=ms_to_dt(d.get("updateTime")),
    )


def parse_fill(d: Wire) -> Fill:
    """One row of the account's trade list: what the venue really booked for a fill."""
    return Fill(
        symbol=str(_req(d, "symbol")),
        order_id=to_int(_req(d, "orderId"), "orderId"),
        side=_enum(Side, _req(d, "side"), "side"),
        price=dec(_req(d, "price"), "price"),
        quantity=dec(_req(d, "qty"), "qty"),
        realized_pnl=dec(d.get("realizedPnl") or "0", "realizedPnl"),
        commission=dec(d.get("commission") or "0", "commission"),
        commission_asset=str(d.get("commissionAsset") or "USDT"),
        maker=flag(d.get("maker", False)),
        time=ms_to_dt(_req(d, "time")) or datetime.fromtimestamp(0, UTC),
        id=to_int(d.get("id") or 0, "id"),
    )


def parse_fills(rows: Sequence[Wire]) -> list[Fill]:
    return [parse_fill(r) for r in rows]


def parse_orders(rows: Sequence[Wire]) -> list[Order]:
    return [parse_order(r) for r in rows]


def parse_klines(rows: Sequence[Sequence[Any]]) -> list[Kline]:
    return [parse_kline(r) for r in rows]


def parse_kline(row: Sequence[Any]) -> Kline:
    """``[openTime, open, high, low, close, volume, closeTime, ...]``."""
    if len(row) < 7:
        raise WireFormatError(f"kline row too short: {row!r}")
    open_time = ms_to_dt(row[0])
    close_time = ms_to_dt(row[6])
    if open_time is None or close_time is None:
        raise WireFormatError(f"kline row without times: {row!r}")
    return Kline(
        open_time=open_time,
        open=dec(row[1], "open"),
        high=dec(row[2], "high"),
        low=dec(row[3], "low"),
        close=dec(row[4], "close"),
        volume=dec(row[5], "volume"),
        close_time=close_time,
    )


def parse_account(d: Wire) -> Account:
    """/fapi/v2/account (or v3) totals in USDT."""
    return Account(
        wallet_balance=dec(_req(d, "totalWalletBalance"), "totalWalletBalance"),
        available_balance=dec(_req(d, "availableBalance"), "availableBalance"),
        unrealized_pnl=dec(d.get("totalUnrealizedProfit", "0"), "totalUnrealizedProfit"),
    )


def parse_mark_prices(rows: Sequence[Wire] | Wire) -> dict[str, Decimal]:
    """premiumIndex answers a list without symbol and one object with it."""
    items = [rows] if isinstance(rows, Mapping) else list(rows)
    return {str(r["symbol"]): dec(r["markPrice"], "markPrice") for r in items}


def parse_mark_quotes(rows: Sequence[Wire] | Wire) -> dict[str, MarkQuote]:
    """premiumIndex with each row's ``time``: the age of a price is part of the price."""
    items = [rows] if isinstance(rows, Mapping) else list(rows)
    return {
        str(r["symbol"]): MarkQuote(str(r["symbol"]), dec(r["markPrice"], "markPrice"),
                                    ms_to_dt(r.get("time")))
        for r in items
    }


def parse_symbol_filters(d: Wire) -> SymbolFilters:
    """One exchangeInfo symbol. Steps are normalized so "0.01000000" snaps as 0.01."""
    by_type = {f.get("filterType"): f for f in d.get("filters", [])}
    price = by_type.get("PRICE_FILTER")
    lot = by_type.get("LOT_SIZE")
    if price is None or lot is None:
        raise WireFormatError(f"{d.get('symbol')}: PRICE_FILTER or LOT_SIZE missing")
    market = by_type.get("MARKET_LOT_SIZE")
    notional = by_type.get("MIN_NOTIONAL", {})

    def n(value: Any, field: str) -> Decimal:
        return dec(value, field).normalize()

    return SymbolFilters(
        symbol=str(_req(d, "symbol")),
        tick_size=n(price["tickSize"], "tickSize"),
        step_size=n(lot["stepSize"], "stepSize"),
        min_qty=n(lot["minQty"], "minQty"),
        max_qty=n(lot["maxQty"], "maxQty"),
        min_notional=n(notional.get("notional", notional.get("minNotional", "0")), "notional"),
        min_price=n(price.get("minPrice", "0"), "minPrice"),
        max_price=n(price.get("maxPrice", "0"), "maxPrice"),
        market_step_size=n(market["stepSize"], "stepSize") if market else None,
        market_min_qty=n(market["minQty"], "minQty") if market else None,
        market_max_qty=n(market["maxQty"], "maxQty") if market else None,
        price_precision=to_int(d.get("pricePrecision", 8), "pricePrecision"),
        quantity_precision=to_int(d.get("quantityPrecision", 8), "quantityPrecision"),
    )


def parse_exchange_info(d: Wire) -> dict[str, SymbolFilters]:
    """Tradable symbols only; a symbol in another status cannot take orders anyway."""
    out: dict[str, SymbolFilters] = {}
    for row in d.get("symbols", []):
        if row.get("status", "TRADING") != "TRADING":
            continue
        filters = parse_symbol_filters(row)
        out[filters.symbol] = filters
    return out


def parse_server_time(d: Wire) -> int:
    return to_int(_req(d, "serverTime"), "serverTime")


def parse_position_mode(d: Wire) -> bool:
    """``{"dualSidePosition": true}`` means hedge mode; anything but a boolean is unreadable,
    never a guess at one-way."""
    value = _req(d, "dualSidePosition")
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise WireFormatError(f"dualSidePosition: expected a boolean, got {value!r}")
    return value
