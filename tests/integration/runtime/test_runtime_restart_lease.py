"""Restart after a crash: the dead process's lease does not keep the new bot out for its TTL."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot.reconcile import LeaseHeldError
from bot.runtime.assembly import account_key, build
from bot.runtime.bot import Bot
from tests.integration.runtime.test_runtime_app import settings_for


def _plant_lease(tmp_path, paper, owner: str) -> str:
    """What a bot killed with SIGKILL leaves behind: its lease row, not expired."""
    c = build(settings_for(tmp_path), paper=paper)
    try:
        account = account_key(c.settings, paper.futures_url)
        assert c.store.acquire_lease(account, owner, 600, c.clock())
        return account
    finally:
        c.notifier.stop()
        c.store.close()


@pytest.fixture
def sleeper() -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_start_when_lease_holder_was_killed_on_this_host_then_bot_takes_over(
    tmp_path, paper_exchange
) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=30)
    account = _plant_lease(tmp_path, paper_exchange, f"{socket.gethostname()}:{gone.pid}:dead0000")
    bot = Bot(build(settings_for(tmp_path), paper=paper_exchange))
    try:
        bot.start(scheduler=False)
        assert bot.status == "running" and bot.c.reconciler.held
        holder = bot.c.store.lease_holder(account)
        assert holder is not None and holder.owner.split(":")[1] != str(gone.pid)
    finally:
        bot.shutdown()


def test_start_when_lease_holder_still_runs_on_this_host_then_refused(
    tmp_path, paper_exchange, sleeper: int
) -> None:
    _plant_lease(tmp_path, paper_exchange, f"{socket.gethostname()}:{sleeper}:live0000")
    bot = Bot(build(settings_for(tmp_path), paper=paper_exchange))
    try:
        with pytest.raises(LeaseHeldError):
            bot.start(scheduler=False)
        assert not bot.c.reconciler.held
    finally:
        bot.shutdown()
