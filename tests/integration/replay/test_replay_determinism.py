"""Same data, settings and seed: the same venue ledger, hence the same hash; over loopback
HTTP or in-process alike. A different seed moves the slippage draws, and the hash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.replay.session import ReplayConfig, ReplaySession
from tests.integration.replay.conftest import KEEP_TRADING, REPLAYED

ROOT = Path(__file__).resolve().parents[3]


def _replay(data, http=False, **extra) -> tuple[str, int, int]:
    with ReplaySession(ReplayConfig(data, REPLAYED, {**KEEP_TRADING, **extra},
                                    http=http)) as session:
        session.start()
        while session.step():
            pass
        fills = sum(1 for e in session.venue.engine.ledger.since(0) if e.action == "FILLED")
        return session.ledger_hash(), fills, session.bars


@pytest.fixture(scope="module")
def baseline(small_data) -> tuple[str, int, int]:
    return _replay(small_data)


def test_replay_when_run_twice_on_the_same_data_then_the_ledger_hash_is_the_same(
        small_data, baseline):
    first, fills, bars = baseline
    assert bars == 1440
    assert fills >= 4  # entries and exits happened: the hash covers real trading
    assert _replay(small_data)[0] == first


def test_replay_when_run_over_http_then_the_ledger_hash_is_the_in_process_one(
        small_data, baseline):
    assert _replay(small_data, http=True)[0] == baseline[0]


def test_replay_when_the_seed_changes_then_the_ledger_hash_changes(small_data, baseline):
    assert _replay(small_data, QT_PAPER_SEED="8")[0] != baseline[0]


def test_replay_when_run_by_the_cli_in_another_process_then_the_hash_is_the_same(
        small_data, baseline, tmp_path):
    """Another interpreter, another string-hash seed: set iteration orders differ, the
    ledger must not."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.replay", "--data", str(small_data),
         "--from", REPLAYED.first.isoformat(), "--to", REPLAYED.last.isoformat(),
         "--out", str(tmp_path), "--quiet", *(f"--set={k}={v}" for k, v in KEEP_TRADING.items())],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=240, check=True)
    assert f"run: ledger {baseline[0]} " in done.stdout
