"""``python -m bot.replay`` end to end: the HTML report (offline: plotly inline) and the JSON
of every figure land in --out, named after the run, with the hash it printed."""

from __future__ import annotations

import json

import plotly.io as pio

from bot.replay.cli import main
from tests.integration.replay.conftest import REPLAYED


def _args(data, out, *extra: str) -> list[str]:
    return ["--data", str(data), "--from", REPLAYED.first.isoformat(),
            "--to", REPLAYED.last.isoformat(), "--out", str(out),
            "--set", "QT_DAILY_LOSS_LIMIT=1", *extra]


def test_cli_when_a_replay_ends_then_html_and_json_are_written(small_data, tmp_path, capsys):
    assert main(_args(small_data, tmp_path)) == 0
    out, err = capsys.readouterr()
    [html_file] = tmp_path.glob("replay-*.html")
    [json_file] = tmp_path.glob("replay-*.json")
    assert f"report: {html_file}" in out and f"figures: {json_file}" in out
    assert "bars/s" in err and "ETA" in err and "2026-01-02" in err  # the progress line
    page = html_file.read_text(encoding="utf-8")
    assert "<script src=\"https://cdn.plot.ly" not in page and "plotly.js v" in page
    for section in ("Worst stop hits", "Ladder rungs", "Shorts blocked by the regime",
                    "Naked spells", "Kill switch", "trades"):
        assert section in page
    report = json.loads(json_file.read_text(encoding="utf-8"))
    [run] = report["runs"]
    assert run["ledger_hash"] in out and run["ledger_hash"][:8] in json_file.name
    assert run["summary"]["closed_trades"] >= 1
    assert set(report["figures"]) == {"equity", "exit-reasons", "stop-losses", "protection",
                                      "blocked-shorts", "regime"}
    for figure in report["figures"].values():
        pio.from_json(json.dumps(figure))  # each one a valid plotly figure


def test_cli_when_compare_is_given_then_both_runs_share_one_table(small_data, tmp_path,
                                                                  capsys):
    assert main(_args(small_data, tmp_path, "--quiet",
                      "--compare", "QT_RISK_PER_TRADE=0.002,QT_MAX_OPEN_POSITIONS=2")) == 0
    out, err = capsys.readouterr()
    assert err == ""
    [json_file] = tmp_path.glob("compare-*.json")
    report = json.loads(json_file.read_text(encoding="utf-8"))
    base, other = report["runs"]
    assert other["overrides"]["QT_RISK_PER_TRADE"] == "0.002"
    assert base["ledger_hash"] != other["ledger_hash"]
    table = report["figures"]["compare"]["data"][0]
    assert table["header"]["values"] == ["", "base",
                                         "QT_RISK_PER_TRADE=0.002,QT_MAX_OPEN_POSITIONS=2"]
    assert "stop-losses-2" in report["figures"]


def test_compare_when_run_side_by_side_then_each_ledger_is_the_one_it_has_alone(
        small_data, tmp_path, capsys):
    """Two processes at once (--jobs 2) or one after the other (--jobs 1): the same hashes,
    in the order asked."""
    hashes = {}
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        assert main(_args(small_data, out, "--quiet", "--jobs", jobs,
                          "--compare", "QT_RISK_PER_TRADE=0.002")) == 0
        [json_file] = out.glob("compare-*.json")
        runs = json.loads(json_file.read_text(encoding="utf-8"))["runs"]
        hashes[jobs] = [(r["label"], r["ledger_hash"]) for r in runs]
    assert hashes["1"] == hashes["2"]
    assert [label for label, _ in hashes["2"]] == ["base", "QT_RISK_PER_TRADE=0.002"]
    assert main(_args(small_data, tmp_path, "--jobs", "-1")) == 2
    assert "--jobs -1" in capsys.readouterr().err
