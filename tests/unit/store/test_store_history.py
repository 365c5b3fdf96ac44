from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.domain import Regime, RegimeView
from bot.store import Store
from tests.unit.store.conftest import T0, StepClock


def test_equity_curve_when_limited_then_newest_points_oldest_first(store: Store) -> None:
    for i in range(10):
        store.record_equity(T0 + timedelta(minutes=i), Decimal("10000") + i)
    curve = store.equity_curve(limit=3)
    assert [p.equity for p in curve] == [Decimal("10007"), Decimal("10008"), Decimal("10009")]
    since = store.equity_curve(since=T0 + timedelta(minutes=8))
    assert [p.at for p in since] == [T0 + timedelta(minutes=8), T0 + timedelta(minutes=9)]


def test_record_equity_when_float_then_refused(store: Store) -> None:
    with pytest.raises(TypeError, match="Decimal"):
        store.record_equity(T0, 10000.5)  # type: ignore[arg-type]
    assert store.equity_curve() == []


def test_regime_history_round_trip(store: Store, clock: StepClock) -> None:
    store.record_regime(RegimeView(Regime.UPTREND, T0, {"ema_fast": 101.5, "adx": 27.0}))
    store.record_regime(RegimeView(Regime.SIDEWAYS, None, {}))
    store.record_regime(RegimeView(Regime.DOWNTREND, T0 + timedelta(hours=2), {"adx": 31.0}))
    history = store.regime_history()
    assert [h.regime for h in history] == [Regime.UPTREND, Regime.SIDEWAYS, Regime.DOWNTREND]
    assert history[0].inputs == {"ema_fast": 101.5, "adx": 27.0} and history[0].computed_at == T0
    assert history[1].computed_at is not None  # stamped by the store's clock
    assert [h.regime for h in store.regime_history(limit=1)] == [Regime.DOWNTREND]
