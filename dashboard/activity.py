"""The activity log: the bot's recent lines in its own tag style, newest first.

The log is append-only, so a poll sends only the lines that are new since the
page last saw one (a ``Patch`` inserting at the top and trimming the tail)
instead of the whole list every two seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import Output, Patch, State, html, no_update

from bot.domain import ActivityLine, Snapshot
from dashboard import ids
from dashboard.formatting import fmt_time
from dashboard.polling import PollPart

MAX_LINES = 200
_LEVEL_TONE = {"ERROR": "text-danger", "CRITICAL": "text-danger", "WARNING": "text-warning"}


def line_key(line: ActivityLine) -> list[str]:
    return [line.at.isoformat(), line.text]


def newest_first(lines: Sequence[ActivityLine]) -> list[ActivityLine]:
    return sorted(lines, key=lambda ln: ln.at, reverse=True)


@dataclass(frozen=True)
class ActivityUpdate:
    """Either a full list (``full``) or the lines to put on top of what the page shows."""

    full: list[ActivityLine] | None
    new: list[ActivityLine]
    cursor: dict


def plan_update(lines: Sequence[ActivityLine], cursor: dict | None) -> ActivityUpdate:
    """Compare the log with what the page already has (``cursor``: newest key and count)."""
    ordered = newest_first(lines)[:MAX_LINES]
    top = {"key": line_key(ordered[0]) if ordered else None, "count": len(ordered)}
    shown = cursor.get("count", 0) if isinstance(cursor, dict) else None
    keys = [line_key(ln) for ln in ordered]
    if (not isinstance(cursor, dict) or cursor.get("key") not in keys
            or not isinstance(shown, int) or isinstance(shown, bool)):
        return ActivityUpdate(full=ordered, new=[], cursor=top)  # unknown or forged: redraw
    new = ordered[: keys.index(cursor["key"])]
    count = min(shown + len(new), MAX_LINES)
    return ActivityUpdate(full=None, new=new, cursor={"key": top["key"], "count": count})


def render_line(line: ActivityLine) -> html.Div:
    return html.Div(
        [html.Span(fmt_time(line.at), className="text-muted me-2"), line.text],
        className=f"qs-log-line {_LEVEL_TONE.get(line.level.upper(), '')}",
    )


def as_patch(update: ActivityUpdate, shown: int) -> Patch:
    patch = Patch()
    for line in reversed(update.new):
        patch.prepend(render_line(line))
    for index in range(shown + len(update.new) - 1, MAX_LINES - 1, -1):
        del patch[index]
    return patch


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Activity"),
            dbc.CardBody(html.Div(id=ids.ACTIVITY_LIST, className="qs-log qs-scroll")),
        ],
        className="mb-3",
    )


def render(snap: Snapshot, _now: datetime, cursor: dict | None) -> tuple:
    update = plan_update(snap.activity, cursor)
    if update.full is not None:
        return [render_line(ln) for ln in update.full], update.cursor
    if not update.new:
        return no_update, no_update
    shown = int(cursor.get("count", 0)) if cursor else 0
    return as_patch(update, shown), update.cursor


def poll_part() -> PollPart:
    return PollPart(
        "activity",
        (Output(ids.ACTIVITY_LIST, "children"), Output(ids.ACTIVITY_CURSOR, "data")),
        render,
        (State(ids.ACTIVITY_CURSOR, "data"),),
    )
