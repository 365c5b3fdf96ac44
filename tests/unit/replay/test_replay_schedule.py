"""The jobs on the virtual clock: due by virtual time, coalesced, aligned, in a fixed order."""

from __future__ import annotations

from bot.replay.schedule import VirtualJob, VirtualSchedule

MIN = 60_000


def _job(name, interval_ms, align_ms=0, wake=None, log=None):
    return VirtualJob(name, lambda: log.append(name) if log is not None else None,
                      interval_ms, 0, align_ms, wake)


def _run(schedule: VirtualSchedule, minutes: int) -> list[tuple[int, str]]:
    ran = []
    for m in range(minutes):
        for job in schedule.due(m * MIN):
            job.ran(m * MIN)
            ran.append((m, job.id))
    return ran


def test_schedule_when_the_interval_is_shorter_than_a_bar_then_the_job_runs_once_a_bar():
    ran = _run(VirtualSchedule([_job("monitor", 10_000)]), 5)
    assert ran == [(m, "monitor") for m in range(5)]


def test_schedule_when_the_interval_is_longer_then_the_job_waits_in_virtual_time():
    ran = _run(VirtualSchedule([_job("regime", 3 * MIN)]), 10)
    assert [m for m, _ in ran] == [0, 3, 6, 9]


def test_schedule_when_aligned_then_the_job_runs_on_the_boundaries_only():
    ran = _run(VirtualSchedule([_job("strategy", 30_000, align_ms=15 * MIN)]), 46)
    assert [m for m, _ in ran] == [0, 15, 30, 45]


def test_schedule_when_woken_then_the_job_runs_off_its_cadence():
    wake_at = {7}
    minute = [0]
    job = _job("rollup", 15 * MIN, align_ms=15 * MIN, wake=lambda: minute[0] in wake_at)
    schedule, ran = VirtualSchedule([job]), []
    for m in range(20):
        minute[0] = m
        ran += [m for j in schedule.due(m * MIN) if not j.ran(m * MIN)]
    assert ran == [0, 7, 15]


def test_schedule_when_jobs_are_due_together_then_signals_are_made_before_the_executor():
    names = ["rollup", "executor", "strategy", "monitor", "regime"]
    schedule = VirtualSchedule([_job(n, MIN) for n in names])
    assert [j.id for j in schedule.due(0)] == ["monitor", "regime", "strategy", "executor",
                                               "rollup"]
