"""The port the dashboard calls: reads from memory, audited controls.

Only the Protocol lives here; the runtime implements it (``bot.runtime.control``),
so the dashboard depends on the bot's vocabulary and this port, never on the bot.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain import ChartView, ControlResult, KillAction, Snapshot


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
