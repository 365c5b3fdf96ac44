"""A small fixed data set, written by the test (never downloaded): three symbols, two days of
Binance 1m files, the first day history, the second replayed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.replay.data import Window
from bot.replay.synthetic import write_dataset

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
FIRST = date(2026, 1, 1)
REPLAYED = Window(date(2026, 1, 2), date(2026, 1, 2))
# the automatic daily-loss HALT would end the trading early on a random walk
KEEP_TRADING = {"QT_DAILY_LOSS_LIMIT": "1"}


@pytest.fixture(scope="session")
def small_data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("klines")
    write_dataset(folder, SYMBOLS, FIRST, 2, seed=5)
    return folder
