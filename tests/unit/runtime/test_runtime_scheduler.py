import threading
import time

import pytest

from bot.domain import EventKind
from bot.runtime.scheduler import (
    JobSpec,
    SchedulerAlreadyRunning,
    build_scheduler,
    start_once,
    stop,
)


def eventually(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_job_error_when_job_raises_then_event_recorded():
    recorded = []

    def boom():
        raise RuntimeError("exchange unreachable")

    sched = build_scheduler([JobSpec("monitor", boom, 60, 5)], recorded.append)
    start_once(sched)
    try:
        assert eventually(lambda: recorded)
        assert recorded[0].kind is EventKind.JOB_ERROR
        assert recorded[0].details["job"] == "monitor"
        assert "exchange unreachable" in recorded[0].message
    finally:
        stop(sched)


def test_second_scheduler_when_one_runs_then_refused():
    first = build_scheduler([], lambda e: None)
    second = build_scheduler([], lambda e: None)
    start_once(first)
    try:
        with pytest.raises(SchedulerAlreadyRunning):
            start_once(second)
        assert not second.running
    finally:
        stop(first)
    start_once(second)  # allowed once the first one is gone
    stop(second)


def test_slow_job_when_interval_short_then_never_overlaps():
    active = []
    peak = []
    lock = threading.Lock()

    def slow():
        with lock:
            active.append(1)
            peak.append(len(active))
        time.sleep(0.3)
        with lock:
            active.pop()

    sched = build_scheduler([JobSpec("slow", slow, 0.05, 1)], lambda e: None)
    start_once(sched)
    try:
        assert eventually(lambda: len(peak) >= 2, timeout=5)
    finally:
        stop(sched)
    assert max(peak) == 1
