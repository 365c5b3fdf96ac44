"""The one APScheduler of the process: the bot's jobs run inside the Dash server.

Refuses a second start in the same process (a Werkzeug reloader child or a
second ``create`` would otherwise run two monitors against one account).
Job errors and missed runs are turned into events, which become red flags.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.domain import Event, EventKind

log = logging.getLogger(__name__)

_started_lock = threading.Lock()
_started: BackgroundScheduler | None = None


class SchedulerAlreadyRunning(RuntimeError):
    pass


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[], object]
    interval_s: float
    misfire_grace_s: int
    run_at_start: bool = True


def build_scheduler(
    jobs: list[JobSpec], record: Callable[[Event], object], workers: int = 6
) -> BackgroundScheduler:
    """Each job: coalesced, one instance at a time, with its own misfire grace."""
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=workers)}, timezone=UTC
    )
    for job in jobs:
        scheduler.add_job(
            job.func,
            "interval",
            seconds=job.interval_s,
            id=job.id,
            name=job.id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=job.misfire_grace_s,
            next_run_time=datetime.now(UTC) if job.run_at_start else None,
            replace_existing=True,
        )

    def on_event(ev: JobExecutionEvent) -> None:
        if ev.code == EVENT_JOB_ERROR:
            log.error("[ALERT] Job %s failed: %r", ev.job_id, ev.exception)
            kind, text = EventKind.JOB_ERROR, f"job {ev.job_id} failed: {ev.exception!r}"
        else:
            log.warning("[ALERT] Job %s missed its run at %s", ev.job_id, ev.scheduled_run_time)
            kind, text = EventKind.JOB_MISSED, f"job {ev.job_id} missed its run"
        try:
            record(Event(kind=kind, at=datetime.now(UTC), message=text,
                         details={"job": ev.job_id}))
        except Exception:
            log.exception("could not record the %s event", kind)

    scheduler.add_listener(on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def start_once(scheduler: BackgroundScheduler) -> None:
    """Start the process's scheduler; a second one in the same process is refused."""
    global _started
    with _started_lock:
        if _started is not None and _started.running:
            raise SchedulerAlreadyRunning(
                "a scheduler is already running in this process; run one bot per process"
            )
        scheduler.start()
        _started = scheduler


def stop(scheduler: BackgroundScheduler, wait: bool = True) -> None:
    global _started
    with _started_lock:
        if scheduler.running:
            scheduler.shutdown(wait=wait)
        if _started is scheduler:
            _started = None
