from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot import metrics
from bot.domain import Event, EventKind
from bot.store import Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY_AGO = NOW - timedelta(hours=24)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'metrics.db'}")
    yield s
    s.close()


def at(seconds_before_now: float) -> datetime:
    return NOW - timedelta(seconds=seconds_before_now)


def test_empty_log_gives_no_rates_and_zero_counts(store: Store) -> None:
    k = metrics.compute_kpis(store, NOW, open_positions=2, covered=2, equity=Decimal("10000"))
    assert k.sl_success_rate_24h is None
    assert (k.fill_to_stop_p50_ms, k.fill_to_stop_p99_ms) == (None, None)
    assert k.loss_per_stop_hit_pct is None
    assert (k.emergency_closes_24h, k.would_trigger_rejections, k.callback_rate_rejections,
            k.stops_canceled_while_open) == (0, 0, 0, 0)
    assert (k.open_positions, k.covered_positions, k.equity) == (2, 2, Decimal("10000"))


def test_sl_success_rate_counts_protect_calls_not_ladder_steps(store: Store) -> None:
    seq = []
    # 7 protect() calls that ended in a stop, two of them after a -2021 ladder step
    for i in range(7):
        if i < 2:
            seq.append(Event(EventKind.STOP_REJECTED, at(1000 + i), "BTCUSDT", code=-2021))
            seq.append(Event(EventKind.STOP_RETRY, at(999 + i), "BTCUSDT"))
        seq.append(Event(EventKind.STOP_PLACED, at(900 + i), "BTCUSDT", latency_ms=5.0))
    # 3 calls whose ladder ran out
    for i in range(3):
        seq += [Event(EventKind.STOP_REJECTED, at(500 + i), "ETHUSDT", code=-2021),
                Event(EventKind.STOP_REJECTED, at(499 + i), "ETHUSDT", code=-4142),
                Event(EventKind.EMERGENCY_CLOSE, at(498 + i), "ETHUSDT")]
    # outside the window: ignored by the 24 h figure
    seq.append(Event(EventKind.EMERGENCY_CLOSE, at(90_000), "SOLUSDT"))
    store.append_many(seq)
    assert metrics.sl_attempts(store, DAY_AGO) == (7, 10)
    assert metrics.sl_placement_success_rate(store, DAY_AGO) == pytest.approx(7 / 10)
    assert metrics.sl_placement_success_rate(store, None) == pytest.approx(7 / 11)
    k = metrics.compute_kpis(store, NOW)
    assert k.sl_success_rate_24h == pytest.approx(0.7)
    assert k.emergency_closes_24h == 3
    assert k.would_trigger_rejections == 2 + 3 + 3  # -2021 and -4142: one "would trigger" answer
    assert metrics.immediate_trigger_rejections(store, DAY_AGO) == {-2021: 5, -4142: 3}


def test_fill_to_stop_latency_matches_nearest_rank_computed_here(store: Store) -> None:
    rng = random.Random(11)
    latencies = [round(rng.uniform(0.5, 80.0), 3) for _ in range(257)]
    store.append_many([
        Event(EventKind.STOP_PLACED, at(5000 - i), "BTCUSDT", latency_ms=v)
        for i, v in enumerate(latencies)
    ])
    # a monitor re-placement carries no latency
    store.append(Event(EventKind.STOP_PLACED, at(10), "BTCUSDT"))
    store.append(Event(EventKind.STOP_PLACED, at(100_000), "BTCUSDT", latency_ms=9999.0))  # old
    ordered = sorted(latencies)

    def nearest_rank(p: int) -> float:
        return ordered[math.ceil(p * len(ordered) / 100) - 1]

    assert metrics.fill_to_stop_latency(store, DAY_AGO) == (nearest_rank(50), nearest_rank(99))
    k = metrics.compute_kpis(store, NOW)
    assert (k.fill_to_stop_p50_ms, k.fill_to_stop_p99_ms) == (nearest_rank(50), nearest_rank(99))


def test_naked_seconds_from_detection_to_next_stop_or_close(store: Store) -> None:
    store.append_many([
        Event(EventKind.NAKED_DETECTED, at(100), "BTCUSDT"),
        Event(EventKind.NAKED_DETECTED, at(95), "BTCUSDT"),  # still naked: clock not restarted
        Event(EventKind.STOP_PLACED, at(88), "ETHUSDT"),  # another symbol's stop
        Event(EventKind.STOP_PLACED, at(88), "BTCUSDT"),  # 12 s naked
        Event(EventKind.STOP_PLACED, at(80), "BTCUSDT"),  # not naked: adds nothing
        Event(EventKind.NAKED_DETECTED, at(60), "ETHUSDT"),
        Event(EventKind.POSITION_CLOSED, at(57.5), "ETHUSDT"),  # 2.5 s naked
        Event(EventKind.NAKED_DETECTED, at(50), "BTCUSDT"),
        Event(EventKind.STOP_PLACED, at(47), "BTCUSDT"),  # +3 s
        Event(EventKind.NAKED_DETECTED, at(20), "SOLUSDT"),  # still naked now
    ])
    assert metrics.naked_seconds(store, DAY_AGO) == {
        "BTCUSDT": 15.0, "ETHUSDT": 2.5, "SOLUSDT": 0.0}
    assert metrics.naked_seconds(store, DAY_AGO, now=NOW) == {
        "BTCUSDT": 15.0, "ETHUSDT": 2.5, "SOLUSDT": 20.0}


