"""The report's figures: pure builders from ``RunFacts`` to plotly figures.

One builder per question the report answers; each takes the facts (one run, or
several for ``--compare``) and returns a ``go.Figure``, so the HTML report, the
JSON file and the dashboard page draw the very same figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bot.replay.facts import RunFacts, drawdown_series

TEMPLATE = "plotly_white"
REGIME_LEVEL = {"DOWNTREND": -1, "SIDEWAYS": 0, "UPTREND": 1}
GAIN, LOSS, NEUTRAL = "#198754", "#dc3545", "#6c757d"
COMPARE_ROWS = (
    ("end_equity", "End equity (USDT)", "{:,.2f}"),
    ("return_pct", "Return %", "{:+.2f}"),
    ("max_drawdown_pct", "Max drawdown %", "{:.2f}"),
    ("closed_trades", "Closed trades", "{:,}"),
    ("win_rate_pct", "Win rate %", "{:.1f}"),
    ("profit_factor", "Profit factor", "{:.2f}"),
    ("net_pnl_usdt", "Net PnL (USDT)", "{:+,.2f}"),
    ("fees_usdt", "Fees (USDT)", "{:,.2f}"),
    ("stop_hits", "Stop hits", "{:,}"),
    ("mean_stop_loss_r", "Mean loss per stop hit (× risk)", "{:.2f}"),
    ("worst_stop_loss_r", "Worst stop hit (× risk)", "{:.2f}"),
    ("stop_hits_beyond_risk", "Stop hits beyond the risk", "{:,}"),
    ("gap_usdt", "Added by gaps (USDT)", "{:,.2f}"),
    ("slippage_usdt", "Added by slippage (USDT)", "{:,.2f}"),
    ("faults_injected", "Faults injected (--faults)", "{:,}"),
    ("ladder_rungs", "Ladder rungs (STOP_RETRY)", "{:,}"),
    ("emergency_closes", "Emergency closes", "{:,}"),
    ("halted_at", "Kill switch HALTED at (UTC)", "{:.16}"),
    ("naked_seconds", "Naked seconds (venue ledger)", "{:,.1f}"),
    ("shorts_blocked", "Shorts blocked by the regime", "{:,}"),
    ("blocked_shorts_pnl_usdt", "…what they would have made (USDT)", "{:+,.2f}"),
    ("regime_changes", "Regime changes", "{:,}"),
    ("bars_per_s", "Bars per second", "{:,.0f}"),
    ("ledger_hash", "Ledger hash (first 16 hex)", "{:.16}"),
)


def fmt(value: Any, pattern: str) -> str:
    if value is None:
        return "–"
    try:
        return pattern.format(value)
    except (ValueError, TypeError):
        return str(value)


def _base(title: str, height: int = 360) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE, title=title, height=height,
                      margin={"l": 60, "r": 20, "t": 50, "b": 40}, legend={"orientation": "h"})
    return fig


def equity_figure(runs: Sequence[RunFacts]) -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32],
                        vertical_spacing=0.06, subplot_titles=("Equity (USDT)", "Drawdown (%)"))
    for run in runs:
        times = [t for t, _ in run.equity]
        values = [v for _, v in run.equity]
        fig.add_trace(go.Scatter(x=times, y=values, name=run.label, mode="lines"), 1, 1)
        fig.add_trace(go.Scatter(x=times, y=drawdown_series(values), name=f"{run.label} DD",
                                 mode="lines", fill="tozeroy", showlegend=len(runs) > 1), 2, 1)
    fig.update_layout(template=TEMPLATE, height=520, title="Equity and drawdown",
                      margin={"l": 60, "r": 20, "t": 60, "b": 40}, legend={"orientation": "h"})
    return fig


def exit_reasons_figure(run: RunFacts) -> go.Figure:
    counts: Counter[str] = Counter()
    pnl: dict[str, float] = defaultdict(float)
    for t in run.trades:
        if t["pnl_usdt"] is None:
            continue
        reason = t["reason"] or "unknown"
        counts[reason] += 1
        pnl[reason] += t["pnl_usdt"]
    reasons = sorted(counts)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Closed trades", "Net PnL (USDT)"))
    fig.add_trace(go.Bar(x=reasons, y=[counts[r] for r in reasons], name="trades",
                         marker_color=NEUTRAL), 1, 1)
    fig.add_trace(go.Bar(x=reasons, y=[pnl[r] for r in reasons], name="PnL",
                         marker_color=[GAIN if pnl[r] >= 0 else LOSS for r in reasons]), 1, 2)
    fig.update_layout(template=TEMPLATE, height=340, showlegend=False,
                      title="Trades by exit reason (net of fees)",
                      margin={"l": 60, "r": 20, "t": 60, "b": 40})
    return fig


def stop_loss_figure(run: RunFacts) -> go.Figure:
    """Each stop hit's loss in multiples of the configured risk, split into what the stop was
    set to lose, what the gap and the slippage added, and the fees."""
    hits = [h for h in run.stop_hits if h["risk_usdt"]]
    x = [f"#{h['id']} {h['symbol']}" for h in hits]

    def share(key: str) -> list[float]:
        return [(h[key] or 0.0) / h["risk_usdt"] for h in hits]

    fig = _base(f"Loss per stop hit against the configured risk "
                f"(QT_RISK_PER_TRADE={run.risk_per_trade:g})", 380)
    for key, name, color in (("at_stop_usdt", "at the stop", "#adb5bd"),
                             ("gap_usdt", "gap", "#fd7e14"),
                             ("slippage_usdt", "slippage", "#dc3545"),
                             ("fees_usdt", "fees", "#6f42c1")):
        fig.add_trace(go.Bar(x=x, y=share(key), name=name, marker_color=color))
    fig.add_hline(y=1.0, line_dash="dash", annotation_text="1 × risk")
    fig.update_layout(barmode="stack", yaxis_title="× risk", xaxis={"showticklabels": False})
    return fig


def protection_figure(run: RunFacts) -> go.Figure:
    rungs: Counter[str] = Counter(e["at"][:10] for e in run.ladder)
    closes: Counter[str] = Counter(e["at"][:10] for e in run.emergencies)
    naked: dict[str, float] = defaultdict(float)
    for spell in run.naked:
        naked[spell["symbol"]] += spell["seconds"]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38],
                        subplot_titles=("Would-trigger ladder rungs and emergency closes per day",
                                        "Naked seconds per symbol (venue ledger)"))
    days = sorted(set(rungs) | set(closes))
    fig.add_trace(go.Bar(x=days, y=[rungs[d] for d in days], name="STOP_RETRY rungs",
                         marker_color="#fd7e14"), 1, 1)
    fig.add_trace(go.Bar(x=days, y=[closes[d] for d in days], name="emergency closes",
                         marker_color=LOSS), 1, 1)
    symbols = sorted(naked) or ["(none)"]
    fig.add_trace(go.Bar(x=symbols, y=[naked.get(s, 0.0) for s in symbols], name="naked s",
                         marker_color=NEUTRAL), 1, 2)
    fig.update_layout(template=TEMPLATE, height=340, title="Protection",
                      margin={"l": 60, "r": 20, "t": 60, "b": 40}, legend={"orientation": "h"})
    return fig


def blocked_shorts_figure(run: RunFacts) -> go.Figure:
    fig = _base("Shorts blocked by the regime: what they would have made (counterfactual)")
    done = [s for s in run.blocked_shorts if s["pnl_usdt"] is not None]
    total, xs, ys = 0.0, [], []
    for s in done:
        total += s["pnl_usdt"]
        xs.append(s["exit_at"] or s["at"])
        ys.append(total)
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name="cumulative PnL (USDT)",
                             line={"shape": "hv"}))
    for outcome, color in (("stop", LOSS), ("target", GAIN), ("open at end", NEUTRAL)):
        pts = [s for s in done if s["outcome"] == outcome]
        fig.add_trace(go.Scatter(x=[s["at"] for s in pts], y=[s["pnl_usdt"] for s in pts],
                                 mode="markers", name=f"one short: {outcome}",
                                 marker={"color": color, "size": 7}))
    fig.update_layout(yaxis_title="USDT")
    return fig


def regime_figure(run: RunFacts) -> go.Figure:
    fig = _base("Global regime (BTCUSDT) over time", 260)
    fig.add_trace(go.Scatter(x=[t for t, _ in run.regime],
                             y=[REGIME_LEVEL.get(r, 0) for _, r in run.regime],
                             mode="lines", line={"shape": "hv"}, name="regime"))
    fig.update_layout(yaxis={"tickvals": [-1, 0, 1],
                             "ticktext": ["DOWNTREND", "SIDEWAYS", "UPTREND"],
                             "range": [-1.4, 1.4]})
    return fig


def compare_figure(runs: Sequence[RunFacts]) -> go.Figure:
    """The figures of every run side by side, one column per run."""
    header = ["", *(r.label for r in runs)]
    cells = [[title for _, title, _ in COMPARE_ROWS]]
    for run in runs:
        cells.append([fmt(run.summary.get(key), pattern) for key, _, pattern in COMPARE_ROWS])
    fig = go.Figure(go.Table(header={"values": header, "align": "left"},
                             cells={"values": cells, "align": "left"}))
    fig.update_layout(template=TEMPLATE, title="Runs compared on the same data",
                      height=80 + 24 * len(COMPARE_ROWS), margin={"l": 10, "r": 10, "t": 50,
                                                                  "b": 10})
    return fig


def all_figures(runs: Sequence[RunFacts]) -> dict[str, go.Figure]:
    """Every figure of the report, by name; per-run figures are suffixed with the run's index
    when there are several runs."""
    figures: dict[str, go.Figure] = {"equity": equity_figure(runs)}
    if len(runs) > 1:
        figures["compare"] = compare_figure(runs)
    builders = (("exit-reasons", exit_reasons_figure), ("stop-losses", stop_loss_figure),
                ("protection", protection_figure), ("blocked-shorts", blocked_shorts_figure),
                ("regime", regime_figure))
    for i, run in enumerate(runs):
        for name, build in builders:
            fig = build(run)
            if len(runs) > 1:
                fig.update_layout(title=f"{fig.layout.title.text} — {run.label}")
                name = f"{name}-{i + 1}"
            figures[name] = fig
    return figures
