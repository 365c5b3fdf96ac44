"""Typed domain objects shared by every part of the bot.

Wire dicts (camelCase, strings) stop at the exchange adapter; past it the bot
only sees these frozen dataclasses and enums, with money as ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum


class Mode(StrEnum):
    PAPER = "paper"
    TESTNET = "testnet"
    LIVE = "live"


class Side(StrEnum):
    """Order side, as Binance spells it."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class Direction(StrEnum):
    """Direction of a position (one-way mode: the sign of positionAmt)."""

    LONG = "LONG"
    SHORT = "SHORT"

    @property
    def entry_side(self) -> Side:
        return Side.BUY if self is Direction.LONG else Side.SELL

    @property
    def closing_side(self) -> Side:
        return Side.SELL if self is Direction.LONG else Side.BUY

    @classmethod
    def of_entry(cls, side: Side) -> Direction:
        return cls.LONG if side is Side.BUY else cls.SHORT


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
    def is_stop(self) -> bool:
        """Types that trigger against the position (losing side) and so protect it."""
        return self in (OrderType.STOP, OrderType.STOP_MARKET, OrderType.TRAILING_STOP_MARKET)


class WorkingType(StrEnum):
    MARK_PRICE = "MARK_PRICE"
    CONTRACT_PRICE = "CONTRACT_PRICE"


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


class OrderStatus(StrEnum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


class Coverage(StrEnum):
    COVERED = "COVERED"
    PARTIAL = "PARTIAL"
    NAKED = "NAKED"


class Regime(StrEnum):
    UPTREND = "UPTREND"
    DOWNTREND = "DOWNTREND"
    SIDEWAYS = "SIDEWAYS"


class Purpose(StrEnum):
    """Why an order exists; part of its deterministic client id."""

    ENTRY = "en"
    STOP = "sl"
    TAKE_PROFIT = "tp"
    TRAILING = "ts"
    EMERGENCY = "ex"
    CLOSE = "cl"


@dataclass(frozen=True)
class SymbolFilters:
    """A symbol's trading rules from exchangeInfo; the one place prices and sizes are snapped."""

    symbol: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    min_price: Decimal = Decimal("0")
    max_price: Decimal = Decimal("0")
    market_step_size: Decimal | None = None
    market_min_qty: Decimal | None = None
    market_max_qty: Decimal | None = None
    price_precision: int = 8
    quantity_precision: int = 8

    def round_price(self, price: Decimal, towards: str = "nearest") -> Decimal:
        """Snap to tickSize; ``towards`` is "nearest", "down" or "up"."""
        return _snap(price, self.tick_size, towards)

    def round_qty(self, qty: Decimal, market: bool = False) -> Decimal:
        """Snap a quantity down to the step size (never sizes up a risk)."""
        step = self.market_step_size if (market and self.market_step_size) else self.step_size
        return _snap(qty, step, "down")


def _snap(value: Decimal, step: Decimal, towards: str) -> Decimal:
    if step <= 0:
        return value
    rounding = {"nearest": ROUND_HALF_UP, "down": ROUND_DOWN, "up": ROUND_UP}[towards]
    units = (value / step).quantize(Decimal(1), rounding=rounding)
    return units * step


@dataclass(frozen=True)
class Position:
    symbol: str
    direction: Direction
    quantity: Decimal  # absolute size, > 0
    entry_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal
    leverage: int
    liquidation_price: Decimal | None = None
    updated_at: datetime | None = None

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.mark_price


@dataclass(frozen=True)
class ConditionalOrder:
    """An order in Binance's Algo book (stops, take-profits, trailing stops)."""

    algo_id: int
    client_algo_id: str
    symbol: str
    side: Side
    type: OrderType
    status: AlgoStatus
    trigger_price: Decimal | None
    quantity: Decimal | None  # None or 0 with close_position
    close_position: bool
    reduce_only: bool
    working_type: WorkingType
    activate_price: Decimal | None = None
    callback_rate: Decimal | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    actual_order_id: int | None = None


@dataclass(frozen=True)
class Order:
    """An order in the ordinary book (entries, market closes, triggered algo children)."""

    order_id: int
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    status: OrderStatus
    price: Decimal
    avg_price: Decimal
    orig_qty: Decimal
    executed_qty: Decimal
    reduce_only: bool
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Kline:
    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    close_time: datetime


@dataclass(frozen=True)
class Account:
    wallet_balance: Decimal
    available_balance: Decimal
    unrealized_pnl: Decimal

    @property
    def equity(self) -> Decimal:
        return self.wallet_balance + self.unrealized_pnl


@dataclass(frozen=True)
class Signal:
    symbol: str
    direction: Direction
    confidence: float
    source: str
    created_at: datetime
    stop_price: Decimal | None = None
    target_price: Decimal | None = None
    id: str = ""


@dataclass(frozen=True)
class Decision:
    """A trade the filter allowed and sizing sized: what the executor opens."""

    symbol: str
    direction: Direction
    quantity: Decimal
    stop_price: Decimal
    target_price: Decimal | None = None
    trailing: bool = False
    callback_rate: Decimal | None = None
    signal_id: str = ""
    extras: tuple[tuple[str, str], ...] = field(default_factory=tuple)
