"""The stream feed over a real engine: which ledger changes become which Binance events."""

from __future__ import annotations

from decimal import Decimal

from bot.paper.model import OrderType, Side
from bot.paper.stream_feed import EventFeed
from tests.unit.paper.helpers import Venue


def _feed(v: Venue) -> list[dict]:
    feed = EventFeed(v.engine)
    events: list[dict] = []
    v.engine.ledger.subscribe(lambda entry: events.extend(feed.events(entry, v.clock.now_ms())))
    return events


def _kinds(events: list[dict]) -> list[tuple]:
    out = []
    for e in events:
        if e["e"] == "ORDER_TRADE_UPDATE":
            out.append((e["e"], e["o"]["x"], e["o"]["X"]))
        elif e["e"] == "ALGO_UPDATE":
            out.append((e["e"], e["o"]["X"]))
        else:
            out.append((e["e"],))
    return out


def test_feed_when_market_entry_fills_then_new_trade_and_account_update():
    v = Venue(ETHUSDT="3000")
    events = _feed(v)
    order = v.market_order("ETHUSDT", Side.BUY, "2", client_id="entry-1")
    assert _kinds(events) == [("ORDER_TRADE_UPDATE", "NEW", "NEW"),
                              ("ORDER_TRADE_UPDATE", "TRADE", "FILLED"), ("ACCOUNT_UPDATE",)]
    new, trade, account = events
    assert new["o"]["z"] == "0" and new["o"]["i"] == order.order_id  # as it was when placed
    assert (trade["o"]["c"], trade["o"]["l"], trade["o"]["L"], trade["o"]["n"]) == (
        "entry-1", "2", "3000", "2.40000000")
    assert trade["o"]["t"] == v.engine.trades.all()[-1].trade_id
    position = account["a"]["P"][0]
    assert (position["s"], position["pa"], position["ep"], position["bep"]) == (
        "ETHUSDT", "2", "3000", "3001.2")
    assert account["a"]["B"][0]["wb"] == "9997.60000000"


def test_feed_when_stop_placed_then_cancelled_then_algo_new_then_canceled():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1")
    events = _feed(v)
    algo = v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True,
                  client_id="sl-7")
    v.engine.cancel_algo(algo_id=algo.algo_id)
    assert _kinds(events) == [("ALGO_UPDATE", "NEW"), ("ALGO_UPDATE", "CANCELED")]
    assert {e["o"]["caid"] for e in events} == {"sl-7"}


def test_feed_when_stop_fires_then_algo_statuses_child_fill_and_account_in_order():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1")
    events = _feed(v)
    algo = v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True)
    v.move("ETHUSDT", "2890")
    assert _kinds(events) == [
        ("ALGO_UPDATE", "NEW"), ("ALGO_UPDATE", "TRIGGERED"),
        ("ORDER_TRADE_UPDATE", "NEW", "NEW"), ("ORDER_TRADE_UPDATE", "TRADE", "FILLED"),
        ("ACCOUNT_UPDATE",), ("ALGO_UPDATE", "FINISHED")]
    child = v.engine.algos[algo.algo_id].actual_order_id
    assert events[1]["o"]["ai"] == str(child) and events[2]["o"]["i"] == child
    assert events[3]["o"]["ot"] == "STOP_MARKET" and events[3]["o"]["rp"] == "-110.00000000"
    assert events[4]["a"]["P"][0]["pa"] == "0"
    assert (events[5]["o"]["ap"], events[5]["o"]["aq"]) == ("2890", "1")


def test_feed_when_margin_call_liquidates_then_calculated_fill_with_autoclose_id():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "60")  # 180 000 notional on 10 000: 5.7% down is ruin
    events = _feed(v)
    v.move("ETHUSDT", "2830")
    liquidation = [e for e in events if e["e"] == "ORDER_TRADE_UPDATE"]
    assert [(e["o"]["x"], e["o"]["X"]) for e in liquidation] == [
        ("NEW", "NEW"), ("CALCULATED", "FILLED")]
    assert all(e["o"]["c"].startswith("autoclose-") and e["o"]["o"] == "LIQUIDATION"
               for e in liquidation)
    after = events[events.index(liquidation[1]) + 1]
    assert after["e"] == "ACCOUNT_UPDATE" and after["a"]["P"][0]["pa"] == "0"


def test_feed_when_leverage_changes_then_no_event():
    v = Venue(ETHUSDT="3000")
    events = _feed(v)
    v.engine.set_leverage("ETHUSDT", 5)
    assert events == [] and Decimal(v.engine.account.leverage_of("ETHUSDT")) == 5


def test_feed_when_stop_cancelled_from_outside_then_algo_update_canceled():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1")
    algo = v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True)
    events = _feed(v)
    v.engine.silent_cancel(algo.algo_id)
    assert [(e["e"], e["o"]["X"], e["o"]["aid"]) for e in events] == [
        ("ALGO_UPDATE", "CANCELED", algo.algo_id)]
