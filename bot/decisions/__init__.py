"""Deciding what to trade: signals, regime, the trade-opportunity filter, sizing, kill switch.

Public surface (import from here):
- signals: ``validate_signal``, ``SignalRejected``, ``WebhookSignal``
- signal queue: ``SignalQueue``, ``SignalQueueFull`` (the webhook is in ``bot.web``)
- regime: ``classify_regime``, ``local_trend``, ``RegimeTracker``, ``RegimeParams``
- strategy: ``Strategy``, ``TrendFollowingStrategy``, ``TrendParams``, ``scan_symbols``
- rules: ``RuleBook``, ``RuleDefaults``, ``default_rules``, ``Verdict``, ``RuleContext``
- sizing: ``size_position``, ``Sizing`` (the stop policy is protection's ``StopPolicy``)
- kill switch: ``KillSwitch``
- pipeline: ``DecisionPipeline``, ``MarketContext``, ``DecisionOutcome``
  (``bot.decisions.context.ExchangeContextProvider`` builds the MarketContext)
"""

from bot.decisions.killswitch import KillSwitch
from bot.decisions.pipeline import DecisionOutcome, DecisionPipeline, MarketContext
from bot.decisions.regime import (
    RegimeParams,
    RegimeTracker,
    classify_regime,
    closed_only,
    local_trend,
)
from bot.decisions.rules import RuleBook, RuleContext, RuleDefaults, Verdict, default_rules
from bot.decisions.signal_queue import SignalQueue, SignalQueueFull
from bot.decisions.signals import SignalRejected, WebhookSignal, validate_signal
from bot.decisions.sizing import Sizing, size_position
from bot.decisions.strategy import (
    Strategy,
    TrendFollowingStrategy,
    TrendParams,
    scan_symbols,
)

__all__ = [
    "DecisionOutcome", "DecisionPipeline", "KillSwitch", "MarketContext", "RegimeParams",
    "RegimeTracker", "RuleBook", "RuleContext", "RuleDefaults", "SignalQueue",
    "SignalQueueFull", "SignalRejected", "Sizing", "Strategy",
    "TrendFollowingStrategy", "TrendParams", "Verdict", "WebhookSignal", "classify_regime",
    "closed_only", "default_rules", "local_trend", "scan_symbols",
    "size_position", "validate_signal",
]
