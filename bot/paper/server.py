"""``PaperExchange``: the embeddable venue (engine + market + REST front + control).

Serves on loopback in a background thread, with a ticker thread so stops
trigger while nobody is asking. The default market (``MarketSimulator``) is
imported lazily so the engine can run with any ``MarketSource``.
"""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.paper.auth import Authenticator, RateLimiter
from bot.paper.clock import SpeedClock
from bot.paper.control import PaperControl
from bot.paper.engine import MatchingEngine
from bot.paper.faults import FaultPlan
from bot.paper.http_server import HttpServer, make_http_server
from bot.paper.rest import PaperRestApp, Venue
from bot.paper.slippage import DEFAULT_SLIPPAGE_BPS, Slippage
from bot.paper.specs import SymbolSpec, build_specs
from bot.paper.stream import UserStream

log = logging.getLogger(__name__)

TICK_INTERVAL_S = 0.075


class PaperExchange:
    def __init__(self, api_key: str = "K", api_secret: str = "S", seed: int = 7,
                 speed: float = 1.0, balance: Decimal = Decimal("10000"), clock: Any = None,
                 market: Any = None, replay_dir: str | Path | None = None,
                 symbols: list[str] | None = None, weight_limit: int | None = 2400,
                 order_limits: bool = True, taker_fee: Decimal = Decimal("0.0004"),
                 slippage_bps: Decimal | str | int = DEFAULT_SLIPPAGE_BPS,
                 tick_interval_s: float | None = TICK_INTERVAL_S,
                 specs: dict[str, SymbolSpec] | None = None, server: str = "waitress",
                 ws_port: int | None = 0, trigger_delay_ms: int | None = None,
                 read_lag_ms: int = 0, limits_on_clock: bool = False) -> None:
        """``limits_on_clock``: count the weight and order windows in this venue's clock
        minutes, not wall ones (a replay on a virtual clock: a simulated minute's requests
        are what Binance would count; on the wall clock a fast replay would seem to flood)."""
        if not api_key or not api_secret:
            raise ValueError("api_key and api_secret must be non-empty")
        if Decimal(balance) < 0:
            raise ValueError("balance must be >= 0")
        slippage = Slippage.bps(slippage_bps)  # 0: market fills at the last price exactly
        specs = {**build_specs(symbols), **(specs or {})}
        if market is None and replay_dir:
            from bot.paper.market import ReplayMarket  # lazy: optional part

            market = ReplayMarket(replay_dir)
            # replayed data has its own time axis: the clock starts where the data does
            clock = clock if clock is not None else SpeedClock(speed, start_ms=market.start_ms)
        self.clock = clock if clock is not None else SpeedClock(speed)
        self.market = market if market is not None else _default_market(
            list(specs), seed, self.clock.now_ms())
        self.engine = MatchingEngine(self.market, self.clock, balance=Decimal(balance),
                                     specs=specs, seed=seed, taker_fee=taker_fee,
                                     slippage=slippage, trigger_delay_ms=trigger_delay_ms,
                                     read_lag_ms=read_lag_ms)
        self.auth = Authenticator(api_key, api_secret)
        self.limiter = RateLimiter(weight_limit, 300 if order_limits else None,
                                   1200 if order_limits else None,
                                   wall_ms=self.clock.now_ms if limits_on_clock else None)
        self.faults = FaultPlan()
        self.stream = UserStream(self.engine, self.clock)  # listenKeys + the user-data stream
        self.control = PaperControl(self.engine, self.market, self.clock, self.faults,
                                    self.auth, self.limiter, stream=self.stream)
        self.app = PaperRestApp(Venue(self.engine, self.market, self.auth,
                                      listen_keys=self.stream.keys),
                                self.limiter, self.faults, self.control)
        if ws_port is not None and not 0 <= ws_port <= 65535:
            raise ValueError("ws_port must be in 0..65535 (or None: no stream server)")
        self._ws_port = ws_port
        self._tick_interval = tick_interval_s
        self._server_kind = server
        self._server: HttpServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.url = ""
        self.ws_url = ""  # ws://host:port once started; FSTREAM_URL = ws_url + "/"

    def __repr__(self) -> str:
        return f"PaperExchange(url={self.url!r})"

    @property
    def futures_url(self) -> str:
        return self.url + "/fapi"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in background threads; returns the base URL (``http://host:port``)."""
        if self._server is not None:
            raise RuntimeError("already started")
        self._server = make_http_server(self._server_kind, self.app, host, port)
        self.url = f"http://{host}:{self._server.port}"
        self._threads = [self._server.serve_in_thread()]
        if self._ws_port is not None:
            try:
                self.ws_url = self.stream.start(host, self._ws_port)
            except BaseException:
                self._server.stop()
                self._server = None
                raise
        if self._tick_interval:
            ticker = threading.Thread(target=self._tick_loop, name="paper-ticker", daemon=True)
            ticker.start()
            self._threads.append(ticker)
        log.info("[PAPER] Exchange serving on %s", self.url)
        return self.url

    def _tick_loop(self) -> None:
        assert self._tick_interval is not None
        last_error = ""
        while not self._stopping.wait(self._tick_interval):
            try:
                self.engine.sync()
                last_error = ""
            except Exception as exc:  # keep ticking; say it once, not 13 times a second
                if repr(exc) != last_error:
                    log.exception("[PAPER] Ticker failed to sync the engine")
                    last_error = repr(exc)

    def stop(self) -> None:
        self._stopping.set()
        self.app.stopping.set()  # wake workers parked in injected delays before closing
        self.stream.stop()
        if self._server is not None:
            self._server.stop()
        for thread in self._threads:
            thread.join(timeout=5)
        self._server = None
        self._threads = []
        log.info("[PAPER] Exchange stopped")

    def __enter__(self) -> PaperExchange:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _default_market(symbols: list[str], seed: int, start_ms: int) -> Any:
    from bot.paper.market import MarketSimulator  # lazy: any MarketSource will do

    return MarketSimulator(symbols, seed=seed, start_ms=start_ms)
