"""Request lanes: handed over in arrival order, and orders never wait behind a read; the
venue's published rate limits."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import requests

from bot.domain import Side
from bot.exchange.binance_adapter import BinanceAdapter
from bot.exchange.budget import (
    BINANCE_LIMITS,
    BudgetLimits,
    RateLimits,
    RequestBudgetTracker,
    published_limits,
)
from bot.exchange.transport import FifoLock
from tests.fixtures.paper import eventually
from tests.unit.exchange import samples
from tests.unit.exchange.fakes import FakeClient

SL_ID = "qs-sl-ATOM-0123456789-0"


# --- the lane lock ---------------------------------------------------------------------------

def test_fifo_lock_when_holder_asks_again_while_another_waits_then_the_waiter_goes_first():
    lock = FifoLock()
    order: list[str] = []
    lock.acquire()

    def waiter() -> None:
        with lock:
            order.append("waiter")

    thread = threading.Thread(target=waiter)
    thread.start()
    eventually(lambda: len(lock._waiters) == 1)
    lock.release()
    with lock:  # the releasing thread asks again at once: an RLock would usually give it back
        order.append("holder again")
    thread.join(timeout=5)
    assert order == ["waiter", "holder again"]


def test_fifo_lock_when_taken_twice_by_one_thread_then_released_after_the_second_release():
    lock = FifoLock()
    with lock, lock:
        pass
    taken = threading.Event()
    thread = threading.Thread(target=lambda: (lock.acquire(), taken.set(), lock.release()))
    thread.start()
    thread.join(timeout=5)
    assert taken.is_set()


def test_fifo_lock_when_released_by_a_thread_that_does_not_hold_it_then_refused():
    lock = FifoLock()
    with pytest.raises(RuntimeError):
        lock.release()


# --- lanes -------------------------------------------------------------------------------------

def test_stop_when_a_read_is_held_on_the_reads_lane_then_placed_and_resolved_on_the_orders_lane():
    reads, orders = FakeClient(), FakeClient()
    adapter = BinanceAdapter(reads, order_client=orders)  # type: ignore[arg-type]
    adapter.filters("ATOMUSDT")
    inside, release = threading.Event(), threading.Event()

    def slow_positions(_params):
        inside.set()
        release.wait(5)
        return samples.POSITION_RISK_V3

    reads.script("futures_position_information", slow_positions)
    reader = threading.Thread(target=adapter.positions)
    reader.start()
    try:
        assert inside.wait(5)
        orders.script("futures_create_algo_order", requests.ReadTimeout("lost"))
        orders.script("futures_get_algo_order", dict(samples.ALGO_ORDER_STOP))
        stop = adapter.place_stop("ATOMUSDT", Side.BUY, Decimal("2.638"), SL_ID)
        assert stop.algo_id == samples.ALGO_ORDER_STOP["algoId"]
        assert reader.is_alive()  # the read is still held while the stop was resolved
        assert [c.method for c in orders.calls] == ["futures_create_algo_order",
                                                    "futures_get_algo_order"]
        assert reads.named("futures_get_algo_order") == []
    finally:
        release.set()
        reader.join(timeout=5)


# --- the venue's limits ------------------------------------------------------------------------

BINANCE_RATE_LIMITS = {"rateLimits": [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
]}


def test_published_limits_when_binance_answer_then_its_three_figures():
    assert published_limits(BINANCE_RATE_LIMITS) == BINANCE_LIMITS


@pytest.mark.parametrize("answer", [
    {},
    {"rateLimits": "none"},
    {"rateLimits": [None, {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                           "intervalNum": 1, "limit": 0}]},
    {"rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 2,
                     "limit": 4800}]},
    {"rateLimits": [{"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1,
                     "limit": 10}]},
    [],
])
def test_published_limits_when_absent_unreadable_or_another_window_then_unknown(answer):
    assert published_limits(answer) == RateLimits()


def test_tracker_when_venue_publishes_then_its_figures_except_the_operators():
    venue = RateLimits(weight_per_min=300, orders_per_10s=50)
    free = RequestBudgetTracker(BudgetLimits(reserve_share=0.8))
    assert free.adopt(venue) == RateLimits(300, 50, 1200)
    pinned = RequestBudgetTracker(BudgetLimits(weight_per_min=1000, reserve_share=0.8))
    assert pinned.adopt(venue) == RateLimits(1000, 50, 1200)
    assert pinned.view().weight_limit == 1000 and pinned.view().order_limit_10s == 50
    assert free.adopt(RateLimits()) == RateLimits(300, 50, 1200)  # nothing new: kept


@pytest.mark.parametrize("kwargs", [{"weight_per_min": 0}, {"orders_per_10s": -1}])
def test_limits_when_below_one_then_refused(kwargs):
    with pytest.raises(ValueError, match="rate limits must be >= 1"):
        BudgetLimits(**kwargs)
    with pytest.raises(ValueError, match="rate limits must be >= 1"):
        RateLimits(**kwargs)
