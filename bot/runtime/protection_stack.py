"""Wires the protection core and its users once, the same way for the app, tests and benches.

Each component receives its collaborators explicitly; this function is the one
place that knows them all, so none of them has to reach through another. The monitor's
re-check requests go into ``checks``, which the stream's reactor (or, without a stream,
the re-check timer) works through.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.ports import Clock, EventSink
from bot.execution.executor import EntryGate, Executor
from bot.execution.flatten import Flattener
from bot.locks import SymbolLocks
from bot.monitor import PositionMonitor
from bot.protection.closing import TradeCloser
from bot.protection.config import ProtectionConfig
from bot.protection.ports import Exchange, TradeBook
from bot.protection.recorder import EventRecorder
from bot.protection.stops import Protector
from bot.protection.trailing import ExitOrders
from bot.runtime.check_queue import CheckQueue


@dataclass(frozen=True)
class ProtectionStack:
    config: ProtectionConfig
    recorder: EventRecorder
    protector: Protector
    closer: TradeCloser
    executor: Executor
    monitor: PositionMonitor
    flattener: Flattener
    checks: CheckQueue


def build_protection(
    exchange: Exchange, events: EventSink, book: TradeBook, locks: SymbolLocks,
    config: ProtectionConfig, clock: Clock, entry_gate: EntryGate = lambda: None,
) -> ProtectionStack:
    recorder = EventRecorder(events, clock)
    protector = Protector(exchange, recorder, config)
    closer = TradeCloser(exchange, book, recorder, config.loss_flag_pct)
    exits = ExitOrders(exchange, recorder, config.working_type)
    trailing_rate = config.trailing_callback_rate if config.trailing_enabled else None
    executor = Executor(exchange, protector, exits, recorder, closer, book, locks,
                        trailing_rate=trailing_rate, entry_gate=entry_gate)
    checks = CheckQueue(clock)
    monitor = PositionMonitor(exchange, protector, recorder, closer, book, locks, config,
                              recheck=checks.at)
    flattener = Flattener(exchange, protector, recorder, closer, book, locks)
    return ProtectionStack(config, recorder, protector, closer, executor, monitor, flattener,
                           checks)
