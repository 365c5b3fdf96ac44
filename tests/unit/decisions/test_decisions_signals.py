from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.decisions.signals import SignalRejected, validate_signal
from bot.domain import Direction
from tests.unit.decisions.builders import T0

KNOWN = {"ATOMUSDT", "BTCUSDT"}
GOOD = {"symbol": "ATOMUSDT", "side": "SELL", "confidence": 0.9, "stop": 2.61, "target": 2.31,
        "source": "tradingview"}


def _problems(payload, **kwargs):
    with pytest.raises(SignalRejected) as info:
        validate_signal(payload, KNOWN, T0, **kwargs)
    return info.value.problems


def test_a_tradingview_alert_becomes_a_signal():
    signal = validate_signal(GOOD, KNOWN, T0)
    assert signal.direction is Direction.SHORT
    assert signal.stop_price == Decimal("2.61") and signal.target_price == Decimal("2.31")
    assert (signal.symbol, signal.confidence, signal.source, signal.created_at) == (
        "ATOMUSDT", 0.9, "tradingview", T0)


@pytest.mark.parametrize(("side", "direction"), [
    ("BUY", Direction.LONG), ("long", Direction.LONG), ("SELL", Direction.SHORT),
    ("Short", Direction.SHORT),
])
def test_side_accepts_binance_and_position_words(side, direction):
    payload = {"symbol": "atomusdt", "side": side, "confidence": "0.5"}
    signal = validate_signal(payload, KNOWN, T0)
    assert signal.direction is direction and signal.symbol == "ATOMUSDT"
    assert signal.source == "webhook" and signal.stop_price is None


@pytest.mark.parametrize("symbol", ["ATOMUSDT.P", "BINANCE:ATOMUSDT.P", "binance:atomusdt",
                                    " ATOMUSDT.p "])
def test_tradingview_tickers_name_the_binance_symbol(symbol):
    assert validate_signal({**GOOD, "symbol": symbol}, KNOWN, T0).symbol == "ATOMUSDT"


@pytest.mark.parametrize("symbol", ["ATOMUSDT.PP", "ATOM.PUSDT", "BINANCE:", "ATOMUSDT:",
                                    "X" * 41])
def test_other_suffixes_and_empty_names_are_not_guessed(symbol):
    assert _problems({**GOOD, "symbol": symbol})[0].startswith("symbol:")


@pytest.mark.parametrize("confidence", [0, 1, 0.0, 1.0])
def test_confidence_bounds_are_inclusive(confidence):
    assert validate_signal({**GOOD, "confidence": confidence}, KNOWN, T0).confidence == confidence


@pytest.mark.parametrize(("change", "field"), [
    ({"symbol": "DOGEUSDT"}, "symbol"),
    ({"side": "HOLD"}, "side"),
    ({"confidence": 1.01}, "confidence"),
    ({"confidence": -0.01}, "confidence"),
    ({"confidence": "high"}, "confidence"),
    ({"confidence": True}, "confidence"),
    ({"confidence": float("nan")}, "confidence"),
    ({"stop": "abc"}, "stop"),
    ({"stop": -1}, "stop"),
    ({"target": "Infinity"}, "target"),
    ({"price": [1]}, "price"),
    ({"leverage": 100}, "leverage"),
])
def test_each_bad_field_is_named(change, field):
    problems = _problems({**GOOD, **change})
    assert len(problems) == 1 and problems[0].startswith(f"{field}:"), problems


def test_missing_fields_and_extras_are_all_listed_at_once():
    problems = _problems({"side": "BUY", "qty": 3})
    assert sorted(p.split(":")[0] for p in problems) == ["confidence", "qty", "symbol"]


@pytest.mark.parametrize("payload", [[GOOD], "ATOMUSDT SELL", None])
def test_a_body_that_is_not_an_object_is_rejected(payload):
    assert _problems(payload) == ["body must be a JSON object"]


def test_stop_on_the_wrong_side_of_the_given_price():
    problems = _problems({**GOOD, "price": 2.70})  # a SHORT's stop 2.61 must be above 2.70
    assert problems == ["stop: 2.61 must be above the price 2.7 for a SHORT"]


