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
    DEMO = "demo"  # Binance's demo trading: the live API surface, demo money, demo keys
    LIVE = "live"


class Side(StrEnum):
    """Order side, as Binance spells it."""

    BUY = "BUY"
    SELL = "SELL"


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
    AT_RISK = "AT_RISK"  # a stop is there, but beyond the liquidation price: it would not fire
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

    @property
    def max_market_qty(self) -> Decimal | None:
        """The most one market order may carry, and so one reduce-only stop or emergency
        close: a position above it cannot be shut in one request. None: no limit known."""
        limit = self.market_max_qty or self.max_qty
        return limit if limit > 0 else None

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
class MarkQuote:
    """A mark price with the venue's time for it: sizing and stops must not use an old one."""

    symbol: str
    price: Decimal
    time: datetime | None  # None: the venue did not say, so its age is unknown


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


class ExitReason(StrEnum):
    """Who closed a trade: the books group by it and the loss flag names it."""

    STOP = "stop"
    TRAILING = "trailing"
    TAKE_PROFIT = "take_profit"
    EMERGENCY = "emergency"
    FLATTEN = "flatten"
    MANUAL = "manual"
    LIQUIDATION = "liquidation"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Trade:
    """One trade of the bot's books: opened by the bot (or adopted), closed by anyone.

    The bot owns the opening fields; the closing ones come from the venue's fills
    (PnL net of commission), so the books agree with the exchange's wallet.
    """

    symbol: str
    direction: Direction
    quantity: Decimal
    entry_price: Decimal
    stop_price: Decimal | None
    position_key: str
    opened_at: datetime
    take_profit: Decimal | None = None
    trailing_rate: Decimal | None = None
    adopted: bool = False
    id: int | None = None  # set by the store
    exit_price: Decimal | None = None
    close_reason: str | None = None
    pnl_usdt: Decimal | None = None  # net of every commission of the trade's fills
    fees_usdt: Decimal | None = None
    pnl_pct_equity: Decimal | None = None
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class Fill:
    """One execution from the venue's trade list (GET /fapi/v1/userTrades)."""

    symbol: str
    order_id: int
    side: Side
    price: Decimal
    quantity: Decimal
    realized_pnl: Decimal
    commission: Decimal
    commission_asset: str
    maker: bool
    time: datetime
    id: int = 0


class VenueEventKind(StrEnum):
    ALGO = "ALGO_UPDATE"
    ORDER = "ORDER_TRADE_UPDATE"
    ACCOUNT = "ACCOUNT_UPDATE"
    LISTEN_KEY_EXPIRED = "listenKeyExpired"


@dataclass(frozen=True)
class VenueEvent:
    """A change the venue pushed on the user-data stream: where, and whether it can touch
    protection (``touches``); the targeted check reads the truth itself."""

    kind: VenueEventKind
    symbol: str | None
    at: datetime | None
    status: str = ""
    client_id: str = ""
    touches: bool = False
    reason: str = ""
    symbols: tuple[str, ...] = ()

    @property
    def touched_symbols(self) -> tuple[str, ...]:
        if self.symbol:
            return (self.symbol, *(s for s in self.symbols if s != self.symbol))
        return self.symbols


class StreamState(StrEnum):
    DISABLED = "DISABLED"
    CONNECTING = "CONNECTING"
    UP = "UP"
    DOWN = "DOWN"


@dataclass(frozen=True)
class StreamStatus:
    """What the dashboard and the alerts know of the user-data stream."""

    state: StreamState = StreamState.DISABLED
    since: datetime | None = None
    last_event_at: datetime | None = None
    reconnects: int = 0
    events: int = 0
    last_error: str = ""
