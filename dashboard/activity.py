"""The activity log: the bot's recent lines in its own tag style, newest first, filterable.

The log is append-only, so a poll sends only the lines that are new since the
page last saw one (a ``Patch`` inserting at the top and trimming the tail)
instead of the whole list every two seconds.

The operator can narrow it by level (warnings and errors only...), by symbol, by kind
(the line's tag: ``[SHIELD]``, ``[DECIDE]``, ``[CLOSED]``...) and by a search text. A
change of filter redraws the list at once; the poll then keeps adding only new lines
that pass the filter (the cursor remembers which filter it was drawn with).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, Patch, State, html, no_update

from bot.domain import ActivityLine, Snapshot
from dashboard import ids
from dashboard.context import DashContext
from dashboard.elements import el
from dashboard.formatting import fmt_time, utc_attrs
from dashboard.polling import PollPart

MAX_LINES = 200
ANY = "*"
_LEVEL_TONE = {"ERROR": "text-danger", "CRITICAL": "text-danger", "WARNING": "text-warning"}
_LEVEL_RANK = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
LEVELS = {ANY: "All levels", "WARNING": "Warnings and errors", "ERROR": "Errors only"}
_TAG = re.compile(r"^\[([A-Z][A-Z0-9_ ]*)\]")
_SYMBOL = re.compile(r"\b[A-Z0-9]{2,20}(?:USDT|USDC|BUSD)\b")
MAX_SEARCH = 100


@dataclass(frozen=True)
class ActivityFilter:
    level: str = ANY  # the lowest level shown
    symbol: str = ""
    kind: str = ANY  # a tag without brackets: SHIELD, DECIDE...
    text: str = ""

    @property
    def active(self) -> bool:
        return self != ActivityFilter()

    def key(self) -> list[str]:
        return [self.level, self.symbol, self.kind, self.text]


def build_filter(level: object, symbol: object, kind: object, text: object) -> ActivityFilter:
    """The filter from the form's values; anything the form cannot send means "all"."""
    return ActivityFilter(
        level=level if level in LEVELS else ANY,
        symbol=symbol.strip().upper()[:20] if isinstance(symbol, str) else "",
        kind=kind.strip().upper()[:20] if isinstance(kind, str) and kind.strip() else ANY,
        text=text.strip()[:MAX_SEARCH] if isinstance(text, str) else "",
    )


def tag_of(line: ActivityLine) -> str | None:
    """``[SHIELD] Placing IMMEDIATE SL ...`` → ``SHIELD``."""
    match = _TAG.match(line.text)
    return match.group(1) if match else None


def line_matches(line: ActivityLine, f: ActivityFilter) -> bool:
    if f.level != ANY and _LEVEL_RANK.get(line.level.upper(), 20) < _LEVEL_RANK[f.level]:
        return False
    if f.kind != ANY and tag_of(line) != f.kind:
        return False
    if f.symbol and f.symbol not in _SYMBOL.findall(line.text) and f.symbol not in line.text:
        return False
    return not f.text or f.text.lower() in line.text.lower()


def kind_options(lines: Sequence[ActivityLine]) -> list[dict[str, str]]:
    tags = sorted({t for t in (tag_of(ln) for ln in lines) if t})
    return [{"label": "All kinds", "value": ANY}] + [{"label": t, "value": t} for t in tags]


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


def plan_update(lines: Sequence[ActivityLine], cursor: dict | None,
                flt: ActivityFilter = ActivityFilter()) -> ActivityUpdate:  # noqa: B008
    """Compare the log with what the page already has (``cursor``: newest key, count and the
    filter it was drawn with)."""
    ordered = newest_first(lines)
    if flt.active:
        ordered = [ln for ln in ordered if line_matches(ln, flt)]
    ordered = ordered[:MAX_LINES]
    top = {"key": line_key(ordered[0]) if ordered else None, "count": len(ordered),
           "filter": flt.key()}
    shown = cursor.get("count", 0) if isinstance(cursor, dict) else None
    keys = [line_key(ln) for ln in ordered]
    if (not isinstance(cursor, dict) or cursor.get("filter", ActivityFilter().key()) != flt.key()
            or cursor.get("key") not in keys
            or not isinstance(shown, int) or isinstance(shown, bool)):
        return ActivityUpdate(full=ordered, new=[], cursor=top)  # unknown or forged: redraw
    new = ordered[: keys.index(cursor["key"])]
    count = min(shown + len(new), MAX_LINES)
    return ActivityUpdate(full=None, new=new, cursor={**top, "count": count})


