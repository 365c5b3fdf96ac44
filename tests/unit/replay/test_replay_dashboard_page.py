"""The dashboard's replay page reads what the replay wrote, and only that."""

from __future__ import annotations

import json

from dash import Dash, dcc

from bot.replay.facts import RunFacts, summarize
from bot.replay.report import write_report
from dashboard import replay_page


def _facts() -> RunFacts:
    facts = RunFacts(label="run", overrides={}, first_day="2026-01-02", last_day="2026-01-02",
                     symbols=["BTCUSDT"], risk_per_trade=0.0075, bars=1440, wall_s=6.0,
                     ledger_hash="ab" * 32, ledger_entries=10, job_errors=0)
    facts.equity = [("2026-01-02T00:00:00+00:00", 10_000.0),
                    ("2026-01-02T12:00:00+00:00", 9_900.0)]
    facts.trades = [{"id": 1, "symbol": "BTCUSDT", "direction": "LONG", "pnl_usdt": -100.0,
                     "fees_usdt": 4.0, "reason": "stop"}]
    facts.stop_hits = [{"id": 1, "symbol": "BTCUSDT", "risk_usdt": 75.0, "loss_usdt": 100.0,
                        "loss_r": 1.33, "at_stop_usdt": 75.0, "gap_usdt": 20.0,
                        "slippage_usdt": 1.0, "fees_usdt": 4.0}]
    facts.regime = [("2026-01-02T00:00:00+00:00", "UPTREND")]
    facts.summary = summarize(facts, 10_000.0)
    return facts


def test_page_when_a_report_exists_then_its_table_and_figures_are_drawn(tmp_path):
    _, json_path = write_report([_facts()], tmp_path, "python -m bot.replay --data x")
    (tmp_path / "replay.log").write_text("not a report")
    assert replay_page.list_reports(tmp_path) == [json_path]
    parts = replay_page.render_report(replay_page.load_report(json_path))
    graphs = [p for p in parts if isinstance(p, dcc.Graph)]
    assert {g.id["name"] for g in graphs} == set(json.loads(json_path.read_text())["figures"])
    table = parts[2].to_plotly_json()
    assert "Stop hits" in json.dumps(table, default=str)


def test_page_when_the_file_is_not_a_report_then_it_says_so(tmp_path):
    bad = tmp_path / "replay-broken.json"
    bad.write_text("{not json")
    assert replay_page.load_report(bad) is None
    [message] = replay_page.render_report(None)
    assert "not a replay report" in message.children


def test_page_when_a_name_outside_the_list_is_asked_then_nothing_is_read(tmp_path):
    app = Dash(__name__)
    layout = replay_page.layout(tmp_path)
    replay_page.register(app, tmp_path)
    assert "No replay report yet" in json.dumps(layout.to_plotly_json(), default=str)
    show = next(c for key, c in app.callback_map.items() if replay_page.BODY in key)
    result = show["callback"].__wrapped__("../../etc/passwd.json")
    assert "gone" in json.dumps(result, default=str)
