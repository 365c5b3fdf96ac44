"""The position-mode read: hedge mode must be seen, and an unreadable answer never reads as
one-way."""

from __future__ import annotations

import pytest

from bot.domain import errors
from bot.exchange.binance_adapter import BinanceAdapter
from tests.unit.exchange.fakes import FakeClient, api_error


@pytest.fixture()
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture()
def adapter(client: FakeClient) -> BinanceAdapter:
    return BinanceAdapter(client)  # type: ignore[arg-type]


@pytest.mark.parametrize(("answer", "dual"), [
    ({"dualSidePosition": True}, True), ({"dualSidePosition": False}, False),
    ({"dualSidePosition": "true"}, True), ({"dualSidePosition": "false"}, False),
])
def test_dual_side_position_when_answered_then_read(adapter, client, answer, dual):
    client.script("futures_get_position_mode", answer)
    assert adapter.dual_side_position() is dual
    assert len(client.named("futures_get_position_mode")) == 1
    stats = adapter.weight_snapshot().by_endpoint["GET /fapi/v1/positionSide/dual"]
    assert stats.documented_weight == 30


@pytest.mark.parametrize("answer", [{}, {"dualSidePosition": None}, {"dualSidePosition": "1"}])
def test_dual_side_position_when_answer_unreadable_then_unknown_status(adapter, client, answer):
    client.script("futures_get_position_mode", answer)
    with pytest.raises(errors.UnknownStatusError):
        adapter.dual_side_position()


def test_dual_side_position_when_venue_refuses_then_exchange_error(adapter, client):
    client.script("futures_get_position_mode", api_error(-1000, "Unknown endpoint", 404))
    with pytest.raises(errors.ExchangeError):
        adapter.dual_side_position()
