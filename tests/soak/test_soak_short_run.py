"""The soak, short: the whole bot under injected faults keeps every position covered, and
the same soak fails when the bot is broken the way the seed system was."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench.soak.config import SoakConfig
from bench.soak.faults import Injection
from bench.soak.harness import run_soak
from bench.soak.report import figures, targets
from bot.runtime.bot import Bot

NEW_KINDS = (Injection.TRIGGER_REJECT, Injection.TRIGGER_STUCK, Injection.CHILD_EXPIRED,
             Injection.STREAM_DROP, Injection.OUTSIDE_FILL, Injection.SILENT_CANCEL)


def _run(tmp_path, prepare=None, **overrides):
    cfg = SoakConfig(**{"entries": 200, "fault_rate": 0.15, "speed": 10.0, "seed": 11,
                        "symbols": 24, "max_wall_s": 150.0, "notional_usdt": Decimal("150"),
                        **overrides})
    outcome = run_soak(cfg, workdir=tmp_path, prepare=prepare)
    f = figures(outcome)
    return cfg, f, targets(f, cfg.entries, cfg.fault_rate)


def _check_targets(f, t) -> None:
    """Every target must hold. One known bot defect is let through as an expected failure,
    narrowly: a stuck TRIGGERING closePosition stop outlives its position, and the executor
    takes it for the next entry's stop ("SL already exists"), so that entry waits for the
    stream's targeted check (milliseconds) instead of getting its immediate stop."""
    failed = [name for name, ok in t.items() if not ok]
    known = "0 naked s beyond the first round trip"
    n = f["naked"]
    if failed == [known] and n["unexcused_spans"] == n["unexcused_after_stuck"] and all(
            s["cause"] == "entry" for s in n["examples_unexcused"]):
        pytest.xfail(f"bot: entry after a stuck closePosition stop left without its immediate "
                     f"stop: {n['examples_unexcused']}")
    assert not failed, (failed, n, f["repair"], f["lost_examples"], f["cancel_breaches"],
                        f["emergency_covered_examples"], f["doubled_examples"])


@pytest.mark.timeout(240)
def test_soak_when_faults_injected_then_every_target_holds(tmp_path):
    """The production setting: a 10 s monitor poll, the user-data stream on."""
    cfg, f, t = _run(tmp_path, monitor_interval_s=10.0)
    _check_targets(f, t)
    assert f["venue"]["entries"] >= cfg.entries
    assert len(f["driver"]["injected"]) >= 5  # many kinds, not one
    assert f["stream"] is not None and f["stream"]["targeted_checks"] > 0
    # second entries under a closePosition stop and emergency closes place no new stop
    assert f["venue"]["stops_placed"] >= f["venue"]["entries"] * 0.75
    assert f["observer"]["position_samples"] > 0
    assert f["venue"]["trades"].get("stop", 0) > 0  # stops really fired through gaps


@pytest.mark.timeout(180)
def test_soak_when_venue_loses_stops_then_each_cause_repaired_within_budget(tmp_path):
    """Stops rejected, stuck or with an expired child at trigger, a stream drop, outside
    fills and silent cancels, at the production poll with the stream on: each venue-made
    naked span is attributed to its cause and repaired within one cycle + 1 s."""
    cfg, f, t = _run(tmp_path, entries=50, fault_rate=0.6, symbols=12, monitor_interval_s=10.0,
                     kinds=tuple(k.value for k in NEW_KINDS), max_wall_s=120.0)
    injected = f["driver"]["injected"]
    assert len(injected) >= 5, injected
    repair = f["repair"]
    assert repair["venue_lost"]["spans"] > 0 and repair["stuck"]["spans"] > 0, repair
    for cause in ("venue_lost", "stuck", "outside", "silent_cancel"):
        r = repair[cause]
        assert r["late"] == 0 and r["late_under_fault"] == 0, (cause, r)
        assert set(r["not_repaired"]) <= {"closed"}, (cause, r)  # never left open, never ex
    losses = f["venue_losses"]
    assert losses["stops_lost_at_trigger"] >= repair["venue_lost"]["spans"] > 0
    assert losses["stuck_triggers"] >= repair["stuck"]["spans"]
    if Injection.OUTSIDE_FILL.value in injected:
        assert losses["outside_fills"] > 0
    if Injection.STREAM_DROP.value in injected:
        assert f["stream"]["reconnects"] > 0
    _check_targets(f, t)


def _cancel_then_replace(bot: Bot) -> None:
    """The seed system's monitor: cancel the stop, then place a fresh one."""
    c = bot.c
    original = c.monitor.run_cycle

    def broken_cycle():
        for stop in c.exchange.open_conditional_orders():
            if stop.type.is_stop:
                try:
                    c.exchange.cancel_conditional(stop.symbol, algo_id=stop.algo_id)
                except Exception:
                    pass
        return original()

    c.monitor.run_cycle = broken_cycle  # type: ignore[method-assign]


@pytest.mark.timeout(120)
def test_soak_when_monitor_cancels_before_replacing_then_targets_fail(tmp_path):
    _, f, t = _run(tmp_path, prepare=_cancel_then_replace, entries=40, fault_rate=0.0,
                   symbols=12)
    assert f["cancels_of_covering_stops_while_open"] > 0
    assert not t["0 cancels of covering stops"]
    assert not t["0 naked s beyond the first round trip"]


def _slow_stop(bot: Bot) -> None:
    """An executor that does something slow between the entry and its stop."""
    protector = bot.c.protection.protector
    original = protector.protect_fill

    def late(*args, **kwargs):
        import time
        time.sleep(0.25)
        return original(*args, **kwargs)

    protector.protect_fill = late  # type: ignore[method-assign]


@pytest.mark.timeout(120)
def test_soak_when_stop_is_late_after_entry_then_naked_time_is_reported(tmp_path):
    _, f, t = _run(tmp_path, prepare=_slow_stop, entries=30, fault_rate=0.0, symbols=12,
                   rtt_budget_ms=100.0)
    assert f["naked"]["first_round_trip_ms_p50"] >= 250
    assert f["naked"]["beyond_first_round_trip_s"] > 0
    assert not t["0 naked s beyond the first round trip"]


@pytest.mark.timeout(120)
def test_soak_when_kill_switch_halts_the_bot_then_driving_stops_and_entries_fall_short(
        tmp_path):
    """A halted bot takes no entries: the run stops driving instead of waiting out its
    wall budget, and the entries target fails."""
    cfg, f, t = _run(tmp_path, prepare=lambda bot: bot.c.killswitch.halt("soak", "on purpose"),
                     entries=30, fault_rate=0.0, symbols=6, max_wall_s=600.0)
    assert f["run"]["kill_switch"] == "HALTED" and f["venue"]["entries"] == 0
    assert f["run"]["drive_s"] < cfg.max_wall_s / 4
    assert not t["entries reached"]


def test_soak_config_when_kind_unknown_then_refused():
    with pytest.raises(ValueError, match="unknown fault kinds"):
        SoakConfig(kinds=("gremlins",))
    assert SoakConfig(kinds=(Injection.SILENT_CANCEL.value,)).kinds == ("silent_cancel",)