def test_loss_per_stop_hit_means_only_stop_closes(store: Store) -> None:
    closes = [  # (reason, pnl_pct_equity, entry, exit)
        ("stop", "-0.75", "100", "98"),
        ("stop", "-0.70", "2.5", "2.525"),
        ("stop", "-0.80", "50000", "49250"),
        ("take_profit", "1.5", "100", "103"),
        ("flatten", "-0.2", "100", "99.5"),
    ]
    store.append_many([
        Event(EventKind.POSITION_CLOSED, at(1000 - i), "BTCUSDT",
              details={"reason": r, "pnl_pct_equity": Decimal(p), "entry_price": Decimal(e),
                       "exit_price": Decimal(x), "pnl_usdt": Decimal("-1")})
        for i, (r, p, e, x) in enumerate(closes)
    ])
    stop_rows = [c for c in closes if c[0] == "stop"]
    exp_equity = sum(Decimal(p) for _, p, _, _ in stop_rows) / len(stop_rows)
    exp_move = sum(abs(Decimal(x) - Decimal(e)) / Decimal(e) * 100
                   for _, _, e, x in stop_rows) / len(stop_rows)
    got = metrics.loss_per_stop_hit(store, None)
    assert got.count == 3
    assert got.mean_pct_equity == pytest.approx(float(exp_equity))
    assert got.mean_price_move_pct == pytest.approx(float(exp_move))
    assert metrics.compute_kpis(store, NOW).loss_per_stop_hit_pct == pytest.approx(
        float(exp_equity))


def test_denials_and_breaches_counted_by_rule_and_code(store: Store) -> None:
    rules = ["uptrend_short_block"] * 4 + ["max_positions_per_symbol"] * 2 + ["kill_switch"]
    store.append_many(
        [Event(EventKind.DECISION_DENIED, at(100 + i), "BTCUSDT", details={"rule": r})
         for i, r in enumerate(rules)]
        + [Event(EventKind.DECISION_DENIED, at(90_000), "BTCUSDT",
                 details={"rule": "uptrend_short_block"})]
        + [Event(EventKind.TRAILING_DISABLED, at(50), "BTCUSDT", code=-2007),
           Event(EventKind.TRAILING_DISABLED, at(40), "BTCUSDT", code=None),  # invalid setting
           Event(EventKind.STOP_CANCELED_WHILE_OPEN, at(200_000), "BTCUSDT")]
    )
    k = metrics.compute_kpis(store, NOW)
    assert k.shorts_blocked_24h == 4
    assert k.position_limit_denials_24h == 2
    assert k.callback_rate_rejections == 1
    assert k.stops_canceled_while_open == 1  # all time: a breach never ages out
    assert metrics.shorts_blocked(store, None) == 5


def test_metrics_report_over_a_window(store: Store) -> None:
    store.append_many([
        Event(EventKind.STOP_PLACED, at(300), "BTCUSDT", latency_ms=4.0),
        Event(EventKind.NAKED_DETECTED, at(200), "ETHUSDT"),
        Event(EventKind.STOP_PLACED, at(190), "ETHUSDT", latency_ms=None),
        Event(EventKind.STOP_REJECTED, at(150), "BTCUSDT", code=-4142),
        Event(EventKind.EMERGENCY_CLOSE, at(149), "BTCUSDT"),
    ])
    r = metrics.metrics_report(store, since=at(400), until=NOW, now=NOW)
    assert (r.sl_placed, r.sl_attempts) == (2, 3)
    assert r.sl_success_rate == pytest.approx(2 / 3)
    assert (r.fill_to_stop_p50_ms, r.fill_to_stop_p99_ms) == (4.0, 4.0)
    assert r.naked_seconds == {"ETHUSDT": 10.0}
    assert (r.rejected_would_trigger, r.rejected_tp_sl_would_trigger,
            r.emergency_closes) == (0, 1, 1)
    assert r.stop_hits.count == 0 and r.stop_hits.mean_pct_equity is None


def test_fill_to_stop_latency_leaves_out_non_immediate_placements(store: Store) -> None:
    store.append_many([
        Event(EventKind.STOP_PLACED, at(50), "BTCUSDT", latency_ms=2.0,
              details={"immediate": True}),
        Event(EventKind.STOP_PLACED, at(40), "BTCUSDT", latency_ms=3.0),  # flag absent: counts
        Event(EventKind.STOP_PLACED, at(30), "BTCUSDT", latency_ms=900.0,
              details={"immediate": False}),  # a monitor placement: not fill -> stop
    ])
    assert metrics.fill_to_stop_latency(store, DAY_AGO) == (2.0, 3.0)
    assert metrics.sl_attempts(store, DAY_AGO) == (3, 3)  # but every placement is a success


def test_protect_gave_up_counts_as_failed_attempt(store: Store) -> None:
    store.append_many([
        Event(EventKind.STOP_PLACED, at(50), "BTCUSDT"),
        Event(EventKind.EXCHANGE_ERROR, at(40), "BTCUSDT", code=-1001,
              details={"protect": "failed"}),
        Event(EventKind.EXCHANGE_ERROR, at(30), "BTCUSDT", code=-1001),  # a plain error
    ])
    assert metrics.sl_attempts(store, DAY_AGO) == (1, 2)
    assert metrics.sl_placement_success_rate(store, DAY_AGO) == pytest.approx(0.5)
