"""Equity and regime history for the dashboard's charts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, insert, select

from bot.domain import EquityPoint, Regime, RegimeView
from bot.domain.ports import Clock
from bot.store.engine import read_tx, write_tx
from bot.store.schema import equity, regimes
from bot.store.types import require_aware, require_decimal


class HistoryMixin:
    _engine: Engine
    _clock: Clock

    def record_equity(self, at: datetime, equity_value: Decimal) -> None:
        require_aware("at", at)
        require_decimal("equity", equity_value)
        with write_tx(self._engine) as conn:
            conn.execute(insert(equity).values(at=at, equity=equity_value))

    def equity_curve(self, since: datetime | None = None, limit: int = 2000) -> list[EquityPoint]:
        """The newest ``limit`` points, oldest first (ready to plot)."""
        stmt = select(equity.c.at, equity.c.equity).order_by(equity.c.at.desc(), equity.c.id.desc())
        if since is not None:
            stmt = stmt.where(equity.c.at >= since)
        with read_tx(self._engine) as conn:
            rows = conn.execute(stmt.limit(limit)).all()
        return [EquityPoint(at=r.at, equity=r.equity) for r in reversed(rows)]

    def record_regime(self, view: RegimeView) -> None:
        inputs = {str(k): float(v) for k, v in (view.inputs or {}).items()}
        with write_tx(self._engine) as conn:
            conn.execute(
                insert(regimes).values(
                    regime=Regime(view.regime).value,
                    computed_at=view.computed_at or self._clock(),
                    inputs=inputs,
                )
            )

    def regime_history(self, limit: int = 500) -> list[RegimeView]:
        """The newest ``limit`` regime readings, oldest first."""
        stmt = select(regimes).order_by(regimes.c.id.desc()).limit(limit)
        with read_tx(self._engine) as conn:
            rows = conn.execute(stmt).all()
        return [
            RegimeView(regime=Regime(r.regime), computed_at=r.computed_at, inputs=dict(r.inputs))
            for r in reversed(rows)
        ]
