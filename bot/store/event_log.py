"""The append-only event log and the red flags derived from it."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from fractions import Fraction
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.sql import Select

from bot.domain import RED_FLAG_KINDS, Event, EventKind, RedFlagView, red_flag_label
from bot.domain.ports import Clock
from bot.store.engine import read_tx, write_tx
from bot.store.schema import events, red_flag_acks
from bot.store.types import dumps, require_aware

log = logging.getLogger(__name__)

_RED_FLAG_NAMES = tuple(k.value for k in RED_FLAG_KINDS)
# Built once: every monitor cycle appends an event, and building it cost a fifth of the append.
_INSERT = insert(events).returning(events.c.id, sort_by_parameter_order=True)


def _row_to_event(row: Row) -> Event:
    return Event(
        kind=EventKind(row.kind),
        at=row.at,
        symbol=row.symbol,
        code=row.code,
        message=row.message or "",
        latency_ms=row.latency_ms,
        details=dict(row.details or {}),
        id=row.id,
    )


def _event_values(event: Event) -> dict:
    if not isinstance(event.kind, EventKind):
        raise TypeError(f"event kind must be an EventKind, got {event.kind!r}")
    require_aware("event.at", event.at)
    details = dict(event.details or {})
    dumps(details)  # refuse what JSON cannot hold here, not as a driver error mid-batch
    return {
        "kind": event.kind.value,
        "at": event.at,
        "symbol": event.symbol,
        "code": event.code,
        "message": event.message or "",
        "latency_ms": event.latency_ms,
        "details": details,
    }


class EventLogMixin:
    _engine: Engine
    _clock: Clock
    _event_listeners: tuple[Callable[[Event], None], ...] = ()

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        """Also hand every stored event to ``listener`` (e.g. the notifier's O(1) publish),
        after its commit; a listener that raises is logged and never undoes the write."""
        self._event_listeners = (*self._event_listeners, listener)

    def append(self, event: Event) -> Event:
        """Store one event; the returned copy carries its id."""
        return self.append_many([event])[0]

    def append_many(self, batch: Iterable[Event]) -> list[Event]:
        """Store events in one transaction, ids in the order given."""
        items = list(batch)
        if not items:
            return []
        values = [_event_values(e) for e in items]
        with write_tx(self._engine) as conn:
            ids = [r.id for r in conn.execute(_INSERT, values)]
        stored = [_with_id(e, i) for e, i in zip(items, ids, strict=True)]
        for listener in self._event_listeners:
            for event in stored:
                try:
                    listener(event)
                except Exception:
                    log.exception("[STORE] Event listener failed on %s", event.kind.value)
        return stored

    def events(
        self,
        kinds: Iterable[EventKind] | None = None,
        symbol: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        after_id: int | None = None,
        detail: tuple[str, str] | None = None,
    ) -> list[Event]:
        """Events in log order (or newest first); ``since`` inclusive, ``until`` exclusive."""
        params: dict[str, Any] = {"symbol": symbol, "since": since, "until": until,
                                  "after_id": after_id, "limit": limit}
        if kinds is not None:
            params["kinds"] = [EventKind(k).value for k in kinds]
        if detail is not None:
            params["detail"] = str(detail[1])
        stmt = _events_select(kinds is not None, symbol is not None, since is not None,
                              until is not None, after_id is not None,
                              None if detail is None else detail[0], newest_first,
                              limit is not None, self._engine.dialect.name == "sqlite")
        with read_tx(self._engine) as conn:
            return [_row_to_event(r) for r in conn.execute(stmt, _bound(stmt, params))]

    def count(
        self,
        kind: EventKind,
        since: datetime | None = None,
        code: int | None = None,
        detail: tuple[str, str] | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many events of ``kind``; ``detail=(key, value)`` matches details[key] == value."""
        stmt = _count_select(since is not None, until is not None, code is not None,
                             None if detail is None else detail[0])
        params = {"kind": kind.value, "since": since, "until": until, "code": code,
                  "detail": None if detail is None else str(detail[1])}
        with read_tx(self._engine) as conn:
            return int(conn.execute(stmt, _bound(stmt, params)).scalar_one())

    def counts_by_code(
        self, kind: EventKind, since: datetime | None = None, until: datetime | None = None
    ) -> dict[int, int]:
        """One GROUP BY: how many events of ``kind`` per Binance code (None codes left out)."""
        stmt = _codes_select(since is not None, until is not None)
        params = {"kind": kind.value, "since": since, "until": until}
        with read_tx(self._engine) as conn:
            return {int(code): int(n) for code, n in conn.execute(stmt, _bound(stmt, params))}

    def latency_percentiles(
        self,
        kind: EventKind,
        percentiles: Iterable[float],
        since: datetime | None = None,
        until: datetime | None = None,
        skip_if_false: str | None = None,
    ) -> list[float | None]:
        """Nearest-rank percentiles of ``latency_ms`` (events without one ignored), in SQL.

        The value at rank ceil(p/100 * n) of the ascending latencies; None when n == 0.
        ``skip_if_false`` names a details flag: events where it is explicitly false
        are left out (events without the flag count).
        """
        counted, ranked = _latency_selects(since is not None, until is not None, skip_if_false)
        params = {"kind": kind.value, "since": since, "until": until}
        out: list[float | None] = []
        with read_tx(self._engine) as conn:
            n = int(conn.execute(counted, _bound(counted, params)).scalar_one())
            for p in percentiles:
                if not 0 < p <= 100:
                    raise ValueError(f"percentile must be in (0, 100], got {p}")
                if n == 0:
                    out.append(None)
                    continue
                rank = max(1, math.ceil(Fraction(str(p)) * n / 100))
                at_rank = {**params, "offset": rank - 1}
                out.append(float(conn.execute(ranked, _bound(ranked, at_rank)).scalar_one()))
        return out

    def last_event_id(self) -> int:
        with read_tx(self._engine) as conn:
            return int(conn.execute(select(func.max(events.c.id))).scalar() or 0)

    # red flags -----------------------------------------------------------
    def red_flags(self, limit: int = 50, include_acknowledged: bool = True) -> list[RedFlagView]:
        """The newest red-flag events first, each with its acknowledgement state."""
        stmt = self._red_flag_select(include_acknowledged).order_by(events.c.id.desc())
        stmt = stmt.limit(limit)
        with read_tx(self._engine) as conn:
            rows = conn.execute(stmt).all()
        out = []
        for row in rows:
            ev = _row_to_event(row)
            out.append(
                RedFlagView(
                    id=ev.id or 0,
                    at=ev.at,
                    severity=RED_FLAG_KINDS[ev.kind],
                    label=red_flag_label(ev),
                    symbol=ev.symbol,
                    message=ev.message,
                    acknowledged=row.ack_actor is not None,
                    kind=ev.kind.value,
                    code=ev.code,
                    details=flag_details(ev.details),
                )
            )
        return out

    def acknowledge(self, event_id: int, actor: str) -> bool:
        """Mark a red flag seen by ``actor``; False for unknown ids and non-red-flag events."""
        if not actor:
            raise ValueError("acknowledge needs an actor")
        with write_tx(self._engine) as conn:
            kind = conn.execute(select(events.c.kind).where(events.c.id == event_id)).scalar()
            if kind not in _RED_FLAG_NAMES:
                return False
            done = conn.execute(
                select(red_flag_acks.c.event_id).where(red_flag_acks.c.event_id == event_id)
            ).scalar()
            if done is None:
                conn.execute(
                    insert(red_flag_acks).values(event_id=event_id, actor=actor, at=self._clock())
                )
        return True

    def unacknowledged_count(self) -> int:
        sub = self._red_flag_select(include_acknowledged=False).subquery()
        with read_tx(self._engine) as conn:
            return int(conn.execute(select(func.count()).select_from(sub)).scalar_one())

    def _red_flag_select(self, include_acknowledged: bool) -> Select:
        stmt = (
            select(events, red_flag_acks.c.actor.label("ack_actor"))
            .outerjoin(red_flag_acks, red_flag_acks.c.event_id == events.c.id)
            .where(events.c.kind.in_(_RED_FLAG_NAMES))
        )
        if not include_acknowledged:
            stmt = stmt.where(red_flag_acks.c.event_id.is_(None))
        return stmt


# the details a red flag shows: what the bot did about it (ladder rung, close size and price)
FLAG_DETAIL_KEYS = ("rung", "trigger", "quantity", "avg_price", "rejections", "reason",
                    "pnl_usdt", "gone", "protect")


def flag_details(details: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(details[k])) for k in FLAG_DETAIL_KEYS if details.get(k) is not None)


