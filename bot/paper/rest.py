"""The WSGI front: Binance's futures REST surface plus the loopback control surface.

Order of checks per request, as on Binance: route, weight (-1003), API key
(-2015), signature (-1022), timestamp (-1021), order counters, then the
handler. Injected faults apply after authentication. Any unexpected exception
is logged and answered as JSON; the server never answers 500.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from bot.paper import errors
from bot.paper.auth import Authenticator, RateLimiter
from bot.paper.control import PaperControl
from bot.paper.control_routes import ControlRoutes
from bot.paper.endpoints import ROUTES, Route
from bot.paper.faults import Fault, FaultKind, FaultPlan
from bot.paper.listen_keys import LISTEN_KEY_ROUTES, ListenKeys

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "::1", "localhost")
UNKNOWN_MSG = "An unknown error occurred while processing the request."
# the listenKey handlers live with the listenKey book (Binance's 60-minute lifetime rules)
ALL_ROUTES: dict[tuple[str, str], Route] = {**ROUTES, **LISTEN_KEY_ROUTES}


@dataclass
class Venue:
    """What handlers reach: the engine, the market and the session state of the front."""

    engine: Any
    market: Any
    auth: Authenticator
    listen_keys: ListenKeys | None = None  # None: a book of its own on the engine's clock
    limiter: RateLimiter | None = None  # None: the front's (its limits go out in exchangeInfo)

    def __post_init__(self) -> None:
        if self.listen_keys is None:
            self.listen_keys = ListenKeys(self.engine.clock)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status=status,
                    headers=headers or {}, content_type="application/json")


class PaperRestApp:
    def __init__(self, venue: Venue, limiter: RateLimiter, faults: FaultPlan,
                 control: PaperControl) -> None:
        if venue.limiter is None:
            venue.limiter = limiter
        self.venue = venue
        self.limiter = limiter
        self.faults = faults
        self.control = control
        self.stopping = threading.Event()  # set on shutdown: injected sleeps end at once
        self._control_routes = ControlRoutes(control)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._dispatch(request)
        except errors.PaperError as exc:
            response = _json(exc.body(), exc.http_status)
        except Exception:  # the venue must answer, whatever happened
            log.exception("[PAPER] Unexpected error on %s %s", request.method, request.path)
            response = _json({"code": -1000, "msg": UNKNOWN_MSG}, 400)
        if response.status_code == 429:  # failing to back off after 429s ends in a 418 ban
            self.limiter.bans.record_429()
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/paper/v1/"):
            if request.remote_addr not in LOOPBACK:
                return _json({"error": "control surface is loopback only"}, 403)
            return self._control_routes.handle(request)
        route = ALL_ROUTES.get((request.method, path))
        if route is None:
            return _json({"code": -1000, "msg": f"Unknown endpoint {request.method} {path}"},
                         404)
        try:
            query = request.query_string.decode("utf-8")
            body = request.get_data().decode("utf-8") if request.method != "GET" else ""
        except UnicodeDecodeError:
            raise errors.illegal_chars("body", "UTF-8") from None
        params = self._params(query, body)
        headers: dict[str, str] = {}
        try:
            self.limiter.bans.check()  # a banned IP gets 418 and spends no weight
            used = self.limiter.add_weight(route.weight_of(params))
            headers["X-MBX-USED-WEIGHT-1M"] = str(used)
            self._authenticate(route, request, query, body, params)
            if route.counts_order:
                n10, n1 = self.limiter.add_order()
                headers["X-MBX-ORDER-COUNT-10S"] = str(n10)
                headers["X-MBX-ORDER-COUNT-1M"] = str(n1)
            fault = self.faults.take(request.method, path)
            if fault is not None:
                return self._faulty(fault, route, params, headers)
            return _json(route.handler(self.venue, params), 200, headers)
        except errors.PaperError as exc:
            headers.setdefault("X-MBX-USED-WEIGHT-1M", str(self.limiter.used_weight()))
            headers.update(exc.headers)
            return _json(exc.body(), exc.http_status, headers)

    @staticmethod
    def _params(query: str, body: str) -> dict[str, str]:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, errors="strict") + parse_qsl(
                body, keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise errors.illegal_chars("body", "UTF-8") from None
        return dict(pairs)

    def _authenticate(self, route: Route, request: Request, query: str, body: str,
                      params: dict[str, str]) -> None:
        auth = self.venue.auth
        if route.signed:
            auth.check_key(request.headers.get("X-MBX-APIKEY"))
            auth.check_signed(query, body, params)
        elif route.key_only:
            auth.check_key(request.headers.get("X-MBX-APIKEY"))

    def _faulty(self, fault: Fault, route: Route, params: dict[str, str],
                headers: dict[str, str]) -> Response:
        log.info("[PAPER] Fault %s hits %s %s", fault.kind.value, fault.method, fault.path)
        if fault.kind is FaultKind.DELAY:
            self.stopping.wait(fault.delay_s)
            return _json(route.handler(self.venue, params), 200, headers)
        if fault.reached_engine:
            try:
                route.handler(self.venue, params)
            except errors.PaperError:
                pass
        if fault.kind is FaultKind.TIMEOUT:
            self.stopping.wait(fault.delay_s)
        body, status = fault.answer(self.venue.auth.server_time())
        if status in (429, 418):  # an injected limit is a blip: back off delay_s, at least 1 s
            headers["Retry-After"] = str(max(1, math.ceil(fault.delay_s)))
        return _json(body, status, headers)
