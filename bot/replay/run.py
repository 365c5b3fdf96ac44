"""Running replays to the end: one session per settings set, its facts read before it closes."""

from __future__ import annotations

import time
from collections.abc import Callable

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
