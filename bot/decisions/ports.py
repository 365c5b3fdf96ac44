"""The slice of the store the decisions package needs, as Protocols.

Depending on these narrow shapes (not on ``bot.store.Store`` itself) keeps the
package importable and testable on its own; the real Store satisfies them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from bot.domain import Event, EventKind, KillState, Kline, RegimeView, Signal
from bot.domain.ports import EventSink

KlinesProvider = Callable[[str, str, int], list[Kline]]
"""(symbol, interval, limit) -> klines, oldest first; the last one may still be open."""



class EventCounter(EventSink, Protocol):
    """The event log as the kill switch's storm check reads it."""

    def count(
        self, kind: EventKind, since: datetime | None = None, code: int | None = None,
        detail: Any = None,
    ) -> int: ...


class SettingsStore(Protocol):
    def get_setting(self, key: str) -> str | None: ...

    def settings_with_prefix(self, prefix: str) -> dict[str, str]: ...

    def set_setting(self, key: str, value: str, actor: str, *, previous: str | None = None,
                    note: str = "") -> Any: ...


class KillRecordLike(Protocol):
    state: KillState
    reason: str
    actor: str
    at: datetime | None


class KillStore(Protocol):
    def kill_state(self) -> KillRecordLike: ...

    def set_kill_state(self, state: str, actor: str, reason: str) -> Any: ...


class DecisionLog(Protocol):
    def save_signal(self, signal: Signal) -> Any: ...

    def save_decision(
        self, signal_id: Any, allowed: bool, rule: str, reason: str, quantity: Decimal | None
    ) -> Any: ...


class RegimeLog(Protocol):
    def record_regime(self, view: RegimeView) -> Any: ...

    def regime_history(self, limit: int = 500) -> list[RegimeView]: ...


class EventReader(Protocol):
    def events(
        self, kinds: Any = None, symbol: str | None = None, since: datetime | None = None,
        until: datetime | None = None, limit: int | None = None, newest_first: bool = False,
    ) -> list[Event]: ...


class DecisionStore(EventCounter, SettingsStore, KillStore, DecisionLog, RegimeLog, Protocol):
    """Everything the decision pipeline touches in the store."""
