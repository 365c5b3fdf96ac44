"""recvWindow stays below the request timeout, so a request given up as lost cannot be
executed later than the adapter's look-up of its client id."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.exchange.transport import RECV_WINDOW_MS
from tests.fixtures.paper import API_KEY, API_SECRET, paper_exchange  # noqa: F401


@pytest.mark.parametrize(("timeout_s", "window"), [(10.0, 5000), (30.0, 5000), (5.0, 2500),
                                                   (1.0, 500)])
def test_make_client_when_timeout_given_then_recv_window_below_it(timeout_s, window):
    client = make_client("K", "S", futures_url="http://127.0.0.1:1/fapi", timeout_s=timeout_s)
    assert client.REQUEST_RECVWINDOW == window < timeout_s * 1000
    assert client._requests_params == {"timeout": timeout_s}


@pytest.mark.parametrize("window", [10000, 12000, 0, 70000])
def test_make_client_when_recv_window_not_below_timeout_then_refused(window):
    with pytest.raises(ValueError, match="recv_window_ms"):
        make_client("K", "S", timeout_s=10.0, recv_window_ms=window)


def test_signed_request_when_sent_then_carries_the_lowered_recv_window(paper_exchange):  # noqa: F811
    client = make_client(API_KEY, API_SECRET, futures_url=paper_exchange.futures_url)
    adapter = BinanceAdapter(client)
    try:
        adapter.positions()
        sent = parse_qs(urlsplit(client.response.request.url).query)
        assert sent["recvWindow"] == [str(RECV_WINDOW_MS)] and RECV_WINDOW_MS == 5000
    finally:
        client.close_connection()
