"""Per-symbol locks shared by the executor, the monitor, reconciliation and flatten.

One writer per symbol: the seed lost a fresh stop because its monitor replaced
it while the executor was still placing it. Locks are re-entrant so a holder
can call the shared protection code without deadlocking itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SymbolLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.RLock] = {}

    def lock_for(self, symbol: str) -> threading.RLock:
        if not symbol:
            raise ValueError("symbol must not be empty")
        with self._guard:
            lock = self._locks.get(symbol)
            if lock is None:
                lock = threading.RLock()
                self._locks[symbol] = lock
            return lock

    @contextmanager
    def hold(self, symbol: str) -> Iterator[None]:
        lock = self.lock_for(symbol)
        with lock:
            yield
