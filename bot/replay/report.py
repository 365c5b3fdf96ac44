"""Writing a replay's report: one self-contained HTML page and one JSON of every figure.

The HTML carries plotly.js inline (``include_plotlyjs=True`` on the first figure),
so it opens offline; the JSON holds each run's facts and every figure as plotly
JSON (``plotly.io.from_json`` reads one back; the dashboard's replay page does).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.replay.facts import RunFacts, worst_stop_hits
from bot.replay.figures import COMPARE_ROWS, all_figures, fmt

REPORT_FORMAT = 1
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#212529}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
td,th{border:1px solid #dee2e6;padding:3px 8px;text-align:left}
th{background:#f1f3f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#6c757d}details{margin:.5rem 0}
"""


def report_name(runs: Sequence[RunFacts]) -> str:
    first = runs[0]
    kind = "compare" if len(runs) > 1 else "replay"
    tag = "-".join(r.ledger_hash[:8] for r in runs)
    return f"{kind}-{first.first_day}_{first.last_day}-{tag}"


def write_report(runs: Sequence[RunFacts], out_dir: Path, command: str = "") -> tuple[Path, Path]:
    """Write ``<name>.html`` and ``<name>.json`` into ``out_dir``; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = report_name(runs)
    figures = all_figures(runs)
    payload = {
        "format": REPORT_FORMAT, "command": command,
        "title": f"{runs[0].first_day} – {runs[0].last_day}",
        "table": summary_rows(runs),  # the figures, formatted: what a reader shows as is
        "runs": [r.to_json() for r in runs],
        "figures": {key: json.loads(fig.to_json()) for key, fig in figures.items()},
    }
    json_path = out_dir / f"{name}.json"
    json_path.write_text(json.dumps(payload, default=str), encoding="utf-8")
    html_path = out_dir / f"{name}.html"
    html_path.write_text(_page(runs, figures, command), encoding="utf-8")
    return html_path, json_path


def _page(runs: Sequence[RunFacts], figures: dict[str, Any], command: str) -> str:
    first = runs[0]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>QuantShield replay "
             f"{first.first_day} – {first.last_day}</title><style>{STYLE}</style></head><body>",
             f"<h1>QuantShield replay {first.first_day} – {first.last_day}</h1>",
             f"<p class='muted'>{_e(command)}<br>symbols: {_e(', '.join(first.symbols))}; "
             f"{first.bars:,} one-minute bars per run on the virtual clock</p>",
             "<h2>Figures</h2>", _summary_table(runs)]
    plotly_js: bool | str = True
    for key, fig in figures.items():
        parts.append(f"<div id='fig-{_e(key)}'>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=plotly_js,
                                 config={"displaylogo": False}))
        parts.append("</div>")
        plotly_js = False
    for run in runs:
        label = f" — {_e(run.label)}" if len(runs) > 1 else ""
        parts.append(f"<h2>Worst stop hits{label}</h2>")
        parts.append(_table(worst_stop_hits(run), (
            ("id", "trade"), ("symbol", "symbol"), ("direction", "side"), ("closed", "closed"),
            ("loss_usdt", "loss USDT"), ("risk_usdt", "risk USDT"), ("loss_r", "× risk"),
            ("trigger", "stop"), ("fired_at", "price that fired it"), ("fill", "fill"),
            ("gap_usdt", "gap USDT"), ("slippage_usdt", "slippage USDT"),
            ("fees_usdt", "fees USDT"))))
        parts.append(f"<h2>Ladder rungs and emergency closes{label}</h2>")
        parts.append(_table(run.ladder + run.emergencies,
                            (("at", "at"), ("symbol", "symbol"), ("code", "code"),
                             ("message", "what"))))
        if run.faults:
            parts.append(f"<h2>Injected faults{label}</h2>")
            parts.append(_table(run.faults, (("at", "at"), ("kind", "fault"),
                                             ("detail", "detail"))))
        parts.append(f"<h2>Kill switch{label}</h2>")
        parts.append(_table(run.kill_switch, (("at", "at"), ("message", "what"))))
        parts.append(f"<h2>Shorts blocked by the regime{label}</h2>")
        parts.append(_table(run.blocked_shorts, (
            ("at", "denied at"), ("symbol", "symbol"), ("entry", "entry"), ("stop", "stop"),
            ("target", "target"), ("outcome", "outcome"), ("exit", "exit"),
            ("exit_at", "exit at"), ("r", "R"), ("pnl_usdt", "PnL USDT"))))
        parts.append(f"<h2>Naked spells (venue ledger){label}</h2>")
        parts.append(f"<p class='muted'>{run.instant_round_trips:,} fills were followed by "
                     "their stop at the same virtual instant (the allowed round trip).</p>")
        parts.append(_table(run.naked, (("from", "from"), ("symbol", "symbol"),
                                        ("seconds", "seconds"))))
        parts.append(f"<details><summary>All {len(run.trades):,} trades{label}</summary>")
        parts.append(_table(run.trades, (
            ("id", "id"), ("symbol", "symbol"), ("direction", "side"), ("opened", "opened"),
            ("closed", "closed"), ("entry", "entry"), ("stop", "stop"), ("exit", "exit"),
            ("reason", "exit reason"), ("pnl_usdt", "PnL USDT (net)"),
            ("fees_usdt", "fees USDT"))))
        parts.append("</details>")
    parts.append("</body></html>")
    return "\n".join(parts)


def summary_rows(runs: Sequence[RunFacts]) -> dict[str, list]:
    """The summary as text: a header (one column per run) and one row per figure."""
    return {"header": ["", *(r.label for r in runs)],
            "rows": [[title, *(fmt(r.summary.get(key), pattern) for r in runs)]
                     for key, title, pattern in COMPARE_ROWS]}


def _summary_table(runs: Sequence[RunFacts]) -> str:
    table = summary_rows(runs)
    head = "".join(f"<th>{_e(h)}</th>" for h in table["header"])
    rows = "".join("<tr><td>" + _e(row[0]) + "</td>"
                   + "".join(f"<td class='num'>{_e(v)}</td>" for v in row[1:]) + "</tr>"
                   for row in table["rows"])
    return f"<table><tr>{head}</tr>{rows}</table>"


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    if not rows:
        return "<p class='muted'>none</p>"
    head = "".join(f"<th>{_e(title)}</th>" for _, title in columns)
    body = []
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row.get(key)
            if isinstance(value, float):
                cells.append(f"<td class='num'>{value:,.4g}</td>")
            else:
                cells.append(f"<td>{_e('' if value is None else str(value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _e(text: str) -> str:
    return html.escape(text, quote=True)
