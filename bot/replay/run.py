"""Running replays to the end: one session per settings set, its facts read before it closes."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from bot.replay.facts import RunFacts, collect
from bot.replay.progress import Progress
from bot.replay.session import ReplayConfig, ReplaySession

ProgressFactory = Callable[[int, str], Progress | None]


def run_replay(config: ReplayConfig, progress: ProgressFactory | None = None) -> RunFacts:
    """Replay ``config`` from --from to --to; the facts of the run (data and settings errors
    raise ReplayInputError before anything runs)."""
    with ReplaySession(config) as session:
        shown = progress(session.total_bars, config.label) if progress else None
        started = time.perf_counter()
        session.start()
        while session.step():
            if shown is not None:
                shown.update(session.bars, session.now_ms)
        wall = time.perf_counter() - started
        if shown is not None:
            shown.done(session.bars, session.now_ms)
        return collect(session, wall)


def run_replays(configs: Sequence[ReplayConfig], jobs: int,
                progress: ProgressFactory | None = None) -> list[RunFacts]:
    """Every run, in order. With ``jobs`` > 1 (``--compare``) they run side by side, one
    process each: a replay is one thread, so a second core halves a comparison's wall
    time, and each run's ledger is the one it would have alone (nothing is shared but the
    data folder, read-only). Only the first run shows its progress: the others move at
    its pace, and two progress lines on one terminal garble each other."""
    if jobs <= 1 or len(configs) <= 1:
        return [run_replay(config, progress) for config in configs]
    # forked before any thread of ours exists; the workers inherit the log file's handler
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(configs)), mp_context=context) as pool:
        futures = [pool.submit(run_replay, config, progress if i == 0 else None)
                   for i, config in enumerate(configs)]
        return [f.result() for f in futures]
