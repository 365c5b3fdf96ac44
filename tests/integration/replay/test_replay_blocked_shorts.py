"""Shorts the regime blocked, end to end: BTCUSDT climbing (UPTREND), ETHUSDT giving short
signals; each denial is entered, in the counterfactual, at the open of its bar and walked
with the signal's own stop and target."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain import EventKind
from bot.replay.data import Window
from bot.replay.facts import collect
from bot.replay.session import ReplayConfig, ReplaySession
from bot.replay.synthetic import Walk, write_symbol

FIRST = date(2026, 1, 1)
DAY = date(2026, 1, 11)  # ten days of history first: the regime's 1h EMAs need them


def _opens(path) -> dict[int, float]:
    rows = path.read_text().splitlines()[1:]
    return {int(r.split(",")[0]): float(r.split(",")[1]) for r in rows}


def test_replay_when_the_regime_blocks_shorts_then_their_counterfactual_is_reported(tmp_path):
    write_symbol(tmp_path, "BTCUSDT", FIRST, 11, seed=1,
                 walk=Walk(95000.0, 2, vol=0.0008, bias=0.00008))
    [eth] = write_symbol(tmp_path, "ETHUSDT", FIRST, 11, seed=2,
                         walk=Walk(3300.0, 2, vol=0.0012, drift=0.0003, trend_every=120))
    with ReplaySession(ReplayConfig(tmp_path, Window(DAY, DAY),
                                    {"QT_DAILY_LOSS_LIMIT": "1"})) as session:
        session.start()
        while session.step():
            pass
        facts = collect(session, wall_s=1.0)
        denied = [e for e in session.components.store.events(kinds=[EventKind.DECISION_DENIED])
                  if e.details.get("rule") == "uptrend_short_block"]

    assert {r for _, r in facts.regime} == {"UPTREND"}
    assert len(facts.blocked_shorts) == len(denied) >= 2
    assert facts.summary["shorts_blocked"] == len(denied)
    opens = _opens(eth)
    for short in facts.blocked_shorts:
        at_ms = int(datetime.fromisoformat(short["at"]).timestamp() * 1000)
        assert short["entry"] == opens[at_ms]  # the bar's open: the mark the decision read
        assert short["stop"] > short["entry"] > (short["target"] or 0)
        assert short["outcome"] in ("stop", "target", "open at end")
        if short["outcome"] == "stop":
            assert short["exit"] >= short["stop"] and short["r"] <= -1 and short["pnl_usdt"] < 0
        if short["outcome"] == "target":
            assert short["exit"] <= short["target"] and short["r"] > 0 and short["pnl_usdt"] > 0
    assert facts.summary["blocked_shorts_pnl_usdt"] == sum(s["pnl_usdt"]
                                                           for s in facts.blocked_shorts)
    assert datetime.fromisoformat(facts.blocked_shorts[0]["at"]).tzinfo == UTC
