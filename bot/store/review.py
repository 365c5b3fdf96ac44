"""The operator's review: signals with their decisions, paged and filtered; acknowledging
every red flag at once."""

from __future__ import annotations

from sqlalchemy import Engine, func, insert, literal, select
from sqlalchemy.sql import Select

from bot.domain import RED_FLAG_KINDS, Direction
from bot.domain.books import DecisionPage, DecisionQuery, DecisionView
from bot.domain.ports import Clock
from bot.store.engine import read_tx, write_tx
from bot.store.schema import decisions, events, red_flag_acks, signals

_RED_FLAG_NAMES = tuple(k.value for k in RED_FLAG_KINDS)
MAX_DECISIONS_PAGE = 500


class ReviewMixin:
    _engine: Engine
    _clock: Clock

    def decisions_page(self, query: DecisionQuery = DecisionQuery()) -> DecisionPage:  # noqa: B008
        """Newest decision first, each with its signal; the count of all that match."""
        size = max(1, min(int(query.page_size), MAX_DECISIONS_PAGE))
        base = decisions.outerjoin(signals, signals.c.id == decisions.c.signal_id)
        with read_tx(self._engine) as conn:
            total = int(conn.execute(
                _filtered(select(func.count()).select_from(base), query)).scalar_one())
            last = max(0, -(-total // size) - 1)
            page = max(0, min(int(query.page), last))
            stmt = (
                _filtered(select(decisions, signals.c.symbol, signals.c.direction,
                                 signals.c.confidence, signals.c.source,
                                 signals.c.created_at.label("signal_at"), signals.c.stop_price,
                                 signals.c.target_price).select_from(base), query)
                .order_by(decisions.c.id.desc()).offset(page * size).limit(size)
            )
            rows = conn.execute(stmt).all()
            rules = tuple(r for (r,) in conn.execute(
                select(decisions.c.rule).where(decisions.c.rule.is_not(None))
                .distinct().order_by(decisions.c.rule)))
            symbols = tuple(s for (s,) in conn.execute(
                select(signals.c.symbol).distinct().order_by(signals.c.symbol)))
        views = tuple(
            DecisionView(
                id=r.id, at=r.at, signal_id=r.signal_id, allowed=bool(r.allowed), rule=r.rule,
                reason=r.reason, quantity=r.quantity, symbol=r.symbol,
                direction=Direction(r.direction) if r.direction else None,
                confidence=r.confidence, source=r.source, signal_at=r.signal_at,
                stop_price=r.stop_price, target_price=r.target_price,
            )
            for r in rows
        )
        return DecisionPage(decisions=views, total=total, page=page, page_size=size, rules=rules,
                            symbols=symbols)

    def acknowledge_all(self, actor: str, up_to_id: int | None = None) -> int:
        """Acknowledge every unacknowledged red flag (up to ``up_to_id``: not one that arrived
        after the operator looked) in one statement; how many were acknowledged."""
        if not actor:
            raise ValueError("acknowledge_all needs an actor")
        pending = (
            select(events.c.id, literal(actor), literal(self._clock(), red_flag_acks.c.at.type))
            .outerjoin(red_flag_acks, red_flag_acks.c.event_id == events.c.id)
            .where(events.c.kind.in_(_RED_FLAG_NAMES), red_flag_acks.c.event_id.is_(None))
        )
        if up_to_id is not None:
            pending = pending.where(events.c.id <= up_to_id)
        stmt = (insert(red_flag_acks).from_select(["event_id", "actor", "at"], pending)
                .returning(red_flag_acks.c.event_id))  # rowcount is -1 on some drivers
        with write_tx(self._engine) as conn:
            return len(conn.execute(stmt).all())


def _filtered(stmt: Select, query: DecisionQuery) -> Select:
    if query.symbol:
        stmt = stmt.where(signals.c.symbol == query.symbol)
    if query.allowed is not None:
        stmt = stmt.where(decisions.c.allowed.is_(bool(query.allowed)))
    if query.rule:
        stmt = stmt.where(decisions.c.rule == query.rule)
    return stmt
