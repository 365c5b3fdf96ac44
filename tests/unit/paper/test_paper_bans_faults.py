"""418 bans after repeated 429s, Retry-After, and the named error presets of the fault plan."""

from __future__ import annotations

import pytest

from bot.paper.auth import RateLimiter
from bot.paper.bans import IpBans
from bot.paper.errors import PaperError
from bot.paper.faults import PRESETS, UNKNOWN_STATUS_MSG, FaultKind, FaultPlan
from tests.unit.paper.helpers import WallClock


def banned(bans: IpBans) -> PaperError | None:
    try:
        bans.check()
    except PaperError as exc:
        return exc
    return None


def test_ban_when_429s_pile_up_in_window_then_418_with_retry_after_until_it_ends():
    wall = WallClock()
    bans = IpBans(after=3, window_s=60, ban_s=120, wall_ms=wall)
    for _ in range(2):
        bans.record_429()
    assert banned(bans) is None
    bans.record_429()
    error = banned(bans)
    assert error is not None and (error.code, error.http_status) == (-1003, 418)
    assert error.msg.startswith("Way too many requests; IP banned until ")
    assert error.headers == {"Retry-After": "120"}
    wall.ms += 119_500
    assert banned(bans).headers == {"Retry-After": "1"}
    wall.ms += 500
    assert banned(bans) is None


def test_ban_when_offender_repeats_then_duration_doubles():
    wall = WallClock()
    bans = IpBans(after=1, ban_s=120, wall_ms=wall)
    bans.record_429()
    wall.ms += 120_000
    bans.record_429()
    assert banned(bans).headers == {"Retry-After": "240"}


def test_ban_when_429s_spread_beyond_window_then_no_ban():
    wall = WallClock()
    bans = IpBans(after=3, window_s=60, wall_ms=wall)
    for _ in range(5):
        bans.record_429()
        wall.ms += 31_000
    assert banned(bans) is None


def test_ban_when_switched_off_then_never_but_explicit_ban_still_works():
    wall = WallClock()
    bans = IpBans(after=None, wall_ms=wall)
    for _ in range(100):
        bans.record_429()
    assert banned(bans) is None
    bans.ban(30)
    assert banned(bans).headers == {"Retry-After": "30"}


def test_weight_429_when_budget_spent_then_retry_after_is_rest_of_minute():
    wall = WallClock(60_000 * 1000 + 45_000)
    limiter = RateLimiter(weight_limit=1, wall_ms=wall)
    limiter.add_weight(1)
    with pytest.raises(PaperError) as info:
        limiter.add_weight(1)
    assert info.value.http_status == 429 and info.value.headers == {"Retry-After": "15"}


@pytest.mark.parametrize("preset,code,status", [
    ("me_recv_window", -5028, 400), ("max_stop_orders", -4045, 400),
    ("stop_triggering", -4117, 400), ("user_in_liquidation", -2023, 400),
    ("market_order_reject", -4131, 400), ("reduce_only_rejected", -2022, 400),
    ("reduce_only_conflict", -2022, 400), ("bad_precision", -1111, 400),
    ("price_not_tick", -4014, 400), ("qty_not_step", -4023, 400), ("server_busy", -1008, 503),
])
def test_preset_when_armed_then_binance_code_text_and_status(preset, code, status):
    fault = FaultPlan().add("POST", "/fapi/v1/algoOrder", preset=preset)
    assert (fault.code, fault.status, fault.msg) == (code, status, PRESETS[preset]().msg)


def test_reduce_only_presets_when_compared_then_same_code_two_meanings():
    plan = FaultPlan()
    rejected = plan.add("POST", "/fapi/v1/order", preset="reduce_only_rejected")
    conflict = plan.add("POST", "/fapi/v1/order", preset="reduce_only_conflict")
    assert rejected.code == conflict.code == -2022
    assert rejected.msg == "ReduceOnly Order is rejected."
    assert "conflicts with existing open orders" in conflict.msg


def test_error_fault_when_code_only_then_default_text_from_presets():
    fault = FaultPlan().add("POST", "/fapi/v1/algoOrder", code=-5028)
    assert fault.msg == "Timestamp for this request is outside of the ME recvWindow."


def test_busy_fault_when_armed_then_1008_503_and_never_executed():
    plan = FaultPlan()
    fault = plan.add("POST", "/fapi/v1/order", kind="busy")
    assert fault.answer(0) == ({"code": -1008, "msg": PRESETS["server_busy"]().msg}, 503)
    with pytest.raises(ValueError):
        plan.add("POST", "/fapi/v1/order", kind=FaultKind.BUSY, reached_engine=True)


@pytest.mark.parametrize("reached,body", [
    (True, {"timestamp": 7, "path": "/fapi/v1/order", "msg": UNKNOWN_STATUS_MSG}),
    (False, {"code": -1001,
             "msg": "Internal error; unable to process your request. Please try again."}),
])
def test_http_503_when_reached_engine_or_not_then_binance_wording_of_each(reached, body):
    fault = FaultPlan().add("POST", "/fapi/v1/order", kind="http", reached_engine=reached)
    assert fault.answer(7) == (body, 503)


def test_preset_when_unknown_then_value_error_and_nothing_armed():
    plan = FaultPlan()
    with pytest.raises(ValueError):
        plan.add("POST", "/fapi/v1/order", preset="meteor")
    assert plan.pending() == []
