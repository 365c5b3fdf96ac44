"""A ready-wired protection stack over the fakes."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.locks import SymbolLocks
from bot.protection.config import ProtectionConfig
from bot.runtime.protection_stack import build_protection
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
        stack = build_protection(self.ex, self.sink, self.book, self.locks, self.config,
                                 self.clock, entry_gate=lambda: None if self.allowed else "halted")
        self.recorder = stack.recorder
        self.protector = stack.protector
        self.executor = stack.executor
        self.monitor = stack.monitor
        self.flattener = stack.flattener
