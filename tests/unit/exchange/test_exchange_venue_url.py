"""The adapter names the host its requests really go to, and never a key."""

from __future__ import annotations

import pytest

from bot.exchange.binance_adapter import BinanceAdapter, make_client

KEY, SECRET = "AKEY-visible-nowhere-123", "SECRET-visible-nowhere-456"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/fapi",
                                 "https://demo-fapi.binance.com/fapi"])
def test_repr_when_futures_url_given_then_that_url_and_no_key(url):
    adapter = BinanceAdapter(make_client(KEY, SECRET, futures_url=url))
    assert adapter.base_url == url
    assert repr(adapter) == f"BinanceAdapter(url={url!r})"
    assert KEY not in repr(adapter) and SECRET not in repr(adapter)


def test_base_url_when_python_binance_testnet_flag_then_its_testnet_host():
    client = make_client(KEY, SECRET, testnet=True)
    adapter = BinanceAdapter(client)
    assert adapter.base_url == client.FUTURES_TESTNET_URL != client.FUTURES_URL
    assert "testnet" in repr(adapter)
