"""The SQL the PostgreSQL dialect receives, checked without a server (the store tests also
run on a real PostgreSQL: tests/fixtures/postgres.py)."""

from __future__ import annotations

from sqlalchemy import create_mock_engine, or_, select
from sqlalchemy.dialects import postgresql

from bot.store.schema import events, metadata, orders


def test_schema_compiles_for_postgresql() -> None:
    ddl: list[str] = []
    engine = create_mock_engine(
        "postgresql://", lambda sql, *a, **k: ddl.append(str(sql.compile(dialect=engine.dialect)))
    )
    metadata.create_all(engine, checkfirst=False)
    tables = [s for s in ddl if s.strip().startswith("CREATE TABLE")]
    assert len(tables) == len(metadata.tables)
    assert any("ix_events_kind_at" in s for s in ddl)
    trades_ddl = next(s for s in tables if "CREATE TABLE trades " in s)
    assert "entry_price VARCHAR(64)" in trades_ddl and "FLOAT" not in trades_ddl  # exact text
    events_ddl = next(s for s in tables if "CREATE TABLE events " in s)
    assert "details JSON" in events_ddl


def test_detail_filters_and_upsert_compile_for_postgresql() -> None:
    flag = events.c.details["immediate"].as_boolean()
    stmt = select(events.c.id).where(
        or_(flag.is_(None), flag.is_(True)), events.c.details["rule"].as_string() == "x"
    )
    sql = str(stmt.compile(dialect=postgresql.dialect()))
    assert "->>" in sql
    ins = postgresql.insert(orders).values(client_id="c", symbol="BTCUSDT", purpose="sl",
                                           side="SELL", type="STOP_MARKET",
                                           exchange_status="NEW")
    upsert = ins.on_conflict_do_update(index_elements=[orders.c.client_id],
                                       set_={"exchange_status": ins.excluded.exchange_status})
    assert "ON CONFLICT (client_id) DO UPDATE" in str(upsert.compile(dialect=postgresql.dialect()))
