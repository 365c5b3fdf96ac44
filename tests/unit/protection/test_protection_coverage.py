from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import (
    AlgoStatus,
    ConditionalOrder,
    Coverage,
    Direction,
    OrderType,
    Position,
    Side,
    WorkingType,
)
from bot.protection.coverage import assess, covered_without

D = Decimal
MARK = D("100")


def pos(direction: Direction, qty: str = "2") -> Position:
    return Position("ETHUSDT", direction, D(qty), MARK, MARK, D(0), 10)


def stop(side: Side, trigger: str | None, qty: str | None = None, *, type_=OrderType.STOP_MARKET,
         status=AlgoStatus.NEW, activate: str | None = None, algo_id: int = 1,
         symbol: str = "ETHUSDT") -> ConditionalOrder:
    return ConditionalOrder(
        algo_id=algo_id, client_algo_id=f"c{algo_id}", symbol=symbol, side=side, type=type_,
        status=status, trigger_price=D(trigger) if trigger else None,
        quantity=D(qty) if qty else None, close_position=qty is None,
        reduce_only=qty is not None, working_type=WorkingType.MARK_PRICE,
        activate_price=D(activate) if activate else None,
    )


def below(d: Direction) -> str:
    """A trigger on the losing side of the mark for this direction."""
    return "95" if d is Direction.LONG else "105"


def above(d: Direction) -> str:
    return "105" if d is Direction.LONG else "95"


@pytest.mark.parametrize("d", list(Direction))
def test_coverage_when_close_position_stop_on_losing_side_then_covered(d: Direction) -> None:
    report = assess(pos(d), [stop(d.closing_side, below(d))])
    assert report.coverage is Coverage.COVERED
    assert report.missing_qty == 0


@pytest.mark.parametrize("d", list(Direction))
def test_coverage_when_trigger_beyond_mark_then_naked(d: Direction) -> None:
    report = assess(pos(d), [stop(d.closing_side, above(d))])
    assert report.coverage is Coverage.NAKED
    assert len(report.ineffective) == 1


@pytest.mark.parametrize("d", list(Direction))
def test_coverage_when_stop_on_entry_side_then_naked(d: Direction) -> None:
    report = assess(pos(d), [stop(d.entry_side, below(d))])
    assert report.coverage is Coverage.NAKED


@pytest.mark.parametrize("d", list(Direction))
def test_coverage_when_reduce_only_half_then_partial(d: Direction) -> None:
    report = assess(pos(d, "2"), [stop(d.closing_side, below(d), "1")])
    assert report.coverage is Coverage.PARTIAL
    assert report.missing_qty == D("1")
    assert not report.covered


@pytest.mark.parametrize("d", list(Direction))
def test_coverage_when_two_reduce_only_halves_then_they_add_up(d: Direction) -> None:
    orders = [stop(d.closing_side, below(d), "1", algo_id=1),
              stop(d.closing_side, below(d), "1", algo_id=2)]
    report = assess(pos(d, "2"), orders)
    assert report.covered
    assert not covered_without(pos(d, "2"), orders, orders[0])


def test_coverage_when_only_take_profit_then_naked() -> None:
    tp = stop(Side.SELL, "110", "2", type_=OrderType.TAKE_PROFIT_MARKET)
    assert assess(pos(Direction.LONG), [tp]).coverage is Coverage.NAKED


@pytest.mark.parametrize("status", [AlgoStatus.CANCELED, AlgoStatus.FINISHED, AlgoStatus.EXPIRED])
def test_coverage_when_stop_not_open_then_naked(status: AlgoStatus) -> None:
    assert not assess(pos(Direction.LONG), [stop(Side.SELL, "95", status=status)]).covered


def test_coverage_when_trailing_without_activation_then_counts_with_activation_not() -> None:
    active = stop(Side.SELL, None, "2", type_=OrderType.TRAILING_STOP_MARKET)
    pending = stop(Side.SELL, None, "2", type_=OrderType.TRAILING_STOP_MARKET, activate="110")
    assert assess(pos(Direction.LONG), [active]).covered
    assert not assess(pos(Direction.LONG), [pending]).covered


def test_coverage_ignores_other_symbols() -> None:
    other = stop(Side.SELL, "95", symbol="BTCUSDT")
    assert not assess(pos(Direction.LONG), [other]).covered


def test_cancel_guard_when_second_stop_also_covers_then_removable() -> None:
    a = stop(Side.SELL, "95", algo_id=1)
    b = stop(Side.SELL, "96", "2", algo_id=2)
    assert covered_without(pos(Direction.LONG), [a, b], a)
    assert not covered_without(pos(Direction.LONG), [a], a)
