"""One polling callback for every card, so the live view can never pile up.

Each card contributes a :class:`PollPart` (its outputs, the state it needs and
a pure function from the snapshot to its values). They run in ONE callback per
tick: a single request, one ``snapshot()``, and a ``running=`` guard that
stops the interval until the answer is back. With one callback per card, a
fast card would re-enable the interval while a slow one was still running,
and a slow card could be superseded by the next tick forever.

Every answer also carries a heartbeat (``ids.LIVE_HEARTBEAT``): the connection
watchdog (``dashboard.connection``) measures the page's freshness from it, and
re-enables the interval when a request never came back (dash-renderer leaves a
``running`` guard on after a network error, which would freeze the page).

Ages and times are read against the snapshot's own clock (``Snapshot.taken_at``:
the bot's clock, the venue's in accelerated paper mode), never the server's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dash import Dash, Input, Output, State

from bot.domain import Snapshot
from dashboard import ids
from dashboard.context import DashContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollPart:
    name: str
    outputs: tuple[Output, ...]
    render: Callable[..., tuple]  # (snapshot, now, *states) -> one value per output
    states: tuple[State, ...] = field(default_factory=tuple)


def run_parts(
    parts: Sequence[PollPart], snap: Snapshot, now: datetime, states: Sequence[object]
) -> list:
    """Every part's values, flattened in the order of their outputs."""
    values: list = []
    cursor = 0
    for part in parts:
        own = states[cursor : cursor + len(part.states)]
        cursor += len(part.states)
        result = part.render(snap, now, *own)
        if len(result) != len(part.outputs):
            raise ValueError(f"poll part {part.name} returned {len(result)} values")
        values.extend(result)
    return values


def view_time(snap: Snapshot, fallback: datetime) -> datetime:
    """The instant the page describes: the bot's clock when the snapshot says it."""
    return snap.taken_at or fallback


def register_poll(app: Dash, ctx: DashContext, parts: Sequence[PollPart]) -> Callable:
    outputs = [o for p in parts for o in p.outputs] + [Output(ids.LIVE_HEARTBEAT, "data")]
    states = [s for p in parts for s in p.states]

    @app.callback(
        outputs,
        Input(ids.POLL_INTERVAL, "n_intervals"),
        Input(ids.CONTROL_VERSION, "data"),
        states,
        running=[(Output(ids.POLL_INTERVAL, "disabled"), True, False)],
    )
    def refresh_all(_n: int | None, _version: int | None, *state_values: object) -> list:
        snap = ctx.source.get()
        values = run_parts(parts, snap, view_time(snap, ctx.now()), state_values)
        return [*values, ctx.version_clock()]

    return refresh_all
