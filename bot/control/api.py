"""The port the dashboard calls: reads from memory and the database, audited controls.

Only the Protocol lives here; the runtime implements it (``bot.runtime.control``),
so the dashboard depends on the bot's vocabulary and this port, never on the bot.
None of these reads sends an exchange request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from bot.domain import ChartView, ControlResult, KillAction, Snapshot
from bot.domain.books import (
    AuditView,
    DecisionPage,
    DecisionQuery,
    EquityHistory,
    PerformanceView,
    TradePage,
    TradeQuery,
)


class ControlApi(Protocol):
    def snapshot(self) -> Snapshot:
        """The bot's state from memory and the database: never an exchange request."""

    def chart(self, symbol: str) -> ChartView:
        """Cached candles and the position's levels: never an exchange request."""

    def set_rule(
        self, name: str, enabled: bool | None, params: dict[str, str], actor: str,
        reason: str = "",
    ) -> ControlResult:
        """Validate, persist with audit (``reason`` is the audit's note), effective on the
        next signal; nothing changes on error."""

    def kill_switch(self, action: KillAction, actor: str, reason: str = "") -> ControlResult: ...

    def acknowledge(self, red_flag_id: int, actor: str) -> ControlResult: ...

    def acknowledge_all(self, actor: str, up_to_id: int | None = None) -> ControlResult:
        """Every unacknowledged red flag with an id up to ``up_to_id`` (all when None)."""

    # the books: database reads, never the exchange
    def closed_trades(self, query: TradeQuery) -> TradePage: ...

    def performance(self) -> PerformanceView: ...

    def equity_history(self, span: timedelta | None) -> EquityHistory:
        """Equity of the last ``span`` by the bot's clock (None: all), thinned to a plottable
        number of points."""

    def decisions(self, query: DecisionQuery) -> DecisionPage: ...

    def audit_trail(self, limit: int = 100) -> tuple[AuditView, ...]:
        """Rule and kill-switch changes, newest first."""
