"""Maintenance-margin brackets and Binance's liquidation price for a cross one-way position.

Binance sizes maintenance margin by notional tier (``GET /fapi/v1/leverageBracket``):
``maint = notional × maintMarginRatio − cum`` with the bracket the notional falls in,
``cum`` (the "maintenance amount") chosen so the function is continuous across
tiers. The liquidation price of position 1 in cross margin, one-way mode, is
(Binance Support, "How to Calculate Liquidation Price of USDⓈ-M Contracts"):

    LP = (WB − TMM1 + UPNL1 + cumB − Side1 × Position1 × EP1)
         / (Position1 × MMR_B − Side1 × Position1)

WB the wallet balance, TMM1 / UPNL1 the maintenance margin and unrealized PnL of
every other position, Side1 +1 long / −1 short, Position1 the size, EP1 the
entry price, MMR_B / cumB of the bracket the notional at LP falls in: each
bracket is tried and the one whose range holds ``Position1 × LP`` wins.

The tables approximate what Binance published for these perpetuals (they
change); the first tier's rate is the symbol's ``maint_margin_rate``. With
``flat=True`` a symbol gets one bracket (its rate, no ``cum``): the venue's old
single-rate model.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.paper.specs import SymbolSpec

ZERO = Decimal("0")
_HUGE = Decimal("1e15")

# (notional cap, maintenance margin rate, initial leverage); floors follow the previous cap
_BTC = ((50_000, "0.004", 125), (600_000, "0.005", 100), (3_000_000, "0.0065", 75),
        (12_000_000, "0.01", 50), (70_000_000, "0.02", 25), (100_000_000, "0.025", 20),
        (230_000_000, "0.05", 10), (480_000_000, "0.1", 5), (600_000_000, "0.125", 4),
        (800_000_000, "0.15", 3), (1_200_000_000, "0.25", 2), (1_800_000_000, "0.5", 1))
_ETH = ((50_000, "0.004", 125), (600_000, "0.005", 100), (3_000_000, "0.0065", 75),
        (12_000_000, "0.01", 50), (50_000_000, "0.02", 25), (65_000_000, "0.025", 20),
        (150_000_000, "0.05", 10), (320_000_000, "0.1", 5), (400_000_000, "0.125", 4),
        (530_000_000, "0.15", 3), (800_000_000, "0.25", 2), (1_200_000_000, "0.5", 1))
_MID = ((10_000, "0.005", 75), (100_000, "0.0065", 50), (500_000, "0.01", 25),
        (1_000_000, "0.02", 20), (5_000_000, "0.05", 10), (10_000_000, "0.1", 5),
        (15_000_000, "0.125", 4), (25_000_000, "0.15", 3), (50_000_000, "0.25", 2),
        (100_000_000, "0.5", 1))
_SMALL = ((5_000, "0.01", 50), (25_000, "0.025", 20), (100_000, "0.05", 10),
          (250_000, "0.1", 5), (1_000_000, "0.125", 4), (3_000_000, "0.25", 2),
          (5_000_000, "0.5", 1))
_TABLES = {"BTCUSDT": _BTC, "ETHUSDT": _ETH}


@dataclass(frozen=True)
class Bracket:
    bracket: int
    initial_leverage: int
    floor: Decimal  # notionalFloor
    cap: Decimal  # notionalCap
    mmr: Decimal  # maintMarginRatio
    cum: Decimal  # maintenance amount

    def maint(self, notional: Decimal) -> Decimal:
        return notional * self.mmr - self.cum

    def to_wire(self) -> dict:
        return {"bracket": self.bracket, "initialLeverage": self.initial_leverage,
                "notionalCap": int(self.cap), "notionalFloor": int(self.floor),
                "maintMarginRatio": float(self.mmr), "cum": float(self.cum)}


def build(tiers: tuple[tuple[int, str, int], ...], first_mmr: Decimal | None = None,
          ) -> tuple[Bracket, ...]:
    """Brackets from (cap, rate, leverage) tiers; ``cum`` keeps maintenance continuous."""
    out: list[Bracket] = []
    floor, cum, previous = ZERO, ZERO, ZERO
    for i, (cap, rate, leverage) in enumerate(tiers):
        mmr = first_mmr if i == 0 and first_mmr is not None else Decimal(rate)
        if i:
            cum += floor * (mmr - previous)
        out.append(Bracket(i + 1, leverage, floor, Decimal(cap), mmr, cum))
        floor, previous = Decimal(cap), mmr
    return tuple(out)


def for_spec(spec: SymbolSpec, flat: bool = False) -> tuple[Bracket, ...]:
    if flat:
        return (Bracket(1, spec.max_leverage, ZERO, _HUGE, spec.maint_margin_rate, ZERO),)
    table = _TABLES.get(spec.symbol)
    if table is None:
        table = _MID if spec.maint_margin_rate < Decimal("0.01") else _SMALL
    return build(table, spec.maint_margin_rate)


def bracket_for(brackets: tuple[Bracket, ...], notional: Decimal) -> Bracket:
    for b in brackets:
        if notional < b.cap:
            return b
    return brackets[-1]


def maint_margin(brackets: tuple[Bracket, ...], notional: Decimal) -> Decimal:
    return bracket_for(brackets, notional).maint(notional) if notional > 0 else ZERO


def liquidation_price(wallet: Decimal, others_maint: Decimal, others_upnl: Decimal,
                      amount: Decimal, entry: Decimal, brackets: tuple[Bracket, ...]) -> Decimal:
    """Binance's cross one-way formula, bracket by bracket; 0 when there is none (> 0)."""
    if amount == 0:
        return ZERO
    side = Decimal(1) if amount > 0 else Decimal(-1)
    size = abs(amount)
    price = ZERO
    for b in brackets:
        denom = size * b.mmr - side * size
        if denom == 0:
            continue
        price = (wallet - others_maint + others_upnl + b.cum - side * size * entry) / denom
        if price <= 0:
            continue
        if b.floor <= size * price < b.cap:
            return price
    return price if price > 0 and size * price >= brackets[-1].cap else ZERO
