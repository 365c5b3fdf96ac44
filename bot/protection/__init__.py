"""The protection core: the one place that decides and places stops.

The executor, the monitor and reconciliation all go through ``Protector``;
there is no second copy of "place a stop".
"""

from bot.protection.config import ProtectionConfig, StopMode
from bot.protection.coverage import CoverageReport, assess
from bot.protection.ports import EventSink, TradeBook, TradeRecord
from bot.protection.stops import Protector, ProtectOutcome, ProtectStatus

__all__ = [
    "CoverageReport",
    "EventSink",
    "ProtectOutcome",
    "ProtectStatus",
    "ProtectionConfig",
    "Protector",
    "StopMode",
    "TradeBook",
    "TradeRecord",
    "assess",
]
