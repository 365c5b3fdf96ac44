"""Scheduled misbehaviour for tests and the soak: errors, 5xx, delays, timeouts, lost answers.

A fault matches the next N requests to one method + path. ``reached_engine``
chooses between the two ways a timeout or 5xx happens in life: the order was
executed and only the answer was lost, or the order never arrived. Binance
words the two 503s differently (USDⓈ-M general info, "HTTP Return Codes"):
"Unknown error, please check your request or try again later." means the
request reached the engine and its status is unknown; "Internal error; unable
to process your request." means it failed. ``PRESETS`` name the stop path's
errors the venue cannot produce by itself, with Binance's text and status.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.paper import errors


class FaultKind(StrEnum):
    ERROR = "error"      # a Binance error body with code (and HTTP status)
    HTTP = "http"        # a bare HTTP 5xx
    DELAY = "delay"      # answer normally after delay_s
    TIMEOUT = "timeout"  # sleep delay_s (past the client's timeout), then 503
    BUSY = "busy"        # -1008 "Server is currently overloaded", HTTP 503: not executed


UNKNOWN_STATUS_MSG = "Unknown error, please check your request or try again later."
INTERNAL_ERROR_MSG = "Internal error; unable to process your request. Please try again."


@dataclass
class Fault:
    id: int
    method: str
    path: str
    kind: FaultKind
    remaining: int
    code: int | None = None
    msg: str | None = None
    status: int = 400
    delay_s: float = 0.0
    reached_engine: bool = False

    def to_json(self) -> dict:
        return {"id": self.id, "method": self.method, "path": self.path, "kind": self.kind.value,
                "remaining": self.remaining, "code": self.code, "msg": self.msg,
                "status": self.status, "delaySeconds": self.delay_s,
                "reachedEngine": self.reached_engine}

    def answer(self, server_ms: int) -> tuple[dict, int]:
        """The body and HTTP status the client receives (after any delay or execution)."""
        if self.kind is FaultKind.TIMEOUT:
            return {"code": -1007, "msg": self.msg}, 503
        if self.kind is FaultKind.HTTP:
            if self.reached_engine:  # the shape Binance answers: no code, status unknown
                return {"timestamp": server_ms, "path": self.path,
                        "msg": UNKNOWN_STATUS_MSG}, self.status
            return {"code": -1001, "msg": INTERNAL_ERROR_MSG}, self.status
        return {"code": self.code, "msg": self.msg}, self.status


PRESETS: dict[str, Callable[[], errors.PaperError]] = {
    "me_recv_window": errors.me_recv_window,            # -5028, not executed (like -1021)
    "max_stop_orders": errors.max_stop_orders,          # -4045
    "stop_triggering": errors.stop_triggering,          # -4117
    "user_in_liquidation": errors.user_in_liquidation,  # -2023
    "market_order_reject": errors.market_order_reject,  # -4131: an emergency close can fail
    "reduce_only_rejected": errors.reduce_only_rejected,  # -2022, nothing to reduce
    "reduce_only_conflict": errors.reduce_only_conflict,  # -2022, conflicts with open orders
    "bad_precision": errors.bad_precision,              # -1111
    "price_not_tick": errors.price_not_tick,            # -4014
    "qty_not_step": errors.qty_not_step,                # -4023
    "would_trigger": errors.would_trigger,              # -2021
    "tp_sl_would_trigger": errors.tp_sl_would_trigger,  # -4142
    "position_side_mismatch": errors.position_side_mismatch,  # -4061
    "server_busy": errors.server_busy,                  # -1008, HTTP 503
    "server_throttled": errors.server_throttled,        # -1008's second wording
}


DEFAULT_MESSAGES = {
    -1001: "Internal error; unable to process your request. Please try again.",
    -1003: "Too many requests.",
    -1007: "Timeout waiting for response from backend server. Send status unknown; "
           "execution status unknown.",
    -1021: "Timestamp for this request is outside of the recvWindow.",
    -2021: "Order would immediately trigger.",
    -4142: "TP/SL order would be triggered immediately.",
    -2019: "Margin is insufficient.",
    -2022: "ReduceOnly Order is rejected.",
    -2011: "Unknown order sent.",
    -2013: "Order does not exist.",
    -2007: "Invalid callBack rate.",
    -4130: "An open stop or take profit order with GTE and closePosition in the direction "
           "is existing.",
}
for _preset in PRESETS.values():  # the first preset of a code gives its default wording
    DEFAULT_MESSAGES.setdefault(_preset().code, _preset().msg)
DEFAULT_STATUS = {-1003: 429, -1001: 503, -1007: 408, -1008: 503, -1015: 429}


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, method: str, path: str, kind: FaultKind | str = FaultKind.ERROR, count: int = 1,
            code: int | None = None, msg: str | None = None, status: int | None = None,
            delay_s: float = 0.0, reached_engine: bool = False,
            preset: str | None = None) -> Fault:
        kind = FaultKind(kind)
        if preset is not None:
            if preset not in PRESETS:
                raise ValueError(f"unknown preset {preset!r}: use one of {', '.join(PRESETS)}")
            named = PRESETS[preset]()
            code, msg, status = named.code, msg or named.msg, status or named.http_status
        if kind is FaultKind.BUSY:
            if reached_engine:
                raise ValueError("a busy fault (-1008) is never executed: reached_engine=False")
            named = errors.server_busy()
            code, msg, status = named.code, msg or named.msg, status or named.http_status
        if count < 1:
            raise ValueError("count must be >= 1")
        if not path.startswith("/"):
            raise ValueError("path must start with '/' e.g. /fapi/v1/algoOrder")
        if kind is FaultKind.ERROR and code is None:
            raise ValueError("an error fault needs a Binance code")
        if kind is FaultKind.HTTP and status is not None and not 500 <= status <= 599:
            raise ValueError("an http fault needs a 5xx status")
        if delay_s < 0:
            raise ValueError("delay_s must be >= 0")
        if kind in (FaultKind.ERROR, FaultKind.BUSY):
            resolved_status = status or DEFAULT_STATUS.get(code or 0, 400)
        elif kind is FaultKind.HTTP:
            resolved_status = status or 503
        else:
            resolved_status = status or 503
        fault = Fault(
            id=next(self._ids), method=method.upper(), path=path, kind=kind, remaining=count,
            code=code, msg=msg or DEFAULT_MESSAGES.get(code or 0, "Injected fault."),
            status=resolved_status, delay_s=delay_s, reached_engine=reached_engine,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault, consumed by one use."""
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.path == path and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
