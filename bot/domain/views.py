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
from bot.domain.model import Coverage, Direction, Kline, Mode, Regime


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


@dataclass(frozen=True)
class RegimeView:
    regime: Regime
    computed_at: datetime | None
    inputs: dict[str, float] = field(default_factory=dict)


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


@dataclass(frozen=True)
class ChartView:
    symbol: str
    klines: tuple[Kline, ...]
    entry: Decimal | None = None
    stop: Decimal | None = None
    take_profit: Decimal | None = None
    fills: tuple[tuple[int, Decimal, str], ...] = field(default_factory=tuple)  # (ms, price, side)
