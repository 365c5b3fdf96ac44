"""What the dashboard (and tests) may ask of the bot: reads from memory, audited controls."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from bot.control.views import Snapshot
from bot.domain import Kline


class KillAction(StrEnum):
    HALT = "HALT"
    FLATTEN = "FLATTEN"
    RESUME = "RESUME"


@dataclass(frozen=True)
class ControlResult:
    ok: bool
    message: str = ""
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChartView:
    symbol: str
    klines: tuple[Kline, ...]
    entry: Decimal | None = None
    stop: Decimal | None = None
    take_profit: Decimal | None = None
    fills: tuple[tuple[int, Decimal, str], ...] = field(default_factory=tuple)  # (ms, price, side)


class ControlApi(Protocol):
    def snapshot(self) -> Snapshot:
        """The bot's state from memory and the database: never an exchange request."""

    def chart(self, symbol: str) -> ChartView:
        """Cached candles and the position's levels: never an exchange request."""

    def set_rule(
        self, name: str, enabled: bool | None, params: dict[str, str], actor: str
    ) -> ControlResult:
        """Validate, persist with audit, effective on the next signal; nothing changes on error."""

    def kill_switch(self, action: KillAction, actor: str, reason: str = "") -> ControlResult: ...

    def acknowledge(self, red_flag_id: int, actor: str) -> ControlResult: ...
