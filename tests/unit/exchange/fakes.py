"""A hand-written stand-in for python-binance's Client: records calls, answers from a script.

It mirrors the two things the adapter relies on besides the method calls:
``response`` (the last HTTP response, whose headers carry the used weight)
and ``timestamp_offset``.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from bot.exchange.binance_adapter import BinanceAPIException
from tests.unit.exchange import samples


def http_response(
    status: int = 200, body: Any = None, weight: int | None = None
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body if body is not None else {}).encode()
    headers: dict[str, str] = {}
    if weight is not None:
        headers["X-MBX-USED-WEIGHT-1M"] = str(weight)
        headers["X-MBX-ORDER-COUNT-1M"] = "3"
    response.headers = CaseInsensitiveDict(headers)
    return response


def api_error(code: int, msg: str, status: int = 400) -> BinanceAPIException:
    body = {"code": code, "msg": msg}
    return BinanceAPIException(http_response(status, body), status, json.dumps(body))


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeClient:
    """Each futures_* method pops the next scripted outcome, else answers its default."""

    FUTURES_URL: str = "http://127.0.0.1:1/fapi"
    timestamp_offset: int = 0
    response: requests.Response | None = None
    calls: list[Call] = field(default_factory=list)
    weight: int = 0
    _script: dict[str, deque[Any]] = field(default_factory=lambda: defaultdict(deque))
    defaults: dict[str, Any] = field(default_factory=dict)
    server_time_ms: int = 1_767_225_600_000

    def __post_init__(self) -> None:
        self.defaults = {
            "futures_exchange_info": samples.EXCHANGE_INFO,
            "futures_position_information": samples.POSITION_RISK_V3,
            "futures_get_open_algo_orders": [samples.ALGO_ORDER_STOP],
            "futures_get_open_orders": [],
            "futures_mark_price": samples.PREMIUM_INDEX,
            "futures_account": samples.ACCOUNT_V2,
            "futures_klines": [samples.KLINE_ROW],
            "futures_create_algo_order": lambda p: _algo_echo(p),
            "futures_create_order": lambda p: _order_echo(p),
            "futures_get_algo_order": api_error(-2013, "Order does not exist."),
            "futures_get_order": api_error(-2013, "Order does not exist."),
            "futures_cancel_algo_order": {"algoId": 1, "code": "200", "msg": "success"},
            "futures_cancel_order": {"orderId": 1, "status": "CANCELED"},
            "futures_change_leverage": {"leverage": 5, "symbol": "ATOMUSDT"},
            "futures_time": lambda p: {"serverTime": self.server_time_ms},
        }

    def script(self, method: str, *outcomes: Any) -> None:
        """Queue answers (dicts, lists, callables of params, or exceptions to raise)."""
        self._script[method].extend(outcomes)

    def named(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if not name.startswith("futures_"):
            raise AttributeError(name)

        def call(**params: Any) -> Any:
            self.calls.append(Call(name, dict(params)))
            self.weight += 1
            queue = self._script.get(name)
            outcome = queue.popleft() if queue else self.defaults.get(name, {})
            if isinstance(outcome, Exception):
                if isinstance(outcome, BinanceAPIException):
                    self.response = outcome.response
                raise outcome
            self.response = http_response(200, None, self.weight)
            if callable(outcome):
                outcome = outcome(params)
                if isinstance(outcome, Exception):
                    raise outcome
            return copy.deepcopy(outcome)

        return call


def _algo_echo(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "algoId": 5000 + len(p["clientAlgoId"]), "clientAlgoId": p["clientAlgoId"],
        "algoType": p.get("algoType"), "orderType": p["type"], "symbol": p["symbol"],
        "side": p["side"], "quantity": p.get("quantity", "0"), "algoStatus": "NEW",
        "triggerPrice": p.get("triggerPrice", "0"), "workingType": p.get("workingType"),
        "closePosition": p.get("closePosition") == "true",
        "reduceOnly": p.get("reduceOnly") == "true",
        "activatePrice": p.get("activatePrice", ""), "callbackRate": p.get("callbackRate", ""),
        "createTime": 1767225600500, "updateTime": 1767225600500,
    }


def _order_echo(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "orderId": 77, "symbol": p["symbol"], "status": "FILLED",
        "clientOrderId": p["newClientOrderId"], "price": "0", "avgPrice": "2.5120",
        "origQty": p["quantity"], "executedQty": p["quantity"], "type": p["type"],
        "reduceOnly": p.get("reduceOnly") == "true", "side": p["side"],
        "updateTime": 1767225600100,
    }
