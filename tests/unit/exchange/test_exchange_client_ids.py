"""Deterministic client ids: a retry or restart re-sends the same id, never a new one."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Purpose, client_ids

BINANCE_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
symbols = st.sampled_from(["BTCUSDT", "ETHUSDT", "1000PEPEUSDT", "ATOMUSDT", "ICXUSDT"])


@given(symbols, st.integers(0, 2**41), st.sampled_from(list(Purpose)), st.integers(0, 999))
def test_same_position_and_purpose_give_the_same_valid_id(symbol, opened_ms, purpose, seq):
    key = client_ids.position_key(symbol, opened_ms)
    first = client_ids.make(purpose, symbol, key, seq)
    assert first == client_ids.make(purpose, symbol, client_ids.position_key(symbol, opened_ms),
                                    seq)
    assert BINANCE_ID.match(first)
    parsed = client_ids.parse(first)
    assert parsed is not None and (parsed.purpose, parsed.key, parsed.seq) == (purpose, key, seq)


def test_different_positions_purposes_and_sequences_differ():
    key_a = client_ids.position_key("ATOMUSDT", 1_767_225_600_000)
    key_b = client_ids.position_key("ATOMUSDT", 1_767_225_600_001)
    ids = {
        client_ids.make(Purpose.STOP, "ATOMUSDT", key_a),
        client_ids.make(Purpose.STOP, "ATOMUSDT", key_b),
        client_ids.make(Purpose.TAKE_PROFIT, "ATOMUSDT", key_a),
        client_ids.make(Purpose.STOP, "ATOMUSDT", key_a, 1),
    }
    assert len(ids) == 4


@pytest.mark.parametrize("foreign", ["web_123", "x-sl-ATOM-k-0", "qs-zz-ATOM-k-0", "qs-sl-A-k-x"])
def test_ids_the_bot_did_not_make_parse_to_none(foreign):
    assert client_ids.parse(foreign) is None
