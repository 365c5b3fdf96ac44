"""Client ids for any symbol Binance lists, ASCII or not: valid, stable, distinct, parseable."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Purpose, client_ids

BINANCE_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
ODD_SYMBOLS = ["币安人生USDT", "我踏马来了USDT", "ÅÄÖUSDT", "BTC-USDT", "btcusdt",
               "1000000000000000MOGUSDT", "ＢＴＣUSDT"]
KEY = client_ids.position_key("X", 1)


@pytest.mark.parametrize("symbol", ODD_SYMBOLS)
def test_make_when_symbol_not_plain_ascii_then_valid_id_with_a_hashed_tag(symbol):
    cid = client_ids.make(Purpose.STOP, symbol, KEY, 9999)
    assert BINANCE_ID.match(cid), cid
    assert re.fullmatch(r"qs-sl-x[0-9a-f]{8}-[0-9a-f]{10}-9999", cid)
    assert cid == client_ids.make(Purpose.STOP, symbol, KEY, 9999)  # stable
    parsed = client_ids.parse(cid)
    assert parsed is not None and (parsed.purpose, parsed.key, parsed.seq) == (
        Purpose.STOP, KEY, 9999)
    assert str(parsed) == cid


def test_make_when_odd_symbols_differ_then_ids_differ():
    ids = {client_ids.make(Purpose.STOP, s, KEY) for s in ODD_SYMBOLS}
    assert len(ids) == len(ODD_SYMBOLS)


@pytest.mark.parametrize(("symbol", "expected"), [
    ("ATOMUSDT", "qs-sl-ATOM-"), ("1000PEPEUSDT", "qs-sl-1000PEPE-"),
    ("BTCUSDT_250627", "qs-sl-BTCUSDT_250627-"), ("BTCUSDC", "qs-sl-BTCUSDC-"),
])
def test_make_when_symbol_plain_then_id_unchanged_from_before(symbol, expected):
    assert client_ids.make(Purpose.STOP, symbol, KEY).startswith(expected)


@given(st.text(min_size=1, max_size=40), st.sampled_from(list(Purpose)), st.integers(0, 9999))
def test_make_when_any_text_symbol_then_never_raises_and_matches_binance(symbol, purpose, seq):
    key = client_ids.position_key(symbol, 1_767_225_600_000)
    cid = client_ids.make(purpose, symbol, key, seq)
    assert BINANCE_ID.match(cid)
    parsed = client_ids.parse(cid)
    assert parsed is not None and (parsed.purpose, parsed.key, parsed.seq) == (purpose, key, seq)
