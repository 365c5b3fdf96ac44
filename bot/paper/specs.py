"""Symbol rules of the paper venue: Binance-like filters for the seven majors, generic ones beyond.

Values follow what Binance publishes for these perpetuals (rounded where they
change often); unknown symbols such as the benchmark's ``S001USDT`` get a
generic, permissive set so any symbol list can be simulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CONDITIONAL_TYPES = (
    "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET",
)
ORDER_TYPES = ("LIMIT", "MARKET") + CONDITIONAL_TYPES
TIME_IN_FORCE = ("GTC", "IOC", "FOK", "GTX", "GTD")


@dataclass(frozen=True)
class SymbolSpec:
    symbol: str
    base_asset: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    min_price: Decimal
    max_price: Decimal
    price_precision: int
    quantity_precision: int
    initial_price: Decimal
    maint_margin_rate: Decimal = Decimal("0.004")
    max_leverage: int = 125
    liquidation_fee: Decimal = Decimal("0.0125")  # clearance fee rate on a liquidated notional
    max_algo_orders: int = 200  # MAX_NUM_ALGO_ORDERS: open conditional orders on this symbol
    status: str = "TRADING"  # contract status (see symbol_status)
    multiplier_up: Decimal = Decimal("1.0500")
    multiplier_down: Decimal = Decimal("0.9500")

    def exchange_info(self) -> dict:
        return {
            "symbol": self.symbol,
            "pair": self.symbol,
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "onboardDate": 1569398400000,
            "status": self.status,
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": self.base_asset,
            "quoteAsset": "USDT",
            "marginAsset": "USDT",
            "pricePrecision": self.price_precision,
            "quantityPrecision": self.quantity_precision,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "underlyingSubType": [],
            "triggerProtect": "0.0500",
            "liquidationFee": f"{self.liquidation_fee:.6f}",
            "marketTakeBound": "0.05",
            "maxMoveOrderLimit": 10000,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": str(self.min_price),
                 "maxPrice": str(self.max_price), "tickSize": str(self.tick_size)},
                {"filterType": "LOT_SIZE", "stepSize": str(self.step_size),
                 "maxQty": str(self.max_qty), "minQty": str(self.min_qty)},
                {"filterType": "MARKET_LOT_SIZE", "stepSize": str(self.step_size),
                 "maxQty": str(self.market_max_qty), "minQty": str(self.min_qty)},
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": self.max_algo_orders},
                {"filterType": "MIN_NOTIONAL", "notional": str(self.min_notional)},
                {"filterType": "PERCENT_PRICE", "multiplierUp": str(self.multiplier_up),
                 "multiplierDown": str(self.multiplier_down), "multiplierDecimal": "4"},
            ],
            "orderTypes": list(ORDER_TYPES),
            "timeInForce": list(TIME_IN_FORCE),
        }


def _spec(symbol: str, tick: str, step: str, max_qty: str, market_max: str, notional: str,
          min_price: str, max_price: str, pp: int, qp: int, price: str, mmr: str) -> SymbolSpec:
    return SymbolSpec(
        symbol=symbol, base_asset=symbol.removesuffix("USDT"), tick_size=Decimal(tick),
        step_size=Decimal(step), min_qty=Decimal(step), max_qty=Decimal(max_qty),
        market_max_qty=Decimal(market_max), min_notional=Decimal(notional),
        min_price=Decimal(min_price), max_price=Decimal(max_price), price_precision=pp,
        quantity_precision=qp, initial_price=Decimal(price), maint_margin_rate=Decimal(mmr),
    )


KNOWN_SPECS: dict[str, SymbolSpec] = {
    s.symbol: s
    for s in (
        _spec("BTCUSDT", "0.10", "0.001", "1000", "120", "100", "556.80", "4529764", 2, 3,
              "95000.00", "0.004"),
        _spec("ETHUSDT", "0.01", "0.001", "10000", "2000", "100", "39.86", "306177", 2, 3,
              "3200.00", "0.004"),
        _spec("SOLUSDT", "0.0100", "1", "1000000", "5000", "5", "0.4200", "6857", 4, 0,
              "180.0000", "0.005"),
        _spec("BNBUSDT", "0.010", "0.01", "100000", "2000", "5", "6.600", "100000", 3, 2,
              "650.000", "0.005"),
        _spec("XRPUSDT", "0.0001", "0.1", "10000000", "2000000", "5", "0.0143", "100000", 4, 1,
              "2.2000", "0.005"),
        _spec("ATOMUSDT", "0.001", "0.01", "500000", "50000", "5", "0.460", "200", 3, 2,
              "4.500", "0.01"),
        _spec("ICXUSDT", "0.0001", "1", "2000000", "500000", "5", "0.0080", "20", 4, 0,
              "0.1200", "0.01"),
    )
}

DEFAULT_SYMBOLS: tuple[str, ...] = tuple(KNOWN_SPECS)


def generic_spec(symbol: str, price: Decimal = Decimal("10.000")) -> SymbolSpec:
    """Permissive filters for a synthetic symbol (tick 0.001, step 0.1, min notional 5)."""
    return SymbolSpec(
        symbol=symbol, base_asset=symbol.removesuffix("USDT"), tick_size=Decimal("0.001"),
        step_size=Decimal("0.1"), min_qty=Decimal("0.1"), max_qty=Decimal("10000000"),
        market_max_qty=Decimal("1000000"), min_notional=Decimal("5"), min_price=Decimal("0.001"),
        max_price=Decimal("1000000"), price_precision=3, quantity_precision=1,
        initial_price=price, maint_margin_rate=Decimal("0.01"),
    )


def build_specs(symbols: list[str] | None) -> dict[str, SymbolSpec]:
    """The seven majors plus any extra names asked for, in a stable order."""
    specs = dict(KNOWN_SPECS)
    for name in symbols or []:
        if not name or not name.isalnum() or name.upper() != name:
            raise ValueError(f"symbol name {name!r} must be upper-case letters and digits")
        specs.setdefault(name, generic_spec(name))
    return specs
