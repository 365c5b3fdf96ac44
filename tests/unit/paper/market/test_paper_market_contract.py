"""Both markets expose exactly the ``MarketSource`` methods the engine and REST front call."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from bot.paper.market import Candle, MarketSimulator, MarketSource, ReplayMarket, Tick

METHODS = ["symbols", "advance_to", "last_price", "mark_price", "klines", "set_price"]


@pytest.mark.parametrize("impl", [MarketSimulator, ReplayMarket])
@pytest.mark.parametrize("name", METHODS)
def test_implementation_signature_matches_the_protocol(impl, name):
    want = inspect.signature(getattr(MarketSource, name))
    got = inspect.signature(getattr(impl, name))
    assert [(p.name, p.default) for p in got.parameters.values()] == [
        (p.name, p.default) for p in want.parameters.values()]


def test_constructor_parameters_match_the_agreed_contract():
    sim = inspect.signature(MarketSimulator).parameters
    assert [(n, p.default) for n, p in sim.items()][:5] == [
        ("symbols", None), ("seed", 7), ("start_ms", None), ("history_hours", 300),
        ("tick_ms", 1000)]
    assert all(p.kind is p.KEYWORD_ONLY for p in list(sim.values())[5:])
    replay = inspect.signature(ReplayMarket).parameters
    assert [(n, p.default) for n, p in replay.items()] == [
        ("directory", inspect.Parameter.empty), ("symbols", None), ("start_ms", None)]


def test_tick_and_candle_fields_in_the_agreed_order():
    assert [f.name for f in dataclasses.fields(Tick)] == ["symbol", "time_ms", "last", "mark"]
    assert [f.name for f in dataclasses.fields(Candle)][:8] == [
        "open_time", "open", "high", "low", "close", "volume", "close_time", "trades"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Tick("X", 0, 1, 1).last = 2  # type: ignore[misc, arg-type]
