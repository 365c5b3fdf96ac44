"""Rate-limit windows, signature checks and the fault plan, with an injected wall clock."""

from __future__ import annotations

import pytest

from bot.paper.auth import Authenticator, RateLimiter, sign
from bot.paper.errors import PaperError
from bot.paper.faults import FaultKind, FaultPlan


class Wall:
    def __init__(self, ms: int = 1_800_000_000_000) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_weight_when_minute_rolls_over_then_budget_resets():
    wall = Wall(60_000 * 1000)
    limiter = RateLimiter(weight_limit=10, wall_ms=wall)
    assert limiter.add_weight(5) == 5 and limiter.add_weight(5) == 10
    with pytest.raises(PaperError) as info:
        limiter.add_weight(1)
    assert (info.value.code, info.value.http_status) == (-1003, 429)
    wall.ms += 60_000
    assert limiter.used_weight() == 0 and limiter.add_weight(1) == 1


def test_order_counts_when_ten_seconds_pass_then_short_window_resets():
    wall = Wall(10_000 * 500)
    limiter = RateLimiter(orders_10s=2, orders_1m=5, wall_ms=wall)
    assert limiter.add_order() == (1, 1) and limiter.add_order() == (2, 2)
    with pytest.raises(PaperError) as short:
        limiter.add_order()
    assert short.value.code == -1015
    wall.ms += 10_000  # same minute: the rejected third order still counts in the 1m window
    assert limiter.add_order() == (1, 4)
    assert limiter.add_order() == (2, 5)
    wall.ms += 10_000
    with pytest.raises(PaperError) as long:
        limiter.add_order()  # 10 s window fresh (1), minute window full (6 > 5)
    assert long.value.msg.endswith("orders per 1m.")


def sign_query(secret: str, query: str) -> str:
    return f"{query}&signature={sign(secret, query)}"


@pytest.mark.parametrize("offset,ok", [(0, True), (-4_999, True), (-5_001, False),
                                       (999, True), (1_000, False)])
def test_timestamp_window_when_client_clock_differs_then_1021_outside(offset, ok):
    wall = Wall()
    auth = Authenticator("k", "s", wall_ms=wall)
    params = {"timestamp": str(wall.ms + offset)}
    if ok:
        auth.check_timestamp(params)
    else:
        with pytest.raises(PaperError) as info:
            auth.check_timestamp(params)
        assert info.value.code == -1021


def test_signature_when_values_percent_encoded_then_decoded_form_also_accepted():
    wall = Wall()
    auth = Authenticator("k", "s", wall_ms=wall)
    raw = f"clientAlgoId=a:b&timestamp={wall.ms}"
    sent = raw.replace(":", "%3A")
    body = f"{sent}&signature={sign('s', raw)}"
    auth.check_signed("", body, {"clientAlgoId": "a:b", "timestamp": str(wall.ms)})
    with pytest.raises(PaperError) as info:
        auth.check_signed("", body.replace("a%3Ab", "a%3Ac"),
                          {"clientAlgoId": "a:c", "timestamp": str(wall.ms)})
    assert info.value.code == -1022


def test_fault_plan_when_count_used_up_then_gone_and_others_untouched():
    plan = FaultPlan()
    plan.add("POST", "/fapi/v1/algoOrder", FaultKind.ERROR, count=2, code=-2021)
    plan.add("GET", "/fapi/v1/ping", FaultKind.DELAY, delay_s=0.1)
    assert plan.take("GET", "/fapi/v1/order") is None
    first = plan.take("POST", "/fapi/v1/algoOrder")
    assert first is not None and (first.code, first.status) == (-2021, 400)
    assert first.msg == "Order would immediately trigger."
    assert plan.take("POST", "/fapi/v1/algoOrder") is not None
    assert plan.take("POST", "/fapi/v1/algoOrder") is None
    assert [f.path for f in plan.pending()] == ["/fapi/v1/ping"]


@pytest.mark.parametrize("kwargs", [dict(kind="error"), dict(kind="http", status=400),
                                    dict(count=0, code=-1), dict(kind="nope"),
                                    dict(code=-1, delay_s=-1.0)])
def test_fault_plan_when_bad_fault_then_value_error_and_nothing_added(kwargs):
    plan = FaultPlan()
    with pytest.raises(ValueError):
        plan.add("POST", "/fapi/v1/order", **kwargs)
    assert plan.pending() == []
