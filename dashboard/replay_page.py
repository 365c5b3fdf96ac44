"""Replay reports: what ``python -m bot.replay`` wrote to ``reports/``, shown in the dashboard.

The page reads the JSON a replay writes next to its HTML report (the summary table,
already formatted, and every figure as plotly JSON) and draws it; it never runs a
replay and imports nothing of it (the dashboard imports no venue, runtime or store).
The file list is read when the page is built and when "Refresh" is pressed; a report
is read when it is picked. Only ``*.json`` files directly in the reports folder can
be opened: the picked name is checked against that list, never joined blindly.

Mount it (``dashboard/app.py``): add ``(replay_page.REPLAY_TAB, "Replay",
replay_page.layout())`` to the ``tabs.layout([...])`` pages, and call
``replay_page.register(app)`` in ``register_callbacks``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html

REPLAY_TAB = "replay"
DEFAULT_DIR = Path("reports")
PATTERNS = ("replay-*.json", "compare-*.json")
GRAPH_HEIGHT = 380
NO_REPORTS = ("No replay report yet: run python -m bot.replay --data DIR --from YYYY-MM-DD "
              "--to YYYY-MM-DD (it writes to reports/).")
# component ids, kebab-case in the replay- namespace (move them to dashboard/ids.py at will)
PICK = "replay-report-pick"
REFRESH = "replay-report-refresh"
BODY = "replay-report-body"


def list_reports(folder: Path) -> list[Path]:
    """Report JSON files in ``folder``, newest first (by name within one second)."""
    if not folder.is_dir():
        return []
    found = {p for pattern in PATTERNS for p in folder.glob(pattern) if p.is_file()}
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def load_report(path: Path) -> dict[str, Any] | None:
    """The report, or None when it is not a readable replay report."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("figures"), dict):
        return None
    return data


def build_summary_table(report: dict[str, Any]) -> dbc.Table:
    table = report.get("table") or {"header": [], "rows": []}
    head = html.Thead(html.Tr([html.Th(str(h)) for h in table["header"]]))
    body = html.Tbody([html.Tr([html.Td(str(row[0]))]
                               + [html.Td(str(v), className="qs-num") for v in row[1:]])
                       for row in table["rows"]])
    return dbc.Table([head, body], size="sm", striped=True, className="qs-replay-summary")


def render_report(report: dict[str, Any] | None) -> list:
    """The picked report: its command, its summary table and every figure."""
    if report is None:
        return [html.P("This file is not a replay report.", className="text-muted")]
    parts: list = [html.H5(f"Replay {report.get('title', '')}"),
                   html.P(str(report.get("command", "")), className="qs-mono small text-muted"),
                   build_summary_table(report)]
    for name, figure in report["figures"].items():
        layout = dict(figure.get("layout") or {})
        layout.setdefault("height", GRAPH_HEIGHT)
        parts.append(dcc.Graph(id={"type": "replay-figure", "name": name},
                               figure={**figure, "layout": layout},
                               config={"displaylogo": False}))
    return parts


def _options(folder: Path) -> list[dict[str, str]]:
    return [{"label": p.stem, "value": p.name} for p in list_reports(folder)]


def layout(reports_dir: Path = DEFAULT_DIR) -> dbc.Card:
    options = _options(reports_dir)
    return dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col(dcc.Dropdown(id=PICK, options=options,
                                 value=options[0]["value"] if options else None,
                                 placeholder="Pick a replay report", clearable=False), md=9),
            dbc.Col(dbc.Button("Refresh", id=REFRESH, color="secondary", size="sm",
                               n_clicks=0), md=3),
        ], className="g-2 mb-3"),
        html.Div(id=BODY, children=[] if options else [html.P(NO_REPORTS,
                                                              className="text-muted")]),
    ]), className="mb-3")


def register(app: Dash, reports_dir: Path = DEFAULT_DIR) -> None:
    @app.callback(Output(PICK, "options"), Output(PICK, "value"), Input(REFRESH, "n_clicks"),
                  State(PICK, "value"), prevent_initial_call=True)
    def _refresh(_clicks: int, current: str | None) -> tuple[list, str | None]:
        options = _options(reports_dir)
        names = [o["value"] for o in options]
        return options, current if current in names else (names[0] if names else None)

    @app.callback(Output(BODY, "children"), Input(PICK, "value"))
    def _show(name: str | None) -> list:
        if not name:
            return [html.P(NO_REPORTS, className="text-muted")]
        allowed = {p.name: p for p in list_reports(reports_dir)}
        path = allowed.get(name)
        if path is None:
            return [html.P("That report is gone; press Refresh.", className="text-muted")]
        return render_report(load_report(path))
