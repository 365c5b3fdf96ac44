"""Read-only views of the bot's state, built in memory for the dashboard.

The dashboard renders these and nothing else: building a snapshot never
touches the exchange, so a browser refresh costs no request weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.domain.events import Severity
from bot.domain.kill import KillState
from bot.domain.model import Coverage, Direction, Kline, Mode, Regime, StreamStatus, Trade


@dataclass(frozen=True)
class PositionView:
    symbol: str
    direction: Direction
    quantity: Decimal
    entry_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal
    coverage: Coverage
    stop_trigger: Decimal | None
    stop_distance_pct: float | None
    stop_id: str | None
    working_type: str | None
    trailing_rate: Decimal | None
    trailing_activation: Decimal | None
    take_profit: Decimal | None
    verified_at: datetime | None
    opened_at: datetime | None
    # display precision from the symbol's filters (tick size, step size); None: derived
    price_decimals: int | None = None
    qty_decimals: int | None = None
    # from the exchange's position: None when the runtime does not say
    leverage: int | None = None
    liquidation_price: Decimal | None = None
    # the trade's own stop (trades.stop_price): the R multiple's risk; None: stop_trigger
    risk_stop: Decimal | None = None
    # coverage history from the symbol's events (NAKED_DETECTED / STOP_PLACED):
    naked_since: datetime | None = None  # set while uncovered: when it was found naked
    reprotected_at: datetime | None = None  # the stop that ended the last naked spell
    last_naked_s: float | None = None  # how long that spell lasted


@dataclass(frozen=True)
class RegimeView:
    regime: Regime
    computed_at: datetime | None
    inputs: dict[str, float] = field(default_factory=dict)
    # stamped when read (RegimeTracker.current): seconds since the last successful refresh,
    # None if none since start; a stale regime counts as unknown and blocks shorts
    age_s: float | None = None
    stale: bool = False


@dataclass(frozen=True)
class RequestBudget:
    """The exchange's request budget as the adapter last saw it (response headers, 429/418):
    what the dashboard shows. Above ``reserve_share`` of a limit the bot sends only what
    protects positions."""

    used_weight: int
    weight_limit: int
    order_count_10s: int
    order_limit_10s: int
    order_count_1m: int
    order_limit_1m: int
    reserve_share: float | None  # None: no reserve kept
    banned_until: datetime | None = None  # nothing is sent before then (HTTP 429/418)

    @property
    def reserve_only(self) -> bool:
        """Only protection is sent: entries and optional reads are refused locally."""
        share = self.reserve_share
        if share is None:
            return False
        return (self.used_weight > share * self.weight_limit
                or self.order_count_10s > share * self.order_limit_10s
                or self.order_count_1m > share * self.order_limit_1m)


@dataclass(frozen=True)
class RuleParam:
    name: str
    value: str
    kind: str  # "int" | "float" | "bool"
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""


@dataclass(frozen=True)
class RuleView:
    name: str
    title: str
    enabled: bool
    toggleable: bool
    params: tuple[RuleParam, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class RedFlagView:
    id: int
    at: datetime
    severity: Severity
    label: str  # a Binance code, NAKED, EMERGENCY CLOSE, LOSS > 1%
    symbol: str | None
    message: str
    acknowledged: bool
    kind: str = ""  # the EventKind behind the flag: groups flags into incidents
    code: int | None = None
    # what the bot did, from the event's details (quantity, avg_price, rung, ...), as text
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ActivityLine:
    at: datetime
    level: str
    text: str  # in the seed's style: "[SHIELD] Placing IMMEDIATE SL for ATOMUSDT: BUY @ 2.534"


@dataclass(frozen=True)
class Kpis:
    open_positions: int = 0
    covered_positions: int = 0
    sl_success_rate_24h: float | None = None
    fill_to_stop_p50_ms: float | None = None
    fill_to_stop_p99_ms: float | None = None
    emergency_closes_24h: int = 0
    shorts_blocked_24h: int = 0
    position_limit_denials_24h: int = 0
    loss_per_stop_hit_pct: float | None = None
    stops_canceled_while_open: int = 0
    would_trigger_rejections: int = 0
    callback_rate_rejections: int = 0
    equity: Decimal | None = None


@dataclass(frozen=True)
class EquityPoint:
    at: datetime
    equity: Decimal


@dataclass(frozen=True)
class Snapshot:
    mode: Mode
    status: str  # "starting" | "running" | "stopped" | "error"
    kill_state: KillState
    kill_reason: str
    regime: RegimeView | None
    last_monitor_at: datetime | None
    positions: tuple[PositionView, ...]
    kpis: Kpis
    red_flags: tuple[RedFlagView, ...]
    rules: tuple[RuleView, ...]
    activity: tuple[ActivityLine, ...]
    equity_curve: tuple[EquityPoint, ...] = ()
    regime_history: tuple[RegimeView, ...] = ()
    taken_at: datetime | None = None
    stream: StreamStatus = field(default_factory=StreamStatus)
    request_budget: RequestBudget | None = None
    unacknowledged_flags: int = 0  # every unacknowledged red flag, not only those listed
    recent_trades: tuple[Trade, ...] = ()  # the newest closed trades: how incidents ended


@dataclass(frozen=True)
class ChartView:
    symbol: str
    klines: tuple[Kline, ...]
    entry: Decimal | None = None
    stop: Decimal | None = None
    take_profit: Decimal | None = None
    fills: tuple[tuple[int, Decimal, str], ...] = field(default_factory=tuple)  # (ms, price, side)
    # closes of the position, (ms, price, reason): stop hit, take-profit, emergency, manual
    exits: tuple[tuple[int, Decimal, str], ...] = field(default_factory=tuple)