def _with_id(event: Event, event_id: int) -> Event:
    return replace(event, id=event_id)


# The event log's reads, built once per shape (which filters are given) with their values as
# bound parameters: the rollup's KPIs make a dozen of them every run, and building a statement
# cost as much as SQLite's answer to it. ``_bound`` passes a statement the values it names.

def _bound(stmt: Select, params: dict[str, Any]) -> dict[str, Any]:
    names = _param_names(stmt)
    return {k: v for k, v in params.items() if k in names}


@lru_cache(maxsize=256)
def _param_names(stmt: Select) -> frozenset[str]:
    return frozenset(stmt.compile().params)


def _where(stmt: Select, since: bool, until: bool) -> Select:
    if since:
        stmt = stmt.where(events.c.at >= bindparam("since"))
    if until:
        stmt = stmt.where(events.c.at < bindparam("until"))
    return stmt


@lru_cache(maxsize=128)
def _events_select(kinds: bool, symbol: bool, since: bool, until: bool, after_id: bool,
                   detail_key: str | None, newest_first: bool, limit: bool,
                   sqlite: bool = False) -> Select:
    stmt = select(events)
    if kinds:
        stmt = stmt.where(events.c.kind.in_(bindparam("kinds", expanding=True)))
    if symbol and kinds and sqlite:
        # SQLite, without statistics, reads a symbol's events through ix_events_symbol_at
        # (every event of the symbol, which grows with the log) rather than the few of the
        # kinds asked for (the cooldown's last stop failure, the chart's fills) through
        # ix_events_kind_at; ``symbol || ''`` is the same test that it cannot look up.
        stmt = stmt.where(events.c.symbol.concat("") == bindparam("symbol"))
    elif symbol:
        stmt = stmt.where(events.c.symbol == bindparam("symbol"))
    stmt = _where(stmt, since, until)
    if after_id:
        stmt = stmt.where(events.c.id > bindparam("after_id"))
    if detail_key is not None:
        stmt = stmt.where(events.c.details[detail_key].as_string() == bindparam("detail"))
    stmt = stmt.order_by(events.c.id.desc() if newest_first else events.c.id)
    return stmt.limit(bindparam("limit")) if limit else stmt