def render_line(line: ActivityLine) -> dict:
    """One line as wire JSON (``elements.el``): a first load draws 200 of them."""
    return el(
        "Div",
        [el("Span", fmt_time(line.at), className="text-muted me-2", **utc_attrs(line.at)),
         line.text],
        className=f"qs-log-line {_LEVEL_TONE.get(line.level.upper(), '')}",
    )


def render_full(lines: Sequence[ActivityLine], flt: ActivityFilter) -> list:
    if not lines and flt.active:
        return [el("Div", "No line matches these filters", className="text-muted small")]
    return [render_line(ln) for ln in lines]


def as_patch(update: ActivityUpdate, shown: int) -> Patch:
    patch = Patch()
    for line in reversed(update.new):
        patch.prepend(render_line(line))
    for index in range(shown + len(update.new) - 1, MAX_LINES - 1, -1):
        del patch[index]
    return patch


def _filters() -> dbc.Row:
    def col(control, label: str, control_id: str, **width) -> dbc.Col:
        return dbc.Col([dbc.Label(label, html_for=control_id, className="small text-muted mb-0"),
                        control], **width)

    return dbc.Row(
        [
            col(dbc.Select(id=ids.ACTIVITY_LEVEL, size="sm", value=ANY,
                           options=[{"label": v, "value": k} for k, v in LEVELS.items()]),
                "Level", ids.ACTIVITY_LEVEL, xs=6, md=3),
            col(dbc.Select(id=ids.ACTIVITY_KIND, size="sm", value=ANY,
                           options=kind_options(())), "Kind", ids.ACTIVITY_KIND, xs=6, md=3),
            col(dbc.Input(id=ids.ACTIVITY_SYMBOL, size="sm", type="text", value="",
                          placeholder="e.g. BTCUSDT", debounce=400, maxLength=20),
                "Symbol", ids.ACTIVITY_SYMBOL, xs=6, md=3),
            col(dbc.Input(id=ids.ACTIVITY_SEARCH, size="sm", type="search", value="",
                          placeholder="text", debounce=400, maxLength=MAX_SEARCH),
                "Search", ids.ACTIVITY_SEARCH, xs=6, md=3),
        ],
        className="g-2 mb-2",
    )


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Activity (times UTC)"),
            dbc.CardBody(
                [
                    _filters(),
                    html.Div(
                        id=ids.ACTIVITY_LIST,
                        className="qs-log qs-scroll",
                        role="log",
                        tabIndex="0",  # a scrolling region must be reachable by keyboard
                        **{"aria-label": "Activity log"},
                    ),
                ]
            ),
        ],
        className="mb-3",
    )


def render(snap: Snapshot, _now: datetime, cursor: dict | None, level=ANY, symbol="",
           kind=ANY, text="", shown_kinds=None) -> tuple:
    flt = build_filter(level, symbol, kind, text)
    kinds = kind_options(snap.activity)
    new_kinds = no_update if kinds == shown_kinds else kinds
    update = plan_update(snap.activity, cursor, flt)
    if update.full is not None:
        return render_full(update.full, flt), update.cursor, new_kinds
    if not update.new:
        return no_update, no_update, new_kinds
    shown = int(cursor.get("count", 0)) if cursor else 0
    return as_patch(update, shown), update.cursor, new_kinds


_FILTER_STATES = (
    State(ids.ACTIVITY_LEVEL, "value"),
    State(ids.ACTIVITY_SYMBOL, "value"),
    State(ids.ACTIVITY_KIND, "value"),
    State(ids.ACTIVITY_SEARCH, "value"),
)


def poll_part() -> PollPart:
    return PollPart(
        "activity",
        (Output(ids.ACTIVITY_LIST, "children"), Output(ids.ACTIVITY_CURSOR, "data"),
         Output(ids.ACTIVITY_KIND, "options")),
        render,
        (State(ids.ACTIVITY_CURSOR, "data"), *_FILTER_STATES,
         State(ids.ACTIVITY_KIND, "options")),
    )


def register(app: Dash, ctx: DashContext) -> None:
    @app.callback(
        Output(ids.ACTIVITY_LIST, "children", allow_duplicate=True),
        Output(ids.ACTIVITY_CURSOR, "data", allow_duplicate=True),
        Input(ids.ACTIVITY_LEVEL, "value"),
        Input(ids.ACTIVITY_SYMBOL, "value"),
        Input(ids.ACTIVITY_KIND, "value"),
        Input(ids.ACTIVITY_SEARCH, "value"),
        prevent_initial_call=True,
    )
    def refilter(level, symbol, kind, text) -> tuple:
        """A new filter redraws the list now, not at the next poll."""
        flt = build_filter(level, symbol, kind, text)
        update = plan_update(ctx.source.get().activity, None, flt)
        return render_full(update.full or [], flt), update.cursor
