from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import Store
from tests.fixtures.postgres import postgres_server, postgres_url  # noqa: F401

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class StepClock:
    """Each call returns a time one second later: distinct, ordered, deterministic stamps."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs on a SQLite file and on a real PostgreSQL database."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'data' / 'store.db'}"


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def store(db_url: str, clock: StepClock) -> Iterator[Store]:
    s = Store(db_url, clock=clock)
    yield s
    s.close()
