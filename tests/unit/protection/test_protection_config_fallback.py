"""Settings validation and the fallback stop for positions without a recorded one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import Direction, EventKind, Position
from bot.protection.adoption import fallback_stop
from bot.protection.config import ProtectionConfig, valid_callback_rate
from bot.protection.stop_policy import StopMode, StopPolicy
from tests.unit.protection.rig import Rig

D = Decimal


@pytest.mark.parametrize("bad", [
    dict(retry_buffers=(D("0"),)), dict(retry_buffers=(D("0.6"),)),
    dict(ratchet_distance=D("0.9")), dict(naked_grace_s=-1), dict(lease_ttl_s=0),
    dict(loss_flag_pct=D("0")),
])
def test_config_when_invalid_then_clear_error(bad: dict) -> None:
    with pytest.raises(ValueError, match="must"):
        ProtectionConfig(**bad)


@pytest.mark.parametrize("bad", [
    dict(pct=D("0")), dict(pct=D("0.5")), dict(atr_mult=D("-1")), dict(atr_period=0),
    dict(mode="sideways"),
])
def test_stop_policy_when_invalid_then_clear_error(bad: dict) -> None:
    with pytest.raises(ValueError):
        StopPolicy(**bad)


@pytest.mark.parametrize(("rate", "ok"), [
    (D("0.1"), True), (D("5.0"), True), (D("1"), True), (D("0.09"), False), (D("5.01"), False),
    (None, False), (D("Infinity"), False),
])
def test_callback_rate_range(rate: Decimal | None, ok: bool) -> None:
    assert valid_callback_rate(rate) is ok


@pytest.mark.parametrize(("d", "expected"), [(Direction.LONG, D("2940.00")),
                                             (Direction.SHORT, D("3060.00"))])
def test_fallback_stop_percent(d: Direction, expected: Decimal) -> None:
    rig = Rig(config=ProtectionConfig(stop=StopPolicy(StopMode.PERCENT, pct=D("0.02"))))
    pos = Position("ETHUSDT", d, D("1"), D("3000"), D("3000"), D(0), 10)
    assert fallback_stop(rig.ex, rig.config.stop, pos) == expected


def test_fallback_stop_atr_uses_true_range_times_multiple() -> None:
    rig = Rig(config=ProtectionConfig(stop=StopPolicy(StopMode.ATR, atr_mult=D("2"))))
    pos = Position("ETHUSDT", Direction.LONG, D("1"), D("3000"), D("3000"), D(0), 10)
    # fake bars: high 3030, low 2970 -> true range 60, ATR 60, stop 3000 - 120
    assert fallback_stop(rig.ex, rig.config.stop, pos) == D("2880.00")


def test_monitor_when_recorded_stop_already_passed_then_ladder_from_mark() -> None:
    from bot.domain import Trade, client_ids
    from tests.unit.protection.fakes import T0

    rig = Rig()
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    rig.book.record_open(Trade("ETHUSDT", Direction.LONG, D("1"), D("3100"), D("3050"),
                                     client_ids.position_key("ETHUSDT", 1), T0))
    rig.monitor.run_cycle()
    [stop] = rig.ex.open_algos()
    assert stop.trigger_price == D("2997.00")
    assert [e.code for e in rig.sink.of(EventKind.STOP_REJECTED)] == [-2021]
    assert rig.sink.of(EventKind.STOP_RETRY)
