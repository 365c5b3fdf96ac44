"""Scheduled misbehaviour for tests and the soak: errors, 5xx, delays, timeouts, lost answers.

A fault matches the next N requests to one method + path. ``reached_engine``
chooses between the two ways a timeout or 5xx happens in life: the order was
executed and only the answer was lost, or the order never arrived.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    ERROR = "error"      # a Binance error body with code (and HTTP status)
    HTTP = "http"        # a bare HTTP 5xx
    DELAY = "delay"      # answer normally after delay_s
    TIMEOUT = "timeout"  # sleep delay_s (past the client's timeout), then 503


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
DEFAULT_STATUS = {-1003: 429, -1001: 503, -1007: 408}


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, method: str, path: str, kind: FaultKind | str = FaultKind.ERROR, count: int = 1,
            code: int | None = None, msg: str | None = None, status: int | None = None,
            delay_s: float = 0.0, reached_engine: bool = False) -> Fault:
        kind = FaultKind(kind)
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
        if kind is FaultKind.ERROR:
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
