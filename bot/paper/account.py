"""One USDT-margined cross account in one-way mode: wallet, leverage, positions, margin.

Kept apart from the order books so the money arithmetic (average entry,
realized PnL, fees, margin, liquidation threshold) reads in one place.
Maintenance margin follows the symbol's brackets (``brackets``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from bot.paper import brackets as tiers
from bot.paper.brackets import Bracket
from bot.paper.model import ZERO, PositionState, Side
from bot.paper.specs import SymbolSpec

DEFAULT_LEVERAGE = 20
USDT_STEP = Decimal("0.00000001")  # Binance books USDT amounts (PnL, fees) to 8 decimals


def usdt(value: Decimal) -> Decimal:
    """Round a booked amount as the venue does, so userTrades' strings add up exactly."""
    return value.quantize(USDT_STEP, rounding=ROUND_HALF_UP) + 0  # + 0: never "-0.00000000"


class Account:
    def __init__(self, balance: Decimal, specs: dict[str, SymbolSpec],
                 brackets: dict[str, tuple[Bracket, ...]] | None = None) -> None:
        if balance < 0:
            raise ValueError("balance must be >= 0")
        self.specs = specs
        self.brackets = brackets if brackets is not None else {
            s: tiers.for_spec(spec) for s, spec in specs.items()}
        self.dual_side = False  # hedge mode (positionSide LONG / SHORT)
        self.multi_assets = False  # Multi-Assets margin mode
        self.wallet = balance
        self.fees_paid = ZERO
        self.realized = ZERO
        self.insurance_cover = ZERO
        self.leverage: dict[str, int] = {}
        self.positions: dict[str, PositionState] = {}

    def leverage_of(self, symbol: str) -> int:
        return self.leverage.get(symbol, DEFAULT_LEVERAGE)

    def position(self, symbol: str) -> PositionState:
        pos = self.positions.get(symbol)
        if pos is None:
            pos = self.positions[symbol] = PositionState(symbol)
        return pos

    def amount(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        return pos.amount if pos else ZERO

    def apply_fill(self, symbol: str, side: Side, qty: Decimal, price: Decimal,
                   fee_rate: Decimal, now_ms: int) -> tuple[Decimal, Decimal]:
        """Book a fill; returns (realized PnL, fee). Wallet moves by both."""
        pos = self.position(symbol)
        signed = qty if side is Side.BUY else -qty
        realized = ZERO
        if pos.amount == 0 or (pos.amount > 0) == (signed > 0):
            new_amount = pos.amount + signed
            pos.entry_price = (abs(pos.amount) * pos.entry_price + qty * price) / abs(new_amount)
            pos.amount = new_amount
        else:
            closing = min(qty, abs(pos.amount))
            direction = 1 if pos.amount > 0 else -1
            realized = usdt(closing * (price - pos.entry_price) * direction)
            pos.amount += signed
            if pos.amount == 0:
                pos.entry_price = ZERO
            elif (pos.amount > 0) != (direction > 0):
                pos.entry_price = price
        fee = usdt(qty * price * fee_rate)
        pos.realized_pnl += realized
        pos.update_ms = now_ms
        self.realized += realized
        self.fees_paid += fee
        self.wallet += realized - fee
        if self.wallet < 0:
            self.insurance_cover += -self.wallet
            self.wallet = ZERO
        return realized, fee

    def unrealized(self, symbol: str, mark: Decimal) -> Decimal:
        pos = self.positions.get(symbol)
        if pos is None or pos.amount == 0:
            return ZERO
        return pos.amount * (mark - pos.entry_price)

    def position_margin(self, symbol: str, mark: Decimal) -> Decimal:
        return abs(self.amount(symbol)) * mark / self.leverage_of(symbol)

    def maint_margin(self, symbol: str, mark: Decimal) -> Decimal:
        return tiers.maint_margin(self.brackets[symbol], abs(self.amount(symbol)) * mark)

    def totals(self, marks: dict[str, Decimal], open_order_margin: Decimal) -> dict[str, Decimal]:
        upnl = sum((self.unrealized(s, marks[s]) for s in self.open_symbols()), ZERO)
        initial = sum((self.position_margin(s, marks[s]) for s in self.open_symbols()), ZERO)
        maint = sum((self.maint_margin(s, marks[s]) for s in self.open_symbols()), ZERO)
        margin_balance = self.wallet + upnl
        available = margin_balance - initial - open_order_margin
        return {
            "wallet": self.wallet, "upnl": upnl, "initial": initial, "maint": maint,
            "margin_balance": margin_balance, "open_order_margin": open_order_margin,
            "available": max(available, ZERO),
        }

    def open_symbols(self) -> list[str]:
        return [s for s, p in self.positions.items() if p.amount != 0]

    def cross_totals(self, marks: dict[str, Decimal]) -> tuple[Decimal, Decimal]:
        """Unrealized PnL and maintenance margin over all open positions, computed once."""
        open_now = self.open_symbols()
        return (sum((self.unrealized(s, marks[s]) for s in open_now), ZERO),
                sum((self.maint_margin(s, marks[s]) for s in open_now), ZERO))

    def liquidation_price(self, symbol: str, marks: dict[str, Decimal],
                          totals: tuple[Decimal, Decimal] | None = None) -> Decimal:
        """Mark price of this symbol at which margin balance meets maintenance (others fixed).

        ``totals`` (from :meth:`cross_totals`) lets a positionRisk answer for N symbols
        stay linear in N.
        """
        pos = self.positions.get(symbol)
        if pos is None or pos.amount == 0:
            return ZERO
        upnl_all, maint_all = totals if totals is not None else self.cross_totals(marks)
        others_upnl = upnl_all - self.unrealized(symbol, marks[symbol])
        others_maint = maint_all - self.maint_margin(symbol, marks[symbol])
        return tiers.liquidation_price(self.wallet, others_maint, others_upnl, pos.amount,
                                       pos.entry_price, self.brackets[symbol])
