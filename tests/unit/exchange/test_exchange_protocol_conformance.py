"""BinanceAdapter offers every member of the Exchange Protocol with the same signature."""

from __future__ import annotations

import inspect

import pytest

from bot.exchange.binance_adapter import BinanceAdapter
from bot.protection.ports import Exchange

MEMBERS = sorted(
    name for name, value in vars(Exchange).items()
    if not name.startswith("_") and (callable(value) or isinstance(value, property))
)


def test_protocol_has_members_to_check():
    assert {"positions", "place_stop", "used_weight", "request_count"} <= set(MEMBERS)


@pytest.mark.parametrize("name", MEMBERS)
def test_adapter_member_matches_protocol(name):
    wanted = inspect.getattr_static(Exchange, name)
    offered = inspect.getattr_static(BinanceAdapter, name, None)
    assert offered is not None, f"BinanceAdapter lacks {name}"
    if isinstance(wanted, property):
        assert isinstance(offered, property)
        return
    want = inspect.signature(wanted)
    got = inspect.signature(offered)
    assert list(got.parameters) == list(want.parameters)
    for param in want.parameters.values():
        assert got.parameters[param.name].default == param.default, param.name
