"""Builders for engine unit tests: an engine over a StaticMarket and a ManualClock."""

from __future__ import annotations

from decimal import Decimal

from bot.paper.clock import ManualClock
from bot.paper.engine import MatchingEngine
from bot.paper.model import AlgoRequest, OrderRequest, OrderType, Side, WorkingType
from bot.paper.slippage import Slippage
from bot.paper.specs import SymbolSpec
from tests.fixtures.paper import StaticMarket


class WallClock:
    """A wall clock a test moves by hand (the engine's read-after-write lag runs on it)."""

    def __init__(self, ms: int = 1_800_000_000_000) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


class Venue:
    """Slippage is off unless ``slippage_bps`` says otherwise, so fills are at exact prices."""

    def __init__(self, balance: str = "10000", slippage_bps: str = "0", seed: int = 7,
                 trigger_delay_ms: int = 0, read_lag_ms: int = 0,
                 specs: dict[str, SymbolSpec] | None = None, **prices: str) -> None:
        self.clock = ManualClock()
        self.wall = WallClock()
        self.market = StaticMarket(prices={k: Decimal(v) for k, v in prices.items()})
        self.engine = MatchingEngine(self.market, self.clock, balance=Decimal(balance),
                                     slippage=Slippage.bps(slippage_bps), seed=seed,
                                     trigger_delay_ms=trigger_delay_ms,
                                     read_lag_ms=read_lag_ms, wall_ms=self.wall,
                                     specs=specs)

    def advance(self, ms: int) -> None:
        """Let venue time pass (and the engine catch up), as the ticker thread would."""
        self.clock.advance(ms)
        self.engine.sync()

    def move(self, symbol: str, price: str, mark: str | None = None) -> None:
        tick = self.market.set_price(symbol, Decimal(price), self.clock.now_ms(),
                                     Decimal(mark) if mark else None)
        self.engine.apply_tick(tick)

    def market_order(self, symbol: str, side: Side, qty: str, reduce_only: bool = False,
                     client_id: str | None = None):
        return self.engine.place_order(OrderRequest(
            symbol=symbol, side=side, type=OrderType.MARKET, quantity=Decimal(qty),
            reduce_only=reduce_only, client_order_id=client_id))[1]

    def algo(self, symbol: str, side: Side, kind: OrderType, trigger: str | None = None,
             qty: str | None = None, close: bool = False, reduce_only: bool = False,
             working: WorkingType = WorkingType.CONTRACT_PRICE, price: str | None = None,
             callback: str | None = None, activate: str | None = None,
             client_id: str | None = None):
        return self.engine.place_algo(AlgoRequest(
            symbol=symbol, side=side, type=kind,
            trigger_price=Decimal(trigger) if trigger else None,
            quantity=Decimal(qty) if qty else None, close_position=close,
            reduce_only=reduce_only, working_type=working,
            price=Decimal(price) if price else None,
            callback_rate=Decimal(callback) if callback else None,
            activate_price=Decimal(activate) if activate else None, client_algo_id=client_id))

    def amount(self, symbol: str) -> Decimal:
        return self.engine.account.amount(symbol)
