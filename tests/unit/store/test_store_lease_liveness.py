"""A lease left by a crashed process of this host is taken at once; a live or remote one is not.

Real processes, not fakes: the point is what the kernel says about a pid.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.store import Store
from bot.store.control import local_holder_alive
from tests.unit.store.conftest import T0

TTL = 60.0


def owner_of(pid: int, host: str | None = None) -> str:
    return f"{host or socket.gethostname()}:{pid}:deadbeef"


@pytest.fixture
def dead_pid() -> int:
    """A pid that existed and is gone (reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid


@pytest.fixture
def sleeping_pid() -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_acquire_lease_when_holder_is_dead_pid_on_this_host_then_taken_at_once(
    store: Store, dead_pid: int
) -> None:
    assert store.acquire_lease("acct", owner_of(dead_pid), ttl_s=TTL, now=T0)
    assert store.acquire_lease("acct", "me:1:cafe0000", ttl_s=TTL, now=T0 + timedelta(seconds=1))
    holder = store.lease_holder("acct")
    assert holder is not None and holder.owner == "me:1:cafe0000"
    assert holder.acquired_at == T0 + timedelta(seconds=1)


def test_acquire_lease_when_holder_is_live_pid_on_this_host_then_refused(
    store: Store, sleeping_pid: int
) -> None:
    assert store.acquire_lease("acct", owner_of(sleeping_pid), ttl_s=TTL, now=T0)
    assert not store.acquire_lease("acct", "me:1:cafe0000", ttl_s=TTL,
                                   now=T0 + timedelta(seconds=1))
    assert not store.acquire_lease("acct", owner_of(os.getppid()), ttl_s=TTL,
                                   now=T0 + timedelta(seconds=2))
    holder = store.lease_holder("acct")
    assert holder is not None and holder.owner == owner_of(sleeping_pid)


def test_acquire_lease_when_holder_is_on_another_host_then_refused_until_ttl(
    store: Store, dead_pid: int
) -> None:
    remote = owner_of(dead_pid, host=socket.gethostname() + "-elsewhere")
    assert store.acquire_lease("acct", remote, ttl_s=TTL, now=T0)
    assert not store.acquire_lease("acct", "me:1:cafe0000", ttl_s=TTL,
                                   now=T0 + timedelta(seconds=TTL - 1))
    assert store.acquire_lease("acct", "me:1:cafe0000", ttl_s=TTL,
                               now=T0 + timedelta(seconds=TTL))


def test_acquire_lease_when_holder_is_unreaped_zombie_then_taken(store: Store) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        os.kill(proc.pid, signal.SIGKILL)
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # dead, not reaped
        assert store.acquire_lease("acct", owner_of(proc.pid), ttl_s=TTL, now=T0)
        assert store.acquire_lease("acct", "me:1:cafe0000", ttl_s=TTL, now=T0)
    finally:
        proc.wait(timeout=30)


@pytest.mark.parametrize("owner", ["bot-1", "a:b", "host:notapid:x", "host:0:x", ""])
def test_local_holder_alive_when_owner_not_host_pid_tag_then_unknown(owner: str) -> None:
    if owner.startswith("host:"):
        owner = owner.replace("host", socket.gethostname(), 1)
    assert local_holder_alive(owner) is None


def test_local_holder_alive_when_this_process_then_alive() -> None:
    assert local_holder_alive(owner_of(os.getpid())) is True
