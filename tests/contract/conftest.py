"""The ``exchange`` fixture: one Venue per run of the contract suite (paper, then testnet)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

# The adapter first: it imports python-binance with its websockets deprecation silenced.
from tests.fixtures.exchange import (  # noqa: F401
    Fault,
    Venue,
    paper_adapter,
    paper_adapter_for,
    testnet_venue,
)
from tests.fixtures.paper import API_KEY, API_SECRET, eventually, paper_exchange  # noqa: F401

PAPER_SYMBOL = "ATOMUSDT"


def _paper_venue(exchange) -> Venue:
    control = exchange.control

    def inject(fault: Fault) -> None:
        if fault.timeout:
            control.inject_fault(fault.method, fault.path, kind="timeout", count=fault.count,
                                 delay_s=fault.delay_s, reached_engine=fault.lost_after_engine)
        elif fault.lost_after_engine:
            control.inject_fault(fault.method, fault.path, kind="http", count=fault.count,
                                 status=503, reached_engine=True)
        else:
            control.inject_fault(fault.method, fault.path, kind="error", count=fault.count,
                                 code=fault.code, msg=fault.message or None,
                                 status=fault.http_status)

    def set_price(symbol: str, price: Decimal) -> None:
        control.set_price(symbol, price)

    def reconnect(timeout_s: float):
        return paper_adapter_for(exchange.futures_url, API_KEY, API_SECRET, timeout_s)

    return Venue("paper", reconnect(5.0), PAPER_SYMBOL, set_price=set_price, inject=inject,
                 ledger=control.ledger, reconnect=reconnect, run_key="c0ffee0000")


@pytest.fixture(params=["paper", pytest.param("testnet", marks=pytest.mark.testnet)])
def exchange(request: pytest.FixtureRequest) -> Iterator[Venue]:
    if request.param == "paper":
        yield _paper_venue(request.getfixturevalue("paper_exchange"))
        return
    venue = testnet_venue()
    venue.flatten()
    try:
        yield venue
    finally:
        venue.flatten()
