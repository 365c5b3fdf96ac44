"""Hand-written fakes for the notifier's unit tests: a sender with a script, a manual clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.domain import Event, EventKind, Severity

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Sent:
    title: str
    body: str
    severity: Severity
    silent: bool


@dataclass
class FakeSender:
    """Answers from ``script`` (then ``default``); ``gate`` makes every send wait on it."""

    script: list[tuple[bool, str]] = field(default_factory=list)
    default: tuple[bool, str] = (True, "")
    gate: threading.Event | None = None
    sent: list[Sent] = field(default_factory=list)
    calls: int = 0

    def send(self, title: str, body: str, severity: Severity, silent: bool) -> tuple[bool, str]:
        if self.gate is not None:
            self.gate.wait(30)
        self.calls += 1
        result = self.script.pop(0) if self.script else self.default
        if result[0]:
            self.sent.append(Sent(title, body, severity, silent))
        return result


class ManualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def event(kind: EventKind, symbol: str | None = "BTCUSDT", message: str = "", code=None,
          **details) -> Event:
    return Event(kind=kind, at=T0, symbol=symbol, code=code, message=message, details=details)
