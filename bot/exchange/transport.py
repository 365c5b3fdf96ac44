"""How one request reaches Binance: its lane, the budget's say, one send, what the answer means.

Why it looks like this:
- python-binance keeps the last HTTP response on the client and shares one
  requests.Session, so a client carries one request at a time: each client is a
  *lane* with its own lock (the monitor, the executor and the jobs run on different
  threads). Orders and cancels get a lane of their own, so the stop after a fill
  never waits behind a slow read.
- A lane is handed over in arrival order. ``threading.RLock`` is not: a thread that
  releases and asks again at once (a reader in a loop) nearly always gets it back
  before a woken waiter runs, and a read was measured waiting 1–2 s behind a loop of
  500 ms reads (docs/PERFORMANCE.md). In order, a request waits for at most what
  is queued before it.
- INVALID_TIMESTAMP means the request was refused before it was looked at, so a clock
  resync and one re-send are always safe. Rate limits are raised, never slept on:
  the caller owns the schedule. While the exchange asks to back off (429/418) nothing
  is sent, and above the reserve share only protection is (``budget``): reads made
  inside ``deferrable()`` wait.
- Every failure leaves as a typed ``ExchangeError``; an answer that is lost, cut or
  unreadable is ``UnknownStatusError`` (the caller reconciles), never a crash.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import requests

from bot.domain.errors import ExchangeError, TimestampError, UnknownStatusError, classify
from bot.exchange import wire
from bot.exchange.budget import BudgetLimits, RequestBudgetTracker
from bot.exchange.weights import WeightTracker, documented_weight

with warnings.catch_warnings():
    # python-binance 1.0.37 imports a websockets name that websockets 14+ deprecates.
    warnings.filterwarnings(
        "ignore", message=r"websockets\.\S+ is deprecated", category=DeprecationWarning
    )
    from binance.client import Client
    from binance.exceptions import BinanceAPIException, BinanceRequestException

log = logging.getLogger(__name__)

T = TypeVar("T")

ORDER_ENDPOINTS = frozenset({"POST /fapi/v1/order", "POST /fapi/v1/algoOrder"})
RECV_WINDOW_MS = 5000  # Binance's recommendation; python-binance alone would send 10000


def make_client(
    api_key: str,
    api_secret: str,
    futures_url: str | None = None,
    testnet: bool = False,
    timeout_s: float = 10.0,
    recv_window_ms: int | None = None,
) -> Client:
    """A python-binance client that makes no request on creation.

    ``futures_url`` (e.g. the paper exchange's ``http://127.0.0.1:PORT/fapi``)
    redirects every futures call; it cannot be combined with ``testnet``,
    because python-binance would silently prefer the testnet host.

    recvWindow stays below the request timeout. python-binance 1.0.37 writes its
    ``REQUEST_RECVWINDOW`` (10000 ms) into every signed request, over any
    ``recvWindow`` parameter; with the adapter's 10 s timeout a request given up as
    lost could still be executed when it finally arrives, after the adapter has
    looked its client id up, found nothing and sent it again. So the client's
    ``REQUEST_RECVWINDOW`` is lowered (5000 ms, or half a shorter timeout): by the
    time a request times out here, the exchange refuses a late copy of it
    (INVALID_TIMESTAMP / ME_RECVWINDOW_REJECT: not executed).
    """
    if futures_url and testnet:
        raise ValueError("futures_url and testnet=True are exclusive")
    if timeout_s <= 0:
        raise ValueError("timeout_s must be > 0")
    window = recv_window_ms if recv_window_ms is not None else min(
        RECV_WINDOW_MS, int(timeout_s * 1000 / 2))
    if not 0 < window < timeout_s * 1000 or window > 60000:
        raise ValueError(f"recv_window_ms must be in (0, 60000] and below the timeout "
                         f"({timeout_s * 1000:.0f} ms), got {window}")
    client = Client(
        api_key, api_secret, ping=False, testnet=testnet,
        requests_params={"timeout": timeout_s},
    )
    client.REQUEST_RECVWINDOW = window  # an instance value: python-binance reads it per request
    if futures_url:
        client.FUTURES_URL = futures_url.rstrip("/")
    return client


class FifoLock:
    """Reentrant, and handed to the longest waiter on release: no thread can take it twice
    in a row while another waits (see the module docstring for why)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiters: deque[tuple[int, threading.Lock]] = deque()

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return
            if self._owner is None:
                self._owner, self._depth = me, 1
                return
            baton = threading.Lock()
            baton.acquire()
            self._waiters.append((me, baton))
        try:
            baton.acquire()  # released by the thread that made us the owner
        except BaseException:  # interrupted while queued: leave the queue, or pass the lane on
            with self._guard:
                if self._owner == me:
                    self._hand_over()
                else:
                    self._waiters.remove((me, baton))
            raise

    def release(self) -> None:
        with self._guard:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a lane not held by this thread")
            self._depth -= 1
            if not self._depth:
                self._hand_over()

    def _hand_over(self) -> None:
        if self._waiters:
            self._owner, baton = self._waiters.popleft()
            self._depth = 1
            baton.release()
        else:
            self._owner, self._depth = None, 0

    def __enter__(self) -> FifoLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Lane:
    """One python-binance client and the lock that keeps its requests single file."""

    def __init__(self, client: Client, name: str) -> None:
        self.client = client
        self.name = name
        self.lock = FifoLock()

    def __repr__(self) -> str:
        return f"Lane({self.name})"


class Transport:
    """Thread-safe. Requests go down the ``reads`` lane unless sent on ``orders`` (orders,
    cancels and their look-ups; the same lane when no second client is given)."""

    def __init__(self, client: Client, order_client: Client | None = None,
                 clock: Callable[[], float] = time.time,
                 limits: BudgetLimits | None = None) -> None:
        self.reads = Lane(client, "reads")
        self.orders = Lane(order_client, "orders") if order_client is not None else self.reads
        self._clock = clock
        self.weights = WeightTracker()
        # no reserve unless asked (the assembled bot always asks): only the back-off
        self.budget = RequestBudgetTracker(limits or BudgetLimits(reserve_share=None), clock)
        self._scope = threading.local()  # .deferred: this thread's reads may wait

    # --- scope: may this thread's reads wait? ------------------------------------------------

    @contextmanager
    def deferrable(self) -> Iterator[None]:
        before = getattr(self._scope, "deferred", False)
        self._scope.deferred = True
        try:
            yield
        finally:
            self._scope.deferred = before

    @contextmanager
    def essential(self) -> Iterator[None]:
        before = getattr(self._scope, "deferred", False)
        self._scope.deferred = False
        try:
            yield
        finally:
            self._scope.deferred = before

    # --- the clock ------------------------------------------------------------------------------

    @property
    def time_offset_ms(self) -> int:
        return int(self.reads.client.timestamp_offset)

    def resync_time(self) -> int:
        """Align request timestamps with the server's clock; returns the offset in ms."""
        reads = self.reads.client
        before = self._clock()
        answer = self.send("GET /fapi/v1/time", reads.futures_time, {}, False)
        after = self._clock()
        local_ms = int((before + after) / 2 * 1000)
        offset = parsed("GET /fapi/v1/time", wire.parse_server_time, answer) - local_ms
        with self.reads.lock, self.orders.lock:
            reads.timestamp_offset = offset
            self.orders.client.timestamp_offset = offset
        log.warning("[CLOCK] Resynced with exchange time: offset %+d ms", offset)
        return offset

    # --- requests -------------------------------------------------------------------------------

    def call(self, endpoint: str, fn: Callable[..., Any],
             _parse: Callable[[Any], Any] | None = None, _weight: int | None = None,
             _essential: bool | None = None, _lane: Lane | None = None, **params: Any) -> Any:
        """One request (plus one re-send after an INVALID_TIMESTAMP resync), its answer parsed.
        ``fn`` is a method of ``_lane``'s client (default: the reads lane).
        ``_essential=False`` marks a request the reserve may refuse (None: decided by scope)."""
        lane = _lane or self.reads
        try:
            answer = self.send(endpoint, fn, params, "symbol" in params, _weight, _essential,
                               lane)
        except TimestampError:
            self.resync_time()
            answer = self.send(endpoint, fn, params, "symbol" in params, _weight, _essential,
                               lane)
        return answer if _parse is None else parsed(endpoint, _parse, answer)

    def send(self, endpoint: str, fn: Callable[..., Any], params: dict[str, Any],
             with_symbol: bool, weight: int | None = None, essential: bool | None = None,
             lane: Lane | None = None) -> Any:
        documented = weight if weight is not None else documented_weight(endpoint, with_symbol)
        if essential is None:
            essential = not (endpoint.startswith("GET ") and getattr(self._scope, "deferred",
                                                                       False))
        status: int | None = None
        code: int | None = None
        lane = lane or self.reads
        client = lane.client
        with lane.lock:  # admitted under the lock: no request slips out after a 418
            self.budget.admit(endpoint, essential, endpoint in ORDER_ENDPOINTS, documented)
            client.response = None
            try:
                return fn(**dict(params))
            except BinanceAPIException as exc:
                status, code = exc.status_code, exc.code
                error: ExchangeError = classify(exc.code or None, str(exc.message),
                                                exc.status_code)
            except BinanceRequestException:
                error = UnknownStatusError(None, f"{endpoint}: unreadable answer")
            except requests.Timeout:
                error = UnknownStatusError(None, f"{endpoint}: timed out")
            except requests.ConnectionError:
                error = UnknownStatusError(None, f"{endpoint}: connection failed")
            except requests.RequestException as exc:
                error = UnknownStatusError(None, f"{endpoint}: {type(exc).__name__}")
            finally:
                response = client.response
                headers = response.headers if response is not None else None
                self.weights.record(endpoint, headers, documented)
                if status is None and response is not None:
                    status = response.status_code
                self.budget.observe(headers, status, code)
        log.warning("[EXCHANGE] %s failed: %s", endpoint, error)
        raise error


def parsed(endpoint: str, parse: Callable[[Any], T], answer: Any) -> T:
    """An answer the adapter cannot read leaves the exchange's state unknown, not an order bad."""
    try:
        return parse(answer)
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:  # WireFormatError and kin
        log.error("[EXCHANGE] Unreadable answer from %s: %s", endpoint, exc)
        raise UnknownStatusError(None, f"{endpoint}: unreadable answer ({exc})") from None
