"""A delayed answer parks one HTTP worker, not the venue: the engine and the other
connections carry on (the stop-after-fill bench injects a 500 ms positionRisk)."""

from __future__ import annotations

import threading
import time

from tests.fixtures.paper import eventually, make_client

DELAY_S = 1.5


def test_delay_when_a_read_is_parked_then_engine_free_and_orders_answered_at_once(
    static_paper_exchange,
):
    venue = static_paper_exchange
    reader, trader = make_client(venue), make_client(venue)
    venue.control.inject_fault("GET", "/fapi/v3/positionRisk", kind="delay", delay_s=DELAY_S)
    answered = threading.Event()
    thread = threading.Thread(
        target=lambda: (reader.futures_position_information(), answered.set()))
    thread.start()
    try:
        eventually(lambda: not venue.faults.pending())  # the venue holds the read
        assert venue.engine.lock.acquire(timeout=0.2)
        venue.engine.lock.release()
        started = time.monotonic()
        trader.futures_create_algo_order(symbol="SOLUSDT", side="SELL", type="STOP_MARKET",
                                         triggerPrice="1", closePosition="true")
        assert trader.futures_get_open_algo_orders(symbol="SOLUSDT")
        assert time.monotonic() - started < DELAY_S / 3
        assert not answered.is_set()
    finally:
        thread.join(timeout=DELAY_S + 5)
    assert answered.is_set()
