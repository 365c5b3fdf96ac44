"""The engine's records: requests in, orders, algo orders, positions and ledger entries.

Requests are frozen (parsed once at the REST boundary); the book records are
mutable because the engine owns and advances them under its lock; ledger
entries are frozen because the ledger is append-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal("0")


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_MARKET = "STOP_MARKET"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET"
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"

    @property
    def is_conditional(self) -> bool:
        return self not in (OrderType.MARKET, OrderType.LIMIT)

    @property
    def is_stop_family(self) -> bool:
        return self in (OrderType.STOP, OrderType.STOP_MARKET, OrderType.TRAILING_STOP_MARKET)

    @property
    def child_is_limit(self) -> bool:
        return self in (OrderType.STOP, OrderType.TAKE_PROFIT)


class WorkingType(StrEnum):
    MARK_PRICE = "MARK_PRICE"
    CONTRACT_PRICE = "CONTRACT_PRICE"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTX = "GTX"


class OrderStatus(StrEnum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


class AlgoStatus(StrEnum):
    NEW = "NEW"
    TRIGGERING = "TRIGGERING"
    TRIGGERED = "TRIGGERED"
    FINISHED = "FINISHED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_open(self) -> bool:
        return self in (AlgoStatus.NEW, AlgoStatus.TRIGGERING)


@dataclass(frozen=True)
class OrderRequest:
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal | None = None
    price: Decimal | None = None
    time_in_force: TimeInForce | None = None  # required for LIMIT, as on Binance
    reduce_only: bool = False
    client_order_id: str | None = None
    position_side: str = "BOTH"  # LONG / SHORT only in hedge mode
    reduce_only_sent: bool = False  # hedge mode refuses the parameter itself (-1106)


@dataclass(frozen=True)
class AlgoRequest:
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    working_type: WorkingType = WorkingType.CONTRACT_PRICE
    close_position: bool = False
    reduce_only: bool = False
    price_protect: bool = False
    activate_price: Decimal | None = None
    callback_rate: Decimal | None = None
    client_algo_id: str | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    position_side: str = "BOTH"
    reduce_only_sent: bool = False


@dataclass
class Order:
    order_id: int
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    orig_qty: Decimal
    price: Decimal
    time_in_force: TimeInForce
    reduce_only: bool
    close_position: bool
    time_ms: int
    update_ms: int
    status: OrderStatus = OrderStatus.NEW
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    avg_price: Decimal = ZERO
    orig_type: OrderType | None = None
    stop_price: Decimal = ZERO
    working_type: WorkingType = WorkingType.CONTRACT_PRICE
    algo_id: int | None = None
    position_side: str = "BOTH"


@dataclass
class AlgoOrder:
    algo_id: int
    client_algo_id: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal
    price: Decimal
    trigger_price: Decimal
    working_type: WorkingType
    close_position: bool
    reduce_only: bool
    price_protect: bool
    activate_price: Decimal | None
    callback_rate: Decimal | None
    time_in_force: TimeInForce
    create_ms: int
    update_ms: int
    status: AlgoStatus = AlgoStatus.NEW
    trigger_ms: int = 0
    activated: bool = False
    extreme: Decimal | None = None
    actual_order_id: int | None = None
    actual_price: Decimal | None = None
    position_side: str = "BOTH"
    due_ms: int | None = None  # TRIGGERING: when the child order is created (None: stuck)
    trigger_fault: str | None = None  # an armed trigger fault this order drew when it fired
    reject_reason: str = ""  # REJECTED: why (ALGO_UPDATE's ``rm``)
    visible_wall_ms: int = 0  # read-after-write lag: queries see it from this wall time on


@dataclass
class PositionState:
    symbol: str
    amount: Decimal = ZERO  # signed: > 0 long, < 0 short (one-way mode)
    entry_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    update_ms: int = 0


@dataclass(frozen=True)
class LedgerEntry:
    """One thing that happened to an order: who did it, to what, when."""

    id: int
    time_ms: int
    action: str  # PLACED CANCELED TRIGGERED FILLED EXPIRED REJECTED LIQUIDATED ...
    actor: str  # client | engine | control
    book: str  # order | algo | account
    symbol: str
    order_id: int | None = None
    algo_id: int | None = None
    client_id: str | None = None
    side: str | None = None
    type: str | None = None
    quantity: str | None = None
    price: str | None = None
    status: str | None = None
    details: dict = field(default_factory=dict)
    wall_ms: int = 0  # real time, for latency figures when the simulated clock runs fast

    def to_json(self) -> dict:
        return {
            "id": self.id, "time": self.time_ms, "wallTime": self.wall_ms,
            "action": self.action, "actor": self.actor,
            "book": self.book, "symbol": self.symbol, "orderId": self.order_id,
            "algoId": self.algo_id, "clientId": self.client_id, "side": self.side,
            "type": self.type, "quantity": self.quantity, "price": self.price,
            "status": self.status, "details": dict(self.details),
        }
