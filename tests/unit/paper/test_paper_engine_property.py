"""Properties over random price paths: stops never fill better than their trigger,
closePosition leaves nothing behind, and the wallet reconciles with fees and PnL."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.paper.model import AlgoStatus, OrderType, Side, WorkingType
from tests.unit.paper.helpers import Venue

STEPS = st.lists(st.integers(min_value=-400, max_value=400), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(entry=st.sampled_from([Side.BUY, Side.SELL]),
       qty=st.sampled_from(["0.050", "0.500", "1.000", "2.000"]),
       distance=st.integers(min_value=1, max_value=300),
       steps=STEPS,
       slippage_bps=st.sampled_from(["0", "2", "5", "20"]),
       working=st.sampled_from([WorkingType.CONTRACT_PRICE, WorkingType.MARK_PRICE]),
       add_later=st.booleans())
def test_close_position_stop_over_random_path(entry, qty, distance, steps, slippage_bps,
                                              working, add_later):
    v = Venue(slippage_bps=slippage_bps, ETHUSDT="3000")
    v.market_order("ETHUSDT", entry, qty)
    closing = Side.SELL if entry is Side.BUY else Side.BUY
    trigger = D(3000 - distance) if entry is Side.BUY else D(3000 + distance)
    stop = v.algo("ETHUSDT", closing, OrderType.STOP_MARKET, trigger=str(trigger), close=True,
                  working=working)
    start = v.clock.now_ms()
    price = D("3000")
    path = []
    for i, step in enumerate(steps):
        price = max(D("100"), price + D(step))
        path.append((start + (i + 1) * 1000, price, None))
    v.market.script("ETHUSDT", path)
    for i in range(len(steps)):
        v.clock.advance(1000)
        v.engine.sync()
        if add_later and i == 0 and v.engine.get_algo(stop.algo_id).status.is_open:
            v.market_order("ETHUSDT", entry, "0.050")

    done = v.engine.get_algo(stop.algo_id)
    crossed = any((p <= trigger) if closing is Side.SELL else (p >= trigger)
                  for _, p, _ in path)
    if crossed:
        assert done.status is AlgoStatus.FINISHED
        fill = done.actual_price
        assert fill is not None
        assert fill <= trigger if closing is Side.SELL else fill >= trigger
        assert v.amount("ETHUSDT") == 0
    else:
        assert done.status is AlgoStatus.NEW
        assert v.amount("ETHUSDT") != 0

    account = v.engine.account
    assert account.insurance_cover == 0
    assert account.wallet == D("10000") + account.realized - account.fees_paid
    fills = [e for e in v.engine.ledger.since(0) if e.action == "FILLED"]
    assert sum(D(e.details["fee"]) for e in fills) == account.fees_paid
    assert sum(D(e.details["realizedPnl"]) for e in fills) == account.realized


@settings(max_examples=80, deadline=None)
@given(steps=STEPS, rate=st.sampled_from(["0.5", "1", "3"]))
def test_trailing_stop_never_fills_better_than_its_level(steps, rate):
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1.000")
    algo = v.algo("ETHUSDT", Side.SELL, OrderType.TRAILING_STOP_MARKET, qty="1.000",
                  reduce_only=True, callback=rate)
    price, high = D("3000"), D("3000")
    for step in steps:
        price = max(D("100"), price + D(step))
        v.move("ETHUSDT", str(price))
        done = v.engine.get_algo(algo.algo_id)
        if done.status is AlgoStatus.FINISHED:
            level = high * (1 - D(rate) / 100)
            assert price <= level and done.actual_price == price
            assert v.amount("ETHUSDT") == 0
            return
        high = max(high, price)
    assert v.amount("ETHUSDT") == D("1.000")
