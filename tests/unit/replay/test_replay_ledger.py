"""The ledger hash and what the report reads from the venue's ledger."""

from __future__ import annotations

from decimal import Decimal

from bot.paper.model import LedgerEntry
from bot.replay.ledger_facts import naked_spells, stop_fills
from bot.replay.ledger_hash import ledger_hash


def _e(i, t, action, book, **kw) -> LedgerEntry:
    return LedgerEntry(id=i, time_ms=t, action=action, actor=kw.pop("actor", "client"),
                       book=book, symbol=kw.pop("symbol", "ETHUSDT"), wall_ms=kw.pop("wall", 0),
                       **kw)


def _fill(i, t, side, qty, price="3000", cid="qs-en-ETH-k1-0"):
    return _e(i, t, "FILLED", "order", side=side, type="MARKET", quantity=qty, price=price,
              client_id=cid, details={"lastQty": qty})


def _stop(i, t, action, algo_id=7, side="SELL", trigger="2950", last=None):
    return _e(i, t, action, "algo", algo_id=algo_id, side=side, type="STOP_MARKET",
              quantity="0", price=trigger, client_id="qs-sl-ETH-k1-0",
              details={"last": last} if last else {})


def test_ledger_hash_when_only_wall_times_differ_then_it_is_the_same():
    a = [_fill(1, 1000, "BUY", "1", ), _stop(2, 1000, "PLACED")]
    b = [_e(1, 1000, "FILLED", "order", side="BUY", type="MARKET", quantity="1", price="3000",
            client_id="qs-en-ETH-k1-0", details={"lastQty": "1"}, wall=999_999),
         _e(2, 1000, "PLACED", "algo", algo_id=7, side="SELL", type="STOP_MARKET", quantity="0",
            price="2950", client_id="qs-sl-ETH-k1-0", details={}, wall=123)]
    assert ledger_hash(a) == ledger_hash(b)


def test_ledger_hash_when_a_price_or_a_time_differs_then_it_changes():
    base = ledger_hash([_fill(1, 1000, "BUY", "1")])
    assert ledger_hash([_fill(1, 1000, "BUY", "1", price="3000.01")]) != base
    assert ledger_hash([_fill(1, 1001, "BUY", "1")]) != base
    assert ledger_hash([]) != base


def test_naked_when_the_stop_follows_the_fill_at_once_then_no_spell_only_a_round_trip():
    spells, instant = naked_spells([_fill(1, 1000, "BUY", "1"), _stop(2, 1000, "PLACED")], 9000)
    assert spells == [] and instant == 1


def test_naked_when_the_stop_comes_late_or_is_cancelled_then_the_spells_are_timed():
    ledger = [_fill(1, 1000, "BUY", "1"), _stop(2, 4000, "PLACED"),
              _stop(3, 10_000, "CANCELED"), _stop(4, 12_500, "PLACED", algo_id=8),
              _stop(5, 20_000, "TRIGGERED", algo_id=8), _fill(6, 20_000, "SELL", "1")]
    spells, instant = naked_spells(ledger, 30_000)
    assert [(s.start_ms, s.seconds) for s in spells] == [(1000, 3.0), (10_000, 2.5)]
    assert instant == 1  # the trigger and its fill: one instant


def test_naked_when_only_a_stop_on_the_wrong_side_rests_then_the_position_is_naked():
    spells, _ = naked_spells([_fill(1, 0, "BUY", "1"), _stop(2, 0, "PLACED", side="BUY")], 5000)
    assert [s.seconds for s in spells] == [5.0]


def test_stop_fills_when_a_gap_fires_a_stop_then_gap_and_slippage_are_split():
    [fill] = stop_fills([_stop(1, 0, "TRIGGERED", last="2900.00"),
                         _fill(2, 0, "SELL", "1", price="2899.50", cid="qs-sl-ETH-k1-0")])
    assert fill.trigger == Decimal("2950") and fill.price_at_trigger == Decimal("2900.00")
    assert fill.gap == Decimal("50.00") and fill.slippage == Decimal("0.50")
