"""The bounded queue between signal sources (webhook, strategy) and the executor job.

Bounded so a burst of alerts cannot start a burst of orders: a full queue is a
refusal the sender can retry, never an unbounded backlog.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from dataclasses import replace

from bot.domain import Signal


class SignalQueueFull(RuntimeError):
    """The executor is behind: the caller should retry later (HTTP 429)."""


class SignalQueue:
    """Thread-safe bounded FIFO between the webhook/strategy and the executor job."""

    def __init__(self, maxsize: int = 100, id_prefix: str | None = None) -> None:
        if maxsize < 1:
            raise ValueError("signal queue size must be >= 1")
        self._queue: queue.Queue[Signal] = queue.Queue(maxsize=maxsize)
        self._prefix = id_prefix or f"sig-{int(time.time() * 1000):x}"
        self._seq = itertools.count(1)
        self._put_lock = threading.Lock()

    def submit(self, signal: Signal) -> str:
        """Queue a signal, giving it an id if it has none; raises SignalQueueFull."""
        with self._put_lock:  # the only producer path, so "not full" holds until the put
            if self._queue.full():
                raise SignalQueueFull(f"signal queue full ({self._queue.maxsize})")
            if not signal.id:
                signal = replace(signal, id=f"{self._prefix}-{next(self._seq)}")
            self._queue.put_nowait(signal)
        return signal.id

    __call__ = submit

    def drain(self, limit: int | None = None) -> list[Signal]:
        """Everything queued so far (up to ``limit``), oldest first, without blocking."""
        out: list[Signal] = []
        while limit is None or len(out) < limit:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return out

    def __len__(self) -> int:
        return self._queue.qsize()
