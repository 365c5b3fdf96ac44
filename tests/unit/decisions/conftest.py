from __future__ import annotations

import pytest

from bot.store import Store
from tests.unit.decisions.builders import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'decisions.db'}"


@pytest.fixture
def store(db_url, clock):
    with Store(db_url, clock=clock) as s:
        yield s