def test_target_on_the_wrong_side_of_the_stop_without_a_price():
    problems = _problems({**GOOD, "side": "BUY", "confidence": 0.5})
    assert problems == ["target: 2.31 is on the wrong side of stop 2.61 for a LONG"]


@pytest.mark.parametrize(("mark", "wrong"), [("2.70", "stop"), ("2.20", "target")])
def test_mark_provider_is_the_reference_when_no_price_is_given(mark, wrong):
    seen = []

    def mark_price(symbol):
        seen.append(symbol)
        return Decimal(mark)

    problems = _problems(GOOD, mark_price=mark_price)
    assert seen == ["ATOMUSDT"]
    assert [p.split(":")[0] for p in problems] == [wrong]
    fine = validate_signal(GOOD, KNOWN, T0, mark_price=lambda s: Decimal("2.50"))
    assert fine.symbol == "ATOMUSDT"


def test_an_unavailable_mark_skips_the_side_check_instead_of_failing():
    def broken(symbol):
        raise ConnectionError("exchange down")

    assert validate_signal(GOOD, KNOWN, T0, mark_price=broken).symbol == "ATOMUSDT"


def test_signal_rejected_message_joins_problems():
    error = SignalRejected(["a: x", "b: y"])
    assert str(error) == "a: x; b: y" and error.problems == ["a: x", "b: y"]


_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.text(max_size=12), st.lists(st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["symbol", "side", "confidence", "stop", "target",
                                        "price", "source", "extra"]), _values))
def test_any_body_gives_a_signal_or_listed_problems_never_a_crash(payload):
    try:
        signal = validate_signal(payload, KNOWN, T0)
    except SignalRejected as exc:
        assert exc.problems and all(isinstance(p, str) and ":" in p for p in exc.problems)
    else:
        assert signal.symbol in KNOWN and 0 <= signal.confidence <= 1


# --- the minimum stop distance -------------------------------------------------------

ETH = {"symbol": "BTCUSDT", "confidence": 0.9}
MIN = Decimal("0.1")


@pytest.mark.parametrize(("side", "stop"), [("BUY", 2999.98), ("SELL", 3000.02)])
def test_validate_when_stop_closer_than_minimum_to_mark_then_rejected_with_distance(side, stop):
    problems = _problems({**ETH, "side": side, "stop": stop},
                         mark_price=lambda s: Decimal("3000"), min_stop_distance_pct=MIN)
    assert problems == [f"stop: {stop} is only 0.02 (0.0007 %) from the price 3000; "
                        "it must be at least 0.1 % (3) away"]


@pytest.mark.parametrize(("side", "stop"), [("BUY", 2997), ("SELL", 3003), ("BUY", 2900)])
def test_validate_when_stop_at_or_beyond_minimum_distance_then_accepted(side, stop):
    signal = validate_signal({**ETH, "side": side, "stop": stop}, KNOWN, T0,
                             mark_price=lambda s: Decimal("3000"), min_stop_distance_pct=MIN)
    assert signal.stop_price == Decimal(str(stop))


def test_validate_when_body_price_given_then_distance_measured_from_it():
    problems = _problems({**ETH, "side": "BUY", "stop": 99.95, "price": 100},
                         mark_price=lambda s: Decimal("200"), min_stop_distance_pct=MIN)
    assert len(problems) == 1 and "from the price 100;" in problems[0]


def test_validate_when_minimum_is_zero_then_any_distance_on_the_right_side_accepted():
    signal = validate_signal({**ETH, "side": "BUY", "stop": 2999.99}, KNOWN, T0,
                             mark_price=lambda s: Decimal("3000"))
    assert signal.stop_price == Decimal("2999.99")


def test_validate_when_no_price_is_known_then_distance_left_to_the_pipeline():
    def broken(symbol):
        raise ConnectionError("exchange down")

    signal = validate_signal({**ETH, "side": "BUY", "stop": 2999.99}, KNOWN, T0,
                             mark_price=broken, min_stop_distance_pct=MIN)
    assert signal.stop_price == Decimal("2999.99")


def test_validate_when_stop_on_wrong_side_then_only_the_side_is_reported():
    problems = _problems({**ETH, "side": "BUY", "stop": 3000.01},
                         mark_price=lambda s: Decimal("3000"), min_stop_distance_pct=MIN)
    assert problems == ["stop: 3000.01 must be below the price 3000 for a LONG"]