@lru_cache(maxsize=64)
def _count_select(since: bool, until: bool, code: bool, detail_key: str | None) -> Select:
    stmt = select(func.count()).select_from(events).where(events.c.kind == bindparam("kind"))
    stmt = _where(stmt, since, until)
    if code:
        stmt = stmt.where(events.c.code == bindparam("code"))
    if detail_key is not None:
        stmt = stmt.where(events.c.details[detail_key].as_string() == bindparam("detail"))
    return stmt


@lru_cache(maxsize=8)
def _codes_select(since: bool, until: bool) -> Select:
    stmt = (
        select(events.c.code, func.count())
        .where(events.c.kind == bindparam("kind"), events.c.code.is_not(None))
        .group_by(events.c.code)
    )
    return _where(stmt, since, until)


@lru_cache(maxsize=16)
def _latency_selects(since: bool, until: bool, skip_if_false: str | None
                     ) -> tuple[Select, Select]:
    """How many latencies there are, and the one at a rank (``offset``)."""
    base = _where(
        select(events.c.latency_ms).where(
            events.c.kind == bindparam("kind"), events.c.latency_ms.is_not(None)
        ),
        since,
        until,
    )
    if skip_if_false is not None:
        flag = events.c.details[skip_if_false].as_boolean()
        base = base.where(or_(flag.is_(None), flag.is_(True)))
    counted = select(func.count()).select_from(base.subquery())
    ranked = base.order_by(events.c.latency_ms).offset(bindparam("offset")).limit(1)
    return counted, ranked
