"""Request-weight bookkeeping from Binance's response headers.

The monitor promises O(1) requests per cycle and the bot must stay under
2400 weight/min per IP, so every request is counted per endpoint and the
exchange's own ``X-MBX-USED-WEIGHT-1M`` / order-count headers are kept. The
documented weights are here too, so a cycle's cost can be predicted without
sending anything.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
ORDER_COUNT_10S_HEADER = "X-MBX-ORDER-COUNT-10S"
ORDER_COUNT_1M_HEADER = "X-MBX-ORDER-COUNT-1M"

# (endpoint, with_symbol) -> documented IP weight; order placement costs order counts, not weight.
DOCUMENTED_WEIGHTS: dict[tuple[str, bool], int] = {
    ("GET /fapi/v1/openOrders", True): 1,
    ("GET /fapi/v1/openOrders", False): 40,
    ("GET /fapi/v1/openAlgoOrders", True): 1,
    ("GET /fapi/v1/openAlgoOrders", False): 40,
    ("GET /fapi/v3/positionRisk", False): 5,
    ("GET /fapi/v2/account", False): 5,
    ("GET /fapi/v1/exchangeInfo", False): 1,
    ("GET /fapi/v1/premiumIndex", True): 1,
    ("GET /fapi/v1/premiumIndex", False): 10,
    ("GET /fapi/v1/time", False): 1,
    ("GET /fapi/v1/order", True): 1,
    ("GET /fapi/v1/algoOrder", True): 1,
    ("POST /fapi/v1/order", True): 0,
    ("POST /fapi/v1/algoOrder", True): 0,
    ("DELETE /fapi/v1/order", True): 1,
    ("DELETE /fapi/v1/algoOrder", True): 1,
    ("POST /fapi/v1/leverage", True): 1,
    ("GET /fapi/v1/userTrades", True): 5,
    ("GET /fapi/v1/positionSide/dual", False): 30,
}


def documented_weight(endpoint: str, with_symbol: bool, klines_limit: int | None = None) -> int:
    """Binance's published weight; klines depend on the limit."""
    if endpoint == "GET /fapi/v1/klines":
        limit = klines_limit or 500
        return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10
    return DOCUMENTED_WEIGHTS.get((endpoint, with_symbol), 1)


@dataclass(frozen=True)
class EndpointStats:
    requests: int
    documented_weight: int


@dataclass(frozen=True)
class WeightSnapshot:
    """What the exchange told us on its last answer, and what we sent since creation."""

    used_weight_1m: int
    order_count_10s: int
    order_count_1m: int
    request_count: int
    by_endpoint: dict[str, EndpointStats]


class WeightTracker:
    """Thread-safe counters; ``record`` is called once per request sent, answered or not."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used_weight = 0
        self._orders_10s = 0
        self._orders_1m = 0
        self._requests = 0
        self._mine = threading.local()
        self._by_endpoint: dict[str, tuple[int, int]] = {}

    def record(
        self, endpoint: str, headers: Mapping[str, str] | None, documented: int
    ) -> None:
        self._mine.count = getattr(self._mine, "count", 0) + 1
        with self._lock:
            self._requests += 1
            count, weight = self._by_endpoint.get(endpoint, (0, 0))
            self._by_endpoint[endpoint] = (count + 1, weight + documented)
            if headers is None:
                return
            self._used_weight = _int_header(headers, WEIGHT_HEADER, self._used_weight)
            self._orders_10s = _int_header(headers, ORDER_COUNT_10S_HEADER, self._orders_10s)
            self._orders_1m = _int_header(headers, ORDER_COUNT_1M_HEADER, self._orders_1m)

    @property
    def used_weight(self) -> int:
        with self._lock:
            return self._used_weight

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._requests

    @property
    def thread_request_count(self) -> int:
        return getattr(self._mine, "count", 0)

    def snapshot(self) -> WeightSnapshot:
        with self._lock:
            return WeightSnapshot(
                used_weight_1m=self._used_weight,
                order_count_10s=self._orders_10s,
                order_count_1m=self._orders_1m,
                request_count=self._requests,
                by_endpoint={
                    k: EndpointStats(requests=c, documented_weight=w)
                    for k, (c, w) in self._by_endpoint.items()
                },
            )


def _int_header(headers: Mapping[str, str], name: str, default: int) -> int:
    value = headers.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return default
