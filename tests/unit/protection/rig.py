"""A ready-wired protection stack over the fakes."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.execution.executor import Executor
from bot.locks import SymbolLocks
from bot.monitor import PositionMonitor
from bot.protection.config import ProtectionConfig
from bot.protection.stops import Protector
from tests.unit.protection.fakes import FakeClock, FakeExchange, ListSink, MemoryBook


@dataclass
class Rig:
    config: ProtectionConfig = field(default_factory=ProtectionConfig)
    ex: FakeExchange = field(default_factory=FakeExchange)
    sink: ListSink = field(default_factory=ListSink)
    book: MemoryBook = field(default_factory=MemoryBook)
    clock: FakeClock = field(default_factory=FakeClock)
    locks: SymbolLocks = field(default_factory=SymbolLocks)
    allowed: bool = True

    def __post_init__(self) -> None:
        self.protector = Protector(self.ex, self.sink, self.config, now=self.clock)
        self.executor = Executor(self.protector, self.book, self.locks,
                                 entries_allowed=lambda: self.allowed)
        self.monitor = PositionMonitor(self.protector, self.book, self.locks)
