"""Binance USD-M user-data stream payloads, built from the engine's records.

Pure functions, no I/O and no engine: the stream feed hands them the records as
a change left them. Field names and JSON types follow Binance's pages under
https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/
(Event-Order-Update, Event-Algo-Order-Update, Event-Balance-and-Position-Update,
Event-User-Data-Stream-Expired) and what live accounts were seen to send:
numbers as strings, ids and times as integers (``ai`` is a string), ``E`` the
time the event was produced and ``T`` the time of the change, both venue ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.paper.model import ZERO, AlgoOrder, Order, OrderType, TimeInForce
from bot.paper.wire import num

LIQUIDATION_PREFIX = "autoclose-"  # Binance: a liquidation order's client id starts with this
USDT_PLACES = 8
STP_MODE = "EXPIRE_MAKER"


@dataclass(frozen=True)
class FillInfo:
    """One fill as the engine booked it (the ledger's FILLED details)."""

    qty: Decimal
    price: Decimal
    commission: Decimal
    realized_pnl: Decimal
    trade_id: int
    maker: bool


@dataclass(frozen=True)
class PositionSnapshot:
    """A position right after a change, for ACCOUNT_UPDATE's ``a.P``."""

    symbol: str
    amount: Decimal
    entry_price: Decimal
    breakeven_price: Decimal
    realized_pnl: Decimal  # accumulated, before fees ("cr")
    unrealized_pnl: Decimal
    position_side: str = "BOTH"


def _n(value: Decimal | None) -> str:
    """Binance's stream shows numbers without padding ("0.0007", "77290.7", "0")."""
    return num(value) if value else "0"


def _usdt(value: Decimal) -> str:
    return num(value, USDT_PLACES)


def breakeven_price(amount: Decimal, entry: Decimal, taker_fee: Decimal) -> Decimal:
    """Entry price moved by the closing fee (live: ep 77290.7, bep 77321.61628 at 0.04%)."""
    if amount == 0:
        return ZERO
    factor = 1 + taker_fee if amount > 0 else 1 - taker_fee
    return (entry * factor).quantize(Decimal("0.00000001"))


def is_liquidation(order: Order) -> bool:
    return order.client_order_id.startswith(LIQUIDATION_PREFIX)


def _expiry_reason(order: Order, status: str) -> str:
    """``er``: 2 for an IOC/FOK remainder, 9 for a market remainder, else 0 (None)."""
    if status != "EXPIRED":
        return "0"
    if order.type is OrderType.MARKET:
        return "9"
    if order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
        return "2"
    return "0"


def order_trade_update(order: Order, *, execution: str, status: str, fill: FillInfo | None,
                       event_ms: int, transaction_ms: int,
                       position_side: str = "BOTH") -> dict:
    """ORDER_TRADE_UPDATE: an ordinary-book order was placed, filled, cancelled or expired.

    ``execution`` is Binance's ``x`` (NEW, TRADE, CANCELED, EXPIRED, CALCULATED for a
    liquidation fill), ``status`` its ``X``. Commission ``n`` is the fee paid, positive,
    as live accounts show it. A triggered stop's child is a MARKET (or LIMIT) order whose
    ``ot`` names the conditional type and ``sp`` its trigger price.
    """
    liquidation = is_liquidation(order)
    order_type = "LIQUIDATION" if liquidation else order.type.value
    original = "LIQUIDATION" if liquidation else (order.orig_type or order.type).value
    return {
        "e": "ORDER_TRADE_UPDATE",
        "E": event_ms,
        "T": transaction_ms,
        "o": {
            "s": order.symbol,
            "c": order.client_order_id,
            "S": order.side.value,
            "o": order_type,
            "f": order.time_in_force.value,
            "q": _n(order.orig_qty),
            "p": _n(order.price),
            "ap": _n(order.avg_price) if order.executed_qty else "0",
            "sp": _n(order.stop_price),
            "x": execution,
            "X": status,
            "i": order.order_id,
            "l": _n(fill.qty) if fill else "0",
            "z": _n(order.executed_qty),
            "L": _n(fill.price) if fill else "0",
            "N": "USDT",
            "n": _usdt(fill.commission) if fill else "0",
            "T": transaction_ms,
            "t": fill.trade_id if fill else 0,
            "b": "0",
            "a": "0",
            "m": fill.maker if fill else False,
            "R": order.reduce_only,
            "wt": order.working_type.value,
            "ot": original,
            "ps": position_side,
            "cp": order.close_position,
            "pP": False,
            "si": 0,
            "ss": 0,
            "rp": _usdt(fill.realized_pnl) if fill else "0",
            "V": STP_MODE,
            "pm": "NONE",
            "gtd": 0,
            "er": _expiry_reason(order, status),
        },
    }


def algo_update(algo: AlgoOrder, *, status: str, child: Order | None, reason: str,
                event_ms: int, transaction_ms: int, position_side: str = "BOTH") -> dict:
    """ALGO_UPDATE: a conditional order changed status (NEW ... FINISHED, REJECTED, EXPIRED).

    ``ai``/``ap``/``aq``/``act`` describe the child order in the matching engine once the
    algo order has been triggered; before that they read "", "0", "0", "0" as in Binance's
    example. ``rm`` is the reason of a REJECTED / EXPIRED order, else "".
    ``ia`` (trailing stop activated) is not on the documented page but live accounts send it.
    """
    trailing = algo.type is OrderType.TRAILING_STOP_MARKET
    return {
        "e": "ALGO_UPDATE",
        "E": event_ms,
        "T": transaction_ms,
        "o": {
            "caid": algo.client_algo_id,
            "aid": algo.algo_id,
            "at": "CONDITIONAL",
            "o": algo.type.value,
            "s": algo.symbol,
            "S": algo.side.value,
            "ps": position_side,
            "f": algo.time_in_force.value,
            "q": _n(algo.quantity),
            "X": status,
            "ai": str(algo.actual_order_id) if algo.actual_order_id else "",
            "ap": _n(child.avg_price) if child is not None and child.executed_qty else "0",
            "aq": _n(child.executed_qty) if child is not None else "0",
            "act": child.type.value if child is not None else "0",
            "tp": _n(algo.trigger_price),
            "p": _n(algo.price),
            "V": STP_MODE,
            "wt": algo.working_type.value,
            "pm": "NONE",
            "cp": algo.close_position,
            "pP": algo.price_protect,
            "R": algo.reduce_only or algo.close_position,
            "tt": algo.trigger_ms,
            "gtd": 0,
            "rm": reason,
            "ia": bool(trailing and algo.activated),
        },
    }


def account_update(reason: str, wallet: Decimal, positions: list[PositionSnapshot], *,
                   event_ms: int, transaction_ms: int) -> dict:
    """ACCOUNT_UPDATE: the wallet (one USDT cross balance) and the positions that changed.

    ``bc`` (balance change other than PnL and fees) is "0": fills move the wallet only by
    PnL and fees. Only the changed symbols are listed, as Binance does for USDⓈ-M.
    """
    return {
        "e": "ACCOUNT_UPDATE",
        "E": event_ms,
        "T": transaction_ms,
        "a": {
            "m": reason,
            "B": [{"a": "USDT", "wb": _usdt(wallet), "cw": _usdt(wallet), "bc": "0"}],
            "P": [{
                "s": p.symbol,
                "pa": _n(p.amount),
                "ep": _n(p.entry_price),
                "bep": _n(p.breakeven_price),
                "cr": _n(p.realized_pnl),
                "up": _n(p.unrealized_pnl.quantize(Decimal("0.00000001"))),
                "mt": "cross",
                "iw": "0",
                "ps": p.position_side,
                "ma": "USDT",
            } for p in positions],
        },
    }


def listen_key_expired(listen_key: str, event_ms: int) -> dict:
    """listenKeyExpired: ``E`` is a STRING here (documented and seen live), unlike elsewhere."""
    return {"e": "listenKeyExpired", "E": str(event_ms), "listenKey": listen_key}
