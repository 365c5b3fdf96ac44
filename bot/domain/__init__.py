"""The bot's vocabulary: value objects, enums, events and read models.

The bottom layer: it imports nothing else of ours, and everything above speaks it.
Wire dicts (camelCase, strings) stop at the exchange adapter; past it the bot only
sees these frozen dataclasses and enums, with money as ``Decimal``.
"""

from bot.domain.events import RED_FLAG_KINDS, Event, EventKind, Severity, red_flag_label
from bot.domain.kill import ControlResult, KillAction, KillState, entry_denial
from bot.domain.model import (
    Account,
    AlgoStatus,
    ConditionalOrder,
    Coverage,
    Decision,
    Direction,
    ExitReason,
    Fill,
    Kline,
    MarkQuote,
    Mode,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Purpose,
    Regime,
    Side,
    Signal,
    StreamState,
    StreamStatus,
    SymbolFilters,
    Trade,
    VenueEvent,
    VenueEventKind,
    WorkingType,
)
from bot.domain.views import (
    ActivityLine,
    ChartView,
    EquityPoint,
    Kpis,
    PositionView,
    RedFlagView,
    RegimeView,
    RequestBudget,
    RuleParam,
    RuleView,
    Snapshot,
)

__all__ = [
    "RED_FLAG_KINDS", "Account", "ActivityLine", "AlgoStatus", "ChartView", "ConditionalOrder",
    "ControlResult", "Coverage", "Decision", "Direction", "EquityPoint", "Event", "EventKind",
    "ExitReason", "Fill",
    "KillAction", "KillState", "Kline", "Kpis", "MarkQuote", "Mode", "Order", "OrderStatus",
    "OrderType",
    "Position", "PositionView", "Purpose", "RedFlagView", "Regime", "RegimeView",
    "RequestBudget", "RuleParam",
    "RuleView", "Severity", "Side", "Signal", "Snapshot", "StreamState", "StreamStatus",
    "SymbolFilters", "Trade", "VenueEvent", "VenueEventKind", "WorkingType",
    "entry_denial", "red_flag_label",
]
